/**
 * The schema table: every type Keelson serves, by name, and the root type of each
 * (apiVersion, kind). See types.ts for the format.
 */
import { appsV1Schemas } from './apps-v1';
import { batchV1Schemas } from './batch-v1';
import { coreV1Schemas } from './core-v1';
import { metaSchemas } from './meta';
import { otherSchemas } from './other';
import { rbacV1Schemas } from './rbac-v1';
import { policyV1Schemas } from './policy-v1';
import { networkingV1Schemas } from './networking-v1';
import { quotaV1Schemas } from './quota-v1';
import { autoscalingV2Schemas } from './autoscaling-v2';
import { coreV1StorageSchemas, storageV1Schemas } from './storage-v1';
import type { FieldSchema, TypeSchema } from './types';

export type { FieldSchema, FieldType, TypeSchema } from './types';

/** The OpenAPI package of each type ("io.k8s.api.core.v1", ...), by the table it comes from. */
export const typePackages: Readonly<Record<string, string>> = (() => {
  const out: Record<string, string> = {};
  const put = (tables: Record<string, TypeSchema>, pkg: string) => {
    for (const t of Object.keys(tables)) out[t] = pkg;
  };
  put(metaSchemas, 'io.k8s.apimachinery.pkg.apis.meta.v1');
  put(coreV1Schemas, 'io.k8s.api.core.v1');
  put(appsV1Schemas, 'io.k8s.api.apps.v1');
  put(batchV1Schemas, 'io.k8s.api.batch.v1');
  put(rbacV1Schemas, 'io.k8s.api.rbac.v1');
  put(policyV1Schemas, 'io.k8s.api.policy.v1');
  put(networkingV1Schemas, 'io.k8s.api.networking.v1');
  out.TypedLocalObjectReference = 'io.k8s.api.core.v1';
  put(quotaV1Schemas, 'io.k8s.api.core.v1');
  put(autoscalingV2Schemas, 'io.k8s.api.autoscaling.v2');
  put(coreV1StorageSchemas, 'io.k8s.api.core.v1');
  put(storageV1Schemas, 'io.k8s.api.storage.v1');
  for (const t of Object.keys(otherSchemas)) {
    out[t] = t.startsWith('Lease')
      ? 'io.k8s.api.coordination.v1'
      : t.startsWith('Scale')
        ? 'io.k8s.api.autoscaling.v1'
        : t === 'Eviction'
          ? 'io.k8s.api.policy.v1'
          : 'io.k8s.api.discovery.v1';
  }
  return out;
})();

/** Every type by name (core/v1 Container, apps/v1 DeploymentSpec, metav1 ObjectMeta ...). */
export const schemas: Readonly<Record<string, TypeSchema>> = {
  ...metaSchemas,
  ...coreV1Schemas,
  ...appsV1Schemas,
  ...batchV1Schemas,
  ...otherSchemas,
  ...rbacV1Schemas,
  ...policyV1Schemas,
  ...networkingV1Schemas,
  ...quotaV1Schemas,
  ...autoscalingV2Schemas,
  ...coreV1StorageSchemas,
  ...storageV1Schemas,
};

/** Root kinds by apiVersion: "v1/Pod" → "Pod". Includes Status, DeleteOptions, Binding, Eviction, Scale, Table. */
const ROOTS: Record<string, string> = {};
for (const [gv, kinds] of Object.entries({
  v1: [
    'Namespace',
    'Pod',
    'Node',
    'Service',
    'Endpoints',
    'ConfigMap',
    'Secret',
    'ServiceAccount',
    'Event',
    'Binding',
    'ComponentStatus',
    'Status',
    'DeleteOptions',
    'PersistentVolume',
    'PersistentVolumeClaim',
  ],
  'apps/v1': ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ControllerRevision'],
  'batch/v1': ['Job', 'CronJob'],
  'coordination.k8s.io/v1': ['Lease'],
  'discovery.k8s.io/v1': ['EndpointSlice'],
  'autoscaling/v1': ['Scale'],
  'policy/v1': ['Eviction', 'PodDisruptionBudget'],
  'networking.k8s.io/v1': ['Ingress', 'IngressClass', 'NetworkPolicy'],
  'autoscaling/v2': ['HorizontalPodAutoscaler'],
  'rbac.authorization.k8s.io/v1': ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
  'storage.k8s.io/v1': ['StorageClass'],
  'meta.k8s.io/v1': ['Table', 'Status', 'DeleteOptions'],
})) {
  for (const k of kinds) ROOTS[`${gv}/${k}`] = k;
}
// core/v1 kinds whose tables live in quota-v1.ts
for (const k of ['ResourceQuota', 'LimitRange']) ROOTS[`v1/${k}`] = k;

/** Every top-level (apiVersion, kind) with a schema, e.g. {apiVersion: "apps/v1", kind: "Deployment"}. */
export function rootKinds(): { apiVersion: string; kind: string }[] {
  return Object.keys(ROOTS).map((k) => {
    const i = k.lastIndexOf('/');
    return { apiVersion: k.slice(0, i), kind: k.slice(i + 1) };
  });
}

/** The schema type name of a top-level object, or undefined when Keelson has no schema for it. */
export function schemaTypeFor(apiVersion: string, kind: string): string | undefined {
  return ROOTS[`${apiVersion}/${kind}`];
}

/** One list field's strategic-merge-patch metadata. */
export interface PatchMeta {
  /** The element field that identifies list items, e.g. "name"; absent for primitive lists merged as sets. */
  patchMergeKey?: string;
  /** "merge", "retainKeys" or "merge,retainKeys". */
  patchStrategy: string;
}

/**
 * Strategic merge patch metadata: type name → field → {patchMergeKey, patchStrategy}, e.g.
 * patchMeta.PodSpec.containers = {patchMergeKey: "name", patchStrategy: "merge"},
 * patchMeta.Container.ports = {patchMergeKey: "containerPort", ...}, patchMeta.ObjectMeta.finalizers =
 * {patchStrategy: "merge"}. Lists absent here (tolerations, args ...) are replaced atomically.
 */
export const patchMeta: Readonly<Record<string, Record<string, PatchMeta>>> = (() => {
  const out: Record<string, Record<string, PatchMeta>> = {};
  for (const [t, fields] of Object.entries(schemas)) {
    for (const [f, s] of Object.entries(fields)) {
      if (s.patchStrategy) {
        (out[t] ??= {})[f] = s.patchMergeKey
          ? { patchMergeKey: s.patchMergeKey, patchStrategy: s.patchStrategy }
          : { patchStrategy: s.patchStrategy };
      }
    }
  }
  return out;
})();

/**
 * Follows a field path (["spec", "template", "spec", "containers"]) from a root type and returns the
 * field schema it lands on; array/map steps are implied (a path names fields only). Used by the
 * strategic merge patch to find the merge key of a nested list.
 */
export function fieldSchemaAt(typeName: string, path: string[]): FieldSchema | undefined {
  let cur: FieldSchema | undefined = { type: 'object', ref: typeName };
  for (const step of path) {
    while (cur && (cur.type === 'array' || cur.type === 'map')) cur = cur.items;
    if (!cur || cur.type !== 'object' || !cur.ref) return undefined;
    cur = schemas[cur.ref]?.[step];
  }
  return cur;
}
