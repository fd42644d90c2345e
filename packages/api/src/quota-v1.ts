/**
 * core/v1 ResourceQuota and LimitRange (k8s.io/api core/v1 types.go), kept apart from core-v1.ts.
 * Keelson stores and validates both; LimitRange container defaults are applied to new pods
 * (LimitRanger admission); quota usage is not tracked or enforced.
 */
import type { ResourceList } from './core-v1';
import type { KubeObject } from './meta';

/** core/v1 ScopedResourceSelectorRequirement; operator is In, NotIn, Exists or DoesNotExist. */
export interface ScopedResourceSelectorRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

/** core/v1 ScopeSelector. */
export interface ScopeSelector {
  matchExpressions?: ScopedResourceSelectorRequirement[];
}

/** core/v1 ResourceQuotaSpec: hard limits per resource name ("pods", "requests.cpu", "count/deployments.apps"). */
export interface ResourceQuotaSpec {
  hard?: ResourceList;
  /** Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass, CrossNamespacePodAffinity. */
  scopes?: string[];
  scopeSelector?: ScopeSelector;
}

/** core/v1 ResourceQuotaStatus. */
export interface ResourceQuotaStatus {
  hard?: ResourceList;
  used?: ResourceList;
}

/** core/v1 ResourceQuota. */
export interface ResourceQuota extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'ResourceQuota';
  spec?: ResourceQuotaSpec;
  status?: ResourceQuotaStatus;
}

/** core/v1 LimitRangeItem; type is "Container", "Pod" or "PersistentVolumeClaim". */
export interface LimitRangeItem {
  type: string;
  max?: ResourceList;
  min?: ResourceList;
  /** Default limits of containers that set none. */
  default?: ResourceList;
  /** Default requests of containers that set none. */
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

/** core/v1 LimitRangeSpec. */
export interface LimitRangeSpec {
  limits: LimitRangeItem[];
}

/** core/v1 LimitRange. */
export interface LimitRange extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'LimitRange';
  spec?: LimitRangeSpec;
}

/** The annotation the LimitRanger admission plugin leaves on pods it changed. */
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

/**
 * LimitRanger admission (kubernetes plugin/pkg/admission/limitranger), defaulting part: gives
 * each container and init container of a new pod the `default` limits and `defaultRequest`
 * requests of the namespace's LimitRanges' Container items for the resources it does not set,
 * and records what it set in the `kubernetes.io/limit-ranger` annotation ("LimitRanger plugin
 * set: cpu, memory request for container web; cpu limit for container web"). Run before pod
 * defaulting: a request is not defaulted where the container sets a limit (defaulting copies the
 * limit to the request, as upstream, where defaulting runs first). Min/max enforcement is not done.
 * Mutates pod (a raw, not yet validated pod object); malformed parts are skipped.
 */
export function applyLimitRangeDefaults(
  pod: { metadata?: { annotations?: Record<string, string> }; spec?: unknown },
  limitRanges: LimitRange[],
): void {
  const spec = pod.spec as { containers?: unknown; initContainers?: unknown } | undefined;
  if (!spec || typeof spec !== 'object') return;
  const notes: string[] = [];
  for (const [list, prefix] of [
    [spec.initContainers, 'init container'],
    [spec.containers, 'container'],
  ] as const) {
    if (!Array.isArray(list)) continue;
    for (const c of list as {
      name?: string;
      resources?: { limits?: ResourceList; requests?: ResourceList };
    }[]) {
      if (!c || typeof c !== 'object') continue;
      const r = (c.resources ??= {});
      if (typeof r !== 'object') continue;
      const userLimits = { ...(r.limits ?? {}) };
      const setLimits = new Set<string>();
      const setRequests = new Set<string>();
      for (const lr of limitRanges)
        for (const item of lr.spec?.limits ?? []) {
          if (item.type !== 'Container') continue;
          for (const [k, v] of Object.entries(item.default ?? {}))
            if (!(k in (r.limits ?? {}))) {
              (r.limits ??= {})[k] = v;
              setLimits.add(k);
            }
          for (const [k, v] of Object.entries(item.defaultRequest ?? {}))
            if (!(k in (r.requests ?? {})) && !(k in userLimits)) {
              (r.requests ??= {})[k] = v;
              setRequests.add(k);
            }
        }
      if (setRequests.size)
        notes.push(`${[...setRequests].sort().join(', ')} request for ${prefix} ${c.name}`);
      if (setLimits.size) notes.push(`${[...setLimits].sort().join(', ')} limit for ${prefix} ${c.name}`);
    }
  }
  if (notes.length) {
    pod.metadata ??= {};
    (pod.metadata.annotations ??= {})[LIMIT_RANGER_ANNOTATION] =
      `LimitRanger plugin set: ${notes.join('; ')}`;
  }
}
