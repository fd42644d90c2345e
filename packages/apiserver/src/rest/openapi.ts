/**
 * OpenAPI documents for kubectl: `/openapi/v3` (the index of group-versions) and
 * `/openapi/v3/<api/v1|apis/g/v>` with one path per resource whose PATCH and POST operations
 * carry `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter — what
 * kubectl's QueryParamVerifierV3 checks before it leaves field validation to the server — and a
 * component schema per kind (`kubectl explain`). Strategic merge patch is not listed in the
 * PATCH request body types, so `kubectl apply` computes its patches from its compiled-in types
 * (exact for every built-in kind). Component schemas come from @keelson/api's schema table.
 * `/openapi/v2` is served as JSON only when JSON is acceptable (kubectl asks for protobuf and
 * gets 406, as upstream allows).
 */
import { createHash } from 'node:crypto';
import * as api from '@keelson/api';
import { groupVersion, resources, type ResourceInfo } from '@keelson/api';
import { apiGroups, KUBE_VERSION } from './discovery';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

type SchemaFn = () => Record<string, object>;
type NameFn = (typeName: string) => string;
function apiFn<T>(name: string): T | undefined {
  const f = (api as unknown as Record<string, unknown>)[name];
  return typeof f === 'function' ? (f as T) : undefined;
}

let v3Cache: Record<string, object> | undefined;
let v2Cache: Record<string, object> | undefined;

/** Component schemas from @keelson/api's schema table (real field schemas with patch metadata), plus loose ones for kinds it lacks. */
function componentSchemas(v2: boolean): Record<string, object> {
  const cached = v2 ? v2Cache : v3Cache;
  if (cached) return cached;
  const fn = apiFn<SchemaFn>(v2 ? 'openAPIV2Definitions' : 'openAPIV3Schemas');
  const out: Record<string, object> = { ...(fn ? fn() : {}) };
  for (const r of resources) if (!out[schemaName(r)]) out[schemaName(r)] = kindSchema(r);
  if (v2) v2Cache = out;
  else v3Cache = out;
  return out;
}

function schemaName(r: ResourceInfo): string {
  const name = apiFn<NameFn>('openAPIDefinitionName');
  if (name) {
    const n = name(r.kind);
    if (!n.startsWith('io.k8s.keelson')) return n;
  }
  const pkg = r.group ? r.group.replace(/\.k8s\.io$/, '').replace(/\./g, '_') : 'core';
  return `io.k8s.api.${pkg}.${r.version}.${r.kind}`;
}

const PARAMS = {
  fieldValidation: {
    name: 'fieldValidation',
    in: 'query',
    description:
      'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict.',
    schema: { type: 'string', uniqueItems: true },
  },
  dryRun: {
    name: 'dryRun',
    in: 'query',
    description: 'When present, indicates that modifications should not be persisted.',
    schema: { type: 'string', uniqueItems: true },
  },
  fieldManager: {
    name: 'fieldManager',
    in: 'query',
    description: 'fieldManager is a name associated with the actor or entity that is making these changes.',
    schema: { type: 'string', uniqueItems: true },
  },
  force: {
    name: 'force',
    in: 'query',
    description: 'Force is going to "force" Apply requests.',
    schema: { type: 'boolean', uniqueItems: true },
  },
};

/** A loose schema per kind: the top-level shape with metadata, spec and status objects. */
function kindSchema(r: ResourceInfo): object {
  return {
    description: `${r.kind} (${groupVersion(r)}), served by Keelson.`,
    type: 'object',
    properties: {
      apiVersion: {
        description: 'APIVersion defines the versioned schema of this representation of an object.',
        type: 'string',
      },
      kind: {
        description: 'Kind is a string value representing the REST resource this object represents.',
        type: 'string',
      },
      metadata: {
        description: "Standard object's metadata.",
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      },
      spec: {
        description: 'Specification of the desired behavior.',
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      },
      status: {
        description: 'Most recently observed status.',
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      },
    },
    'x-kubernetes-group-version-kind': [{ group: r.group, version: r.version, kind: r.kind }],
  };
}

/** The OpenAPI v3 document of one group-version; undefined when not served. */
export function openApiV3Doc(group: string, version: string): object | undefined {
  const rs = resources.filter((r) => r.group === group && r.version === version);
  if (!rs.length) return undefined;
  const paths: Record<string, object> = {};
  for (const r of rs) {
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const ref = { $ref: `#/components/schemas/${schemaName(r)}` };
    const body = { content: { '*/*': { schema: ref } }, required: true };
    const ok = { 200: { description: 'OK', content: { 'application/json': { schema: ref } } } };
    const base = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
    paths[base] = {
      get: {
        operationId: `list${r.kind}`,
        'x-kubernetes-action': 'list',
        'x-kubernetes-group-version-kind': gvk,
        responses: ok,
      },
      post: {
        operationId: `create${r.kind}`,
        'x-kubernetes-action': 'post',
        'x-kubernetes-group-version-kind': gvk,
        parameters: [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation],
        requestBody: body,
        responses: ok,
      },
    };
    paths[`${base}/{name}`] = {
      get: {
        operationId: `read${r.kind}`,
        'x-kubernetes-action': 'get',
        'x-kubernetes-group-version-kind': gvk,
        responses: ok,
      },
      put: {
        operationId: `replace${r.kind}`,
        'x-kubernetes-action': 'put',
        'x-kubernetes-group-version-kind': gvk,
        parameters: [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation],
        requestBody: body,
        responses: ok,
      },
      patch: {
        operationId: `patch${r.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation, PARAMS.force],
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
            'application/apply-patch+yaml': { schema: { type: 'object' } },
          },
          required: true,
        },
        responses: ok,
      },
      delete: {
        operationId: `delete${r.kind}`,
        'x-kubernetes-action': 'delete',
        'x-kubernetes-group-version-kind': gvk,
        responses: ok,
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
    paths,
    components: { schemas: componentSchemas(false) },
  };
}

const hashes = new Map<string, string>();

function docHash(path: string): string {
  let h = hashes.get(path);
  if (!h) {
    const [g, v] = path.startsWith('api/') ? ['', path.slice(4)] : path.slice(5).split('/');
    h = createHash('sha512')
      .update(JSON.stringify(openApiV3Doc(g, v) ?? {}))
      .digest('hex')
      .slice(0, 128)
      .toUpperCase();
    hashes.set(path, h);
  }
  return h;
}

/** The `/openapi/v3` index: { paths: { "api/v1": { serverRelativeURL } } }. */
export function openApiV3Index(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const g of apiGroups())
    for (const v of g.versions) {
      const p = gvPath(g.name, v);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${docHash(p)}` };
    }
  return { paths };
}

/** Resolves `/openapi/v3/<path>` to a document, or undefined. */
export function openApiV3ForPath(path: string): object | undefined {
  const m = /^api\/([^/]+)$/.exec(path) ?? /^apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  return m.length === 2 ? openApiV3Doc('', m[1]) : openApiV3Doc(m[1], m[2]);
}

/** A Swagger 2.0 document with the same loose definitions (`/openapi/v2`, JSON only). */
export function openApiV2(): object {
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
    paths: {},
    definitions: componentSchemas(true),
  };
}
