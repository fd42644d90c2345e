/**
 * The resource registry: every kind Keelson serves, with its group, version, plural resource
 * name, scope and subresources, as Kubernetes discovery reports them (`kubectl api-resources`).
 * The apiserver serves discovery and routes from this table; clients map kinds to paths with it.
 */

/** One served resource, as in metav1.APIResource plus its group and version. */
export interface ResourceInfo {
  /** API group; "" for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural, the path segment: "pods". */
  resource: string;
  /** Lower-case singular: "pod". */
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** Served subresources, e.g. ["status", "binding", "log", "exec", "eviction"]. */
  subresources: string[];
  /** Discovery categories, e.g. ["all"]. */
  categories: string[];
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The verbs every Keelson resource supports (discovery `verbs`). */
export const resourceVerbs: readonly string[] = VERBS;

function r(
  group: string,
  version: string,
  kind: string,
  resource: string,
  namespaced: boolean,
  shortNames: string[] = [],
  subresources: string[] = [],
  categories: string[] = [],
): ResourceInfo {
  return {
    group,
    version,
    kind,
    resource,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames,
    subresources,
    categories,
  };
}

/** Every resource Keelson serves. Order is discovery order. */
export const resources: readonly ResourceInfo[] = [
  r('', 'v1', 'Namespace', 'namespaces', false, ['ns'], ['status', 'finalize']),
  r('', 'v1', 'Node', 'nodes', false, ['no'], ['status', 'proxy']),
  r(
    '',
    'v1',
    'Pod',
    'pods',
    true,
    ['po'],
    ['status', 'binding', 'log', 'exec', 'attach', 'portforward', 'eviction', 'ephemeralcontainers'],
    ['all'],
  ),
  r('', 'v1', 'Service', 'services', true, ['svc'], ['status', 'proxy'], ['all']),
  r('', 'v1', 'Endpoints', 'endpoints', true, ['ep']),
  r('', 'v1', 'ConfigMap', 'configmaps', true, ['cm']),
  r('', 'v1', 'Secret', 'secrets', true),
  r('', 'v1', 'Event', 'events', true, ['ev']),
  r('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa'], ['token']),
  r('', 'v1', 'ComponentStatus', 'componentstatuses', false, ['cs']),
  r('', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv'], ['status']),
  r('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc'], ['status']),
  r('apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], ['status', 'scale'], ['all']),
  r('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs'], ['status', 'scale'], ['all']),
  r('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts'], ['status', 'scale'], ['all']),
  r('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], ['status'], ['all']),
  r('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true),
  r('batch', 'v1', 'Job', 'jobs', true, [], ['status'], ['all']),
  r('batch', 'v1', 'CronJob', 'cronjobs', true, ['cj'], ['status'], ['all']),
  r('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  r('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  r('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  r('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  r('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb'], ['status']),
  r('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false),
  r('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, ['ing'], ['status']),
  r('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, ['netpol']),
  r('', 'v1', 'ResourceQuota', 'resourcequotas', true, ['quota'], ['status']),
  r('', 'v1', 'LimitRange', 'limitranges', true, ['limits']),
  r(
    'autoscaling',
    'v2',
    'HorizontalPodAutoscaler',
    'horizontalpodautoscalers',
    true,
    ['hpa'],
    ['status'],
    ['all'],
  ),
  // served for kubectl autoscale (v1.32 posts autoscaling/v1); the apiserver converts to the stored v2
  r(
    'autoscaling',
    'v1',
    'HorizontalPodAutoscaler',
    'horizontalpodautoscalers',
    true,
    ['hpa'],
    ['status'],
    ['all'],
  ),
  r('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, ['sc']),
];

/** The group/version string: "v1" for core, "apps/v1" otherwise. */
export function groupVersion(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/**
 * Finds a resource by kind ("Pod"), plural ("pods"), singular ("pod") or short name ("po"),
 * optionally restricted to an apiVersion ("apps/v1"). Returns undefined when none matches.
 */
export function findResource(name: string, apiVersion?: string): ResourceInfo | undefined {
  const lower = name.toLowerCase();
  return resources.find(
    (x) =>
      (apiVersion === undefined || groupVersion(x) === apiVersion) &&
      (x.kind === name || x.resource === lower || x.singular === lower || x.shortNames.includes(lower)),
  );
}

/** Finds a resource by its kind and apiVersion, e.g. ("apps/v1", "Deployment"). */
export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return resources.find((x) => groupVersion(x) === apiVersion && x.kind === kind);
}

/** Finds a resource by group, version and plural resource name, as a REST path names it. */
export function resourceForPath(group: string, version: string, resource: string): ResourceInfo | undefined {
  return resources.find((x) => x.group === group && x.version === version && x.resource === resource);
}
