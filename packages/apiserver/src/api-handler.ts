/**
 * Protocol-neutral API operations on a {@link ResourceRef}: the REST server and the gRPC service
 * both call these, so both speak exactly the same semantics and errors. Subresources:
 * `status` (all kinds with one), `scale` (autoscaling/v1 Scale of Deployment, ReplicaSet,
 * StatefulSet), `binding` and `eviction` (pods), `finalize` (namespaces).
 */
import {
  applyLimitRangeDefaults,
  groupVersion,
  resourceForPath,
  type DeleteOptions,
  type KubeList,
  type KubeObject,
  type LimitRange,
  type Pod,
  type ResourceInfo,
  type Status,
} from '@keelson/api';
import { ApiError, badRequest, conflict, failure, methodNotAllowed } from './errors';
import { admitEviction } from './eviction';
import { hpaV1ToV2, hpaV2ToV1, isHpaV1 } from './hpa-v1';
import { GenericRegistry, type ListOptions, type WriteOptions } from './registry/generic-registry';
import { applyPatch, parsePatch } from './rest/patch';
import type { CacheSink } from './watch-cache';
import type { ComponentStatuses } from './component-statuses';

/** Names a collection or object (the proto's ResourceRef). */
export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A write's result and the HTTP code to answer with. */
export interface HandlerResult {
  object: KubeObject | Status;
  code: number;
  warnings: string[];
}

const SCALABLE = new Set(['deployments', 'replicasets', 'statefulsets']);

/** 404 for an unknown resource (upstream's message). */
export function resourceNotFound(): ApiError {
  return new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', {}));
}

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** metav1.LabelSelector → its string form (metav1.FormatLabelSelector). */
export function formatLabelSelector(sel: any): string {
  if (!isObj(sel)) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of (sel.matchExpressions ?? []) as any[]) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** Builds the autoscaling/v1 Scale of a scalable object. */
export function toScale(obj: KubeObject): KubeObject {
  const o = obj as any;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector: formatLabelSelector(o.spec?.selector) },
  } as KubeObject;
}

/** The operations, over one {@link GenericRegistry}. */
export class ApiHandler {
  /**
   * @param componentStatuses serves `componentstatuses` (get and list only); without it the list
   *   is empty and every name is 404
   */
  constructor(
    readonly registry: GenericRegistry,
    private readonly componentStatuses?: ComponentStatuses,
  ) {}

  /** True for core/v1 componentstatuses: probed on read, never stored, read-only. */
  private probed(info: ResourceInfo): boolean {
    return info.group === '' && info.resource === 'componentstatuses';
  }

  /** 405 for a write or watch of a read-only resource. */
  private readOnly(info: ResourceInfo): void {
    if (this.probed(info)) throw methodNotAllowed();
  }

  /** The resource a ref names; 404 when unknown, 400 when a namespace is missing where required. */
  resolve(ref: ResourceRef, needName = false): ResourceInfo {
    const info = resourceForPath(ref.group ?? '', ref.version ?? '', ref.resource ?? '');
    if (!info) throw resourceNotFound();
    if (needName && !ref.name) throw badRequest('resource name may not be empty');
    if (needName && info.namespaced && !ref.namespace)
      throw badRequest('namespace is required for a namespaced resource');
    if (ref.subresource && !info.subresources.includes(ref.subresource)) throw resourceNotFound();
    return info;
  }

  private nsOf(info: ResourceInfo, ref: ResourceRef): string | undefined {
    return info.namespaced ? ref.namespace || undefined : undefined;
  }

  /** Create (POST), including pods/binding and pods/eviction. */
  async create(ref: ResourceRef, body: unknown, opts: WriteOptions = {}): Promise<HandlerResult> {
    const info = this.resolve(ref);
    if (isHpaV1(ref) && !ref.subresource) {
      const r = await this.create({ ...ref, version: 'v2' }, hpaV1ToV2(body), opts);
      return { ...r, object: hpaV2ToV1(r.object as KubeObject) };
    }
    this.readOnly(info);
    const sub = ref.subresource ?? '';
    if (sub === 'binding' && info.resource === 'pods')
      return this.bind(ref.namespace ?? '', ref.name ?? '', body);
    if (sub === 'eviction' && info.resource === 'pods') return this.evict(info, ref, body);
    if (sub) throw methodNotAllowed();
    if (ref.name) throw methodNotAllowed('POST is not supported on a named resource');
    let ns = this.nsOf(info, ref);
    if (info.namespaced && !ns)
      ns =
        (isObj(body) &&
          isObj(body.metadata) &&
          typeof body.metadata.namespace === 'string' &&
          body.metadata.namespace) ||
        'default';
    if (info.resource === 'pods' && info.group === '' && isObj(body)) await this.limitRanger(ns, body);
    const r = await this.registry.create(info, ns, body, opts);
    return { object: r.object, code: 201, warnings: r.warnings };
  }

  /** LimitRanger admission: the namespace's LimitRange container defaults on a new pod. */
  private async limitRanger(ns: string | undefined, pod: Record<string, any>): Promise<void> {
    const lrInfo = resourceForPath('', 'v1', 'limitranges');
    if (!lrInfo || !ns) return;
    const ranges = (await this.registry.list(lrInfo, ns)).items as LimitRange[];
    if (ranges.length) applyLimitRangeDefaults(pod, ranges);
  }

  private async bind(namespace: string, name: string, body: unknown): Promise<HandlerResult> {
    if (!isObj(body) || !isObj(body.target) || typeof body.target.name !== 'string' || !body.target.name)
      throw new ApiError(
        failure(422, 'Invalid', `Binding "${name}" is invalid: target.name: Required value`, {
          name,
          kind: 'Binding',
          causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }],
        }),
      );
    if (isObj(body.metadata) && body.metadata.name && body.metadata.name !== name)
      throw badRequest(
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    const node = body.target.name as string;
    const pods = resourceForPath('', 'v1', 'pods')!;
    const r = await this.registry.guaranteedUpdate(
      pods,
      namespace,
      name,
      (pod: any) => {
        if (pod.metadata.deletionTimestamp)
          throw conflict('', 'pods', name, `pod ${name} is being deleted, cannot be assigned to a host`);
        if (pod.spec?.nodeName)
          throw conflict('', 'pods', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
        pod.spec = { ...(pod.spec ?? {}), nodeName: node };
        pod.status ??= {};
        const conds: any[] = (pod.status.conditions ??= []);
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        const c = conds.find((x) => x.type === 'PodScheduled');
        if (c) Object.assign(c, { status: 'True', lastTransitionTime: now });
        else
          conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });
        return pod;
      },
      { fieldValidation: 'Ignore' },
      'binding',
    );
    return {
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
      code: 201,
      warnings: r.warnings,
    };
  }

  private async evict(info: ResourceInfo, ref: ResourceRef, body: unknown): Promise<HandlerResult> {
    const opts = (isObj(body) && isObj(body.deleteOptions) ? body.deleteOptions : {}) as DeleteOptions;
    const pod = await this.registry.get(info, ref.namespace, ref.name ?? '');
    if (!opts.dryRun?.length) await admitEviction(this.registry, pod as Pod);
    await this.registry.delete(info, ref.namespace, ref.name ?? '', opts);
    return {
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
      code: 201,
      warnings: [],
    };
  }

  /** Get, including `status` and `scale`. */
  async get(ref: ResourceRef, resourceVersion?: string): Promise<KubeObject> {
    if (isHpaV1(ref)) return hpaV2ToV1(await this.get({ ...ref, version: 'v2' }, resourceVersion));
    const info = this.resolve(ref, true);
    if (this.probed(info)) {
      if (!this.componentStatuses)
        throw new ApiError(failure(404, 'NotFound', `componentstatuses "${ref.name}" not found`));
      return this.componentStatuses.get(ref.name!);
    }
    const obj = await this.registry.get(info, this.nsOf(info, ref), ref.name!, resourceVersion);
    const sub = ref.subresource ?? '';
    if (sub === 'scale' && SCALABLE.has(info.resource)) return toScale(obj);
    if (sub === '' || sub === 'status' || sub === 'finalize' || sub === 'ephemeralcontainers') return obj;
    throw methodNotAllowed();
  }

  /** List. */
  async list(ref: ResourceRef, opts: ListOptions = {}): Promise<KubeList> {
    if (isHpaV1(ref)) {
      const l = await this.list({ ...ref, version: 'v2' }, opts);
      return { ...l, apiVersion: 'autoscaling/v1', items: l.items.map(hpaV2ToV1) };
    }
    const info = this.resolve(ref);
    if (ref.subresource) throw methodNotAllowed();
    if (this.probed(info)) {
      const all = this.componentStatuses
        ? await this.componentStatuses.list()
        : { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items: [] };
      if (ref.name) all.items = all.items.filter((o) => o.metadata.name === ref.name);
      return all;
    }
    if (ref.name) {
      opts = {
        ...opts,
        fieldSelector: [opts.fieldSelector, `metadata.name=${ref.name}`].filter(Boolean).join(','),
      };
    }
    return this.registry.list(info, this.nsOf(info, ref), opts);
  }

  /** Update (PUT), including `status`, `scale` and `finalize`. */
  async update(ref: ResourceRef, body: unknown, opts: WriteOptions = {}): Promise<HandlerResult> {
    const info = this.resolve(ref, true);
    this.readOnly(info);
    const ns = this.nsOf(info, ref);
    const sub = ref.subresource ?? '';
    if (isHpaV1(ref)) return this.updateHpaV1(ref, ns, () => body, opts);
    if (sub === 'scale' && SCALABLE.has(info.resource))
      return this.updateScale(info, ns, ref.name!, () => body, opts);
    if (sub !== '' && sub !== 'status' && !(sub === 'finalize' && info.resource === 'namespaces'))
      throw methodNotAllowed();
    const r = await this.registry.update(info, ns, ref.name!, body, opts, sub as '' | 'status' | 'finalize');
    return { object: r.object, code: 200, warnings: r.warnings };
  }

  private async updateScale(
    info: ResourceInfo,
    ns: string | undefined,
    name: string,
    makeScale: (current: KubeObject) => unknown,
    opts: WriteOptions,
  ): Promise<HandlerResult> {
    const r = await this.registry.guaranteedUpdate(
      info,
      ns,
      name,
      (obj: any) => {
        const scale = makeScale(toScale(obj));
        if (!isObj(scale)) throw badRequest('the body of the request was not a JSON object: expected Scale');
        const replicas = scale.spec?.replicas;
        if (
          replicas !== undefined &&
          (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
        )
          throw new ApiError(
            failure(
              422,
              'Invalid',
              `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
              {
                name,
                group: 'autoscaling',
                kind: 'Scale',
                causes: [
                  {
                    reason: 'FieldValueInvalid',
                    message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
                    field: 'spec.replicas',
                  },
                ],
              },
            ),
          );
        obj.spec = { ...(obj.spec ?? {}), replicas: replicas ?? 0 };
        const rv = scale.metadata?.resourceVersion;
        obj.metadata.resourceVersion = rv ? String(rv) : obj.metadata.resourceVersion;
        return obj;
      },
      opts,
    );
    return { object: toScale(r.object), code: 200, warnings: r.warnings };
  }

  /** PUT/PATCH of autoscaling/v1 HPAs: the change is made to the v1 view and stored as v2. */
  private async updateHpaV1(
    ref: ResourceRef,
    ns: string | undefined,
    change: (v1: KubeObject) => unknown,
    opts: WriteOptions,
  ): Promise<HandlerResult> {
    const sub = ref.subresource ?? '';
    if (sub !== '' && sub !== 'status') throw methodNotAllowed();
    const v2 = this.resolve({ ...ref, version: 'v2' }, true);
    const r = await this.registry.guaranteedUpdate(
      v2,
      ns,
      ref.name!,
      (cur) => {
        const next = change(hpaV2ToV1(cur));
        const out = hpaV1ToV2(next, cur) as KubeObject;
        if (!isObj(out))
          throw badRequest('the body of the request was not a JSON object: expected HorizontalPodAutoscaler');
        const rv = isObj(next) && isObj(next.metadata) ? next.metadata.resourceVersion : undefined;
        out.metadata = {
          ...(isObj(out.metadata) ? out.metadata : {}),
          resourceVersion: rv ? String(rv) : cur.metadata.resourceVersion,
        };
        if (sub === 'status') return { ...cur, status: (out as any).status } as KubeObject;
        return { ...out, status: (cur as any).status } as KubeObject;
      },
      opts,
      sub as '' | 'status',
    );
    return { object: hpaV2ToV1(r.object), code: 200, warnings: r.warnings };
  }

  /** Patch, including `status` and `scale`; apply patches create missing objects. */
  async patch(
    ref: ResourceRef,
    patchType: string,
    body: Buffer,
    opts: WriteOptions = {},
  ): Promise<HandlerResult> {
    const info = this.resolve(ref, true);
    this.readOnly(info);
    const ns = this.nsOf(info, ref);
    const sub = ref.subresource ?? '';
    const patch = parsePatch(patchType, body);
    if (isHpaV1(ref)) return this.updateHpaV1(ref, ns, (v1) => applyPatch(patchType, v1, patch, true), opts);
    if (patchType === 'application/apply-patch+yaml' && !opts.fieldManager)
      throw new ApiError(
        failure(
          422,
          'Invalid',
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          {
            causes: [
              {
                reason: 'FieldValueRequired',
                message: 'Required value: is required for apply patch',
                field: 'fieldManager',
              },
            ],
          },
        ),
      );
    if (sub === 'scale' && SCALABLE.has(info.resource))
      return this.updateScale(
        info,
        ns,
        ref.name!,
        (scale) => applyPatch(patchType, scale, patch, true),
        opts,
      );
    if (sub !== '' && sub !== 'status' && sub !== 'ephemeralcontainers') throw methodNotAllowed();
    try {
      const r = await this.registry.guaranteedUpdate(
        info,
        ns,
        ref.name!,
        (cur) => {
          const patched = applyPatch(patchType, cur, patch, true);
          if (isObj(patched) && isObj(patched.metadata) && patchType !== 'application/json-patch+json') {
            // a resourceVersion only acts as a precondition when the patch itself carries one
            if (!(isObj(patch) && isObj(patch.metadata) && patch.metadata.resourceVersion))
              patched.metadata.resourceVersion = cur.metadata.resourceVersion;
          }
          return patched;
        },
        opts,
        sub as '' | 'status' | 'ephemeralcontainers',
      );
      return { object: r.object, code: 200, warnings: r.warnings };
    } catch (err) {
      if (
        patchType === 'application/apply-patch+yaml' &&
        err instanceof ApiError &&
        err.code === 404 &&
        sub === ''
      ) {
        const r = await this.registry.create(info, ns, patch, opts);
        return { object: r.object, code: 201, warnings: r.warnings };
      }
      throw err;
    }
  }

  /** Delete (202 while deletion is pending, 200 once gone). */
  async delete(ref: ResourceRef, opts: DeleteOptions = {}): Promise<HandlerResult> {
    if (isHpaV1(ref)) {
      const r = await this.delete({ ...ref, version: 'v2' }, opts);
      return { ...r, object: hpaV2ToV1(r.object as KubeObject) };
    }
    const info = this.resolve(ref, true);
    this.readOnly(info);
    if (ref.subresource) throw methodNotAllowed();
    if (opts !== null && !isObj(opts)) throw badRequest('DeleteOptions must be a JSON object');
    const r = await this.registry.delete(info, this.nsOf(info, ref), ref.name!, opts ?? {});
    return { object: r.object, code: r.deleted ? 200 : 202, warnings: [] };
  }

  /** Delete every object a list selects. */
  async deleteCollection(
    ref: ResourceRef,
    listOpts: ListOptions,
    opts: DeleteOptions = {},
  ): Promise<KubeList> {
    if (isHpaV1(ref)) {
      const l = await this.deleteCollection({ ...ref, version: 'v2' }, listOpts, opts);
      return { ...l, apiVersion: 'autoscaling/v1', items: l.items.map(hpaV2ToV1) };
    }
    const info = this.resolve(ref);
    this.readOnly(info);
    if (ref.subresource || ref.name) throw methodNotAllowed();
    return this.registry.deleteCollection(info, this.nsOf(info, ref), listOpts, opts ?? {});
  }

  /** Watch a collection (or one object when ref.name is set). Returns a stop function. */
  async watch(ref: ResourceRef, opts: ListOptions, sink: CacheSink): Promise<() => void> {
    if (isHpaV1(ref))
      return this.watch({ ...ref, version: 'v2' }, opts, {
        event: (type, obj) => sink.event(type, hpaV2ToV1(obj)),
        end: (err) => sink.end(err),
      });
    const info = this.resolve(ref);
    this.readOnly(info);
    if (ref.subresource) throw methodNotAllowed();
    return this.registry.watch(info, this.nsOf(info, ref), opts, sink, ref.name || undefined);
  }

  /** kind and apiVersion of list items for a ref. */
  gvk(ref: ResourceRef): { apiVersion: string; kind: string } {
    const info = this.resolve(ref);
    return { apiVersion: groupVersion(info), kind: info.kind };
  }
}
