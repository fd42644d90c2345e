/** Schema tables for core/v1 ResourceQuota and LimitRange (quota-v1.ts). */
import { Q, S, SARR, arr, map, ref, req, type TypeSchema } from './types';

const RL = map(Q);

/** Schema tables of the core/v1 ResourceQuota and LimitRange types, by type name. */
export const quotaV1Schemas: Record<string, TypeSchema> = {
  ScopedResourceSelectorRequirement: { scopeName: req(S), operator: req(S), values: SARR },
  ScopeSelector: { matchExpressions: arr(ref('ScopedResourceSelectorRequirement')) },
  ResourceQuotaSpec: { hard: RL, scopes: SARR, scopeSelector: ref('ScopeSelector') },
  ResourceQuotaStatus: { hard: RL, used: RL },
  ResourceQuota: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    spec: ref('ResourceQuotaSpec'),
    status: ref('ResourceQuotaStatus'),
  },
  LimitRangeItem: {
    type: req(S),
    max: RL,
    min: RL,
    default: RL,
    defaultRequest: RL,
    maxLimitRequestRatio: RL,
  },
  LimitRangeSpec: { limits: req(arr(ref('LimitRangeItem'))) },
  LimitRange: { kind: S, apiVersion: S, metadata: ref('ObjectMeta'), spec: ref('LimitRangeSpec') },
};
