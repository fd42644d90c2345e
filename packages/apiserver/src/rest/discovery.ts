/**
 * Discovery documents from the @keelson/api resource registry: `/api` (APIVersions), `/apis`
 * (APIGroupList), `/api/v1` and `/apis/<g>/<v>` (APIResourceList), and aggregated discovery
 * (apidiscovery.k8s.io/v2 APIGroupDiscoveryList), which kubectl ≥ 1.30 asks for first.
 */
import { groupVersion, resources, resourceVerbs, type ResourceInfo } from '@keelson/api';

/** The Content-Type of aggregated discovery v2. */
export const AGGREGATED_DISCOVERY_TYPE =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** The Kubernetes version Keelson reports (kubectl's dispatcher picks its binary by minor). */
export { KUBE_VERSION, versionInfo } from '@keelson/api';

/** Read-only resources and their verbs (upstream: componentstatuses are probed, never stored). */
const READ_ONLY_VERBS: Record<string, string[]> = { componentstatuses: ['get', 'list'] };

/** The discovery verbs of a resource. */
export function verbsOf(r: ResourceInfo): string[] {
  return [...((!r.group && READ_ONLY_VERBS[r.resource]) || resourceVerbs)];
}

interface SubInfo {
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

/** The kind and verbs of a subresource (as upstream reports them). */
export function subresourceInfo(r: ResourceInfo, sub: string): SubInfo {
  const own = { group: r.group, version: r.version };
  const rw = ['get', 'patch', 'update'];
  const proxyVerbs = ['create', 'delete', 'get', 'head', 'options', 'patch', 'put', 'update'];
  switch (sub) {
    case 'status':
      return { ...own, kind: r.kind, verbs: rw };
    case 'scale':
      return { group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: rw };
    case 'binding':
      return { ...own, kind: 'Binding', verbs: ['create'] };
    case 'eviction':
      return { group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] };
    case 'log':
      return { ...own, kind: 'Pod', verbs: ['get'] };
    case 'exec':
      return { ...own, kind: 'PodExecOptions', verbs: ['create', 'get'] };
    case 'attach':
      return { ...own, kind: 'PodAttachOptions', verbs: ['create', 'get'] };
    case 'portforward':
      return { ...own, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
    case 'proxy':
      return { ...own, kind: `${r.kind}ProxyOptions`, verbs: proxyVerbs };
    case 'finalize':
      return { ...own, kind: r.kind, verbs: ['update'] };
    case 'ephemeralcontainers':
      return { ...own, kind: r.kind, verbs: rw };
    case 'token':
      return { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] };
    default:
      return { ...own, kind: r.kind, verbs: ['get'] };
  }
}

/** API groups in discovery order: [{name, versions}] ("" = core). */
export function apiGroups(): Array<{ name: string; versions: string[] }> {
  const out: Array<{ name: string; versions: string[] }> = [];
  for (const r of resources) {
    let g = out.find((x) => x.name === r.group);
    if (!g) out.push((g = { name: r.group, versions: [] }));
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return out;
}

/** `/api`: APIVersions. */
export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `/apis`: APIGroupList (named groups only). */
export function apiGroupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroups()
      .filter((g) => g.name)
      .map((g) => ({
        name: g.name,
        versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${g.name}/${g.versions[0]}`, version: g.versions[0] },
      })),
  };
}

/** `/apis/<group>`: APIGroup; undefined when unknown. */
export function apiGroup(name: string): object | undefined {
  const g = apiGroups().find((x) => x.name === name && name);
  if (!g) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: g.name,
    versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${g.name}/${g.versions[0]}`, version: g.versions[0] },
  };
}

/** `/api/v1` or `/apis/<g>/<v>`: APIResourceList; undefined when the group/version is not served. */
export function apiResourceList(group: string, version: string): object | undefined {
  const rs = resources.filter((r) => r.group === group && r.version === version);
  if (!rs.length) return undefined;
  const list: object[] = [];
  for (const r of rs) {
    list.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    for (const s of r.subresources) {
      const si = subresourceInfo(r, s);
      list.push({
        name: `${r.resource}/${s}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(si.group !== r.group || si.version !== r.version ? { group: si.group, version: si.version } : {}),
        kind: si.kind,
        verbs: si.verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion({ group, version }),
    resources: list,
  };
}

/** Aggregated discovery for `/api` (core) or `/apis` (named groups). */
export function aggregatedDiscovery(core: boolean): object {
  const groups = apiGroups().filter((g) => (core ? g.name === '' : g.name !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((g) => ({
      metadata: g.name ? { name: g.name } : {},
      versions: g.versions.map((v) => ({
        version: v,
        freshness: 'Current',
        resources: resources
          .filter((r) => r.group === g.name && r.version === v)
          .map((r) => ({
            resource: r.resource,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: r.singular,
            verbs: verbsOf(r),
            ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
            ...(r.categories.length ? { categories: r.categories } : {}),
            ...(r.subresources.length
              ? {
                  subresources: r.subresources.map((s) => {
                    const si = subresourceInfo(r, s);
                    return {
                      subresource: s,
                      responseKind: { group: si.group, version: si.version, kind: si.kind },
                      verbs: si.verbs,
                    };
                  }),
                }
              : {}),
          })),
      })),
    })),
  };
}
