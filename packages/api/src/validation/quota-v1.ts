/**
 * Validation of core/v1 ResourceQuota and LimitRange (kubernetes pkg/apis/core/validation
 * ValidateResourceQuota, ValidateLimitRange): quota resource names and values, scopes; limit
 * types and the min ≤ defaultRequest ≤ default ≤ max ordering. Messages as upstream's.
 */
import type { StatusCause } from '../meta';
import { parseQuantity, type QuantityValue } from '../quantity';
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from '../status';
import { isQualifiedName } from './names';

type Any = any;
type Out = StatusCause[];

const STANDARD_QUOTA = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
]);
const INTEGER_QUOTA = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);
const SCOPES = [
  'BestEffort',
  'CrossNamespacePodAffinity',
  'NotBestEffort',
  'NotTerminating',
  'PriorityClass',
  'Terminating',
];
const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

function q(v: unknown): QuantityValue | undefined {
  try {
    return typeof v === 'string' ? parseQuantity(v) : undefined;
  } catch {
    return undefined;
  }
}

function validateQuota(o: Any): Out {
  const out: Out = [];
  const check = (list: Record<string, string> | undefined, path: string) => {
    for (const [k, v] of Object.entries(list ?? {})) {
      const p = `${path}[${k}]`;
      for (const m of isQualifiedName(k)) out.push(fieldInvalid(p, k, m));
      const hugepages = /^(requests\.)?hugepages-/.test(k);
      if (!k.includes('/') && !STANDARD_QUOTA.has(k) && !hugepages)
        out.push(fieldInvalid(p, k, 'must be a standard resource for quota'));
      const value = q(v);
      if (!value) continue;
      if (value.sign() < 0) out.push(fieldInvalid(p, v, 'must be greater than or equal to 0'));
      if ((INTEGER_QUOTA.has(k) || k.startsWith('count/')) && value.milliValue() % 1000 !== 0)
        out.push(fieldInvalid(p, v, 'must be an integer'));
    }
  };
  check(o.spec?.hard, 'spec.hard');
  check(o.status?.hard, 'status.hard');
  check(o.status?.used, 'status.used');
  ((o.spec?.scopes ?? []) as string[]).forEach((s, i) => {
    if (!SCOPES.includes(s)) out.push(fieldNotSupported(`spec.scopes[${i}]`, s, SCOPES));
  });
  return out;
}

function validateLimitRange(o: Any): Out {
  const out: Out = [];
  const limits: Any[] = o.spec?.limits ?? [];
  if (!o.spec) out.push(fieldRequired('spec.limits', ''));
  limits.forEach((item, i) => {
    const path = `spec.limits[${i}]`;
    if (!item.type) out.push(fieldRequired(`${path}.type`, ''));
    else if (!LIMIT_TYPES.includes(item.type) && !item.type.includes('/'))
      out.push(fieldNotSupported(`${path}.type`, item.type, LIMIT_TYPES));
    if (item.type === 'Pod') {
      if (item.default && Object.keys(item.default).length)
        out.push(fieldForbidden(`${path}.default`, "may not be specified when `type` is 'Pod'"));
      if (item.defaultRequest && Object.keys(item.defaultRequest).length)
        out.push(fieldForbidden(`${path}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    const names = new Set<string>();
    for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'])
      for (const [k, v] of Object.entries((item[f] ?? {}) as Record<string, string>)) {
        names.add(k);
        const value = q(v);
        if (value && value.sign() < 0)
          out.push(fieldInvalid(`${path}.${f}[${k}]`, v, 'must be greater than or equal to 0'));
      }
    for (const k of names)
      for (const [small, large, field, smallWord, largeWord] of LIMIT_ORDER) {
        const a = q(item[small]?.[k]);
        const b = q(item[large]?.[k]);
        if (a && b && a.cmp(b) > 0)
          out.push(
            fieldInvalid(
              `${path}.${field}[${k}]`,
              item[field][k],
              `${smallWord} value ${item[small][k]} is greater than ${largeWord} value ${item[large][k]}`,
            ),
          );
      }
  });
  return out;
}

/**
 * The orderings a LimitRange item's values must keep per resource (upstream ValidateLimitRange):
 * [smaller field, larger field, the field the error is reported on, and how upstream's message
 * names the two values].
 */
const LIMIT_ORDER: Array<[string, string, string, string, string]> = [
  ['min', 'max', 'min', 'min', 'max'],
  ['min', 'defaultRequest', 'defaultRequest', 'min', 'default request'],
  ['defaultRequest', 'max', 'defaultRequest', 'default request', 'max'],
  ['defaultRequest', 'default', 'defaultRequest', 'default request', 'default limit'],
  ['min', 'default', 'default', 'min', 'default'],
  ['default', 'max', 'default', 'default', 'max'],
];

/** Validators of ResourceQuota and LimitRange by "apiVersion/Kind" (merged into validateObject's table). */
export const quotaValidators: Record<string, (o: Any, old: Any) => StatusCause[]> = {
  'v1/ResourceQuota': (o) => validateQuota(o),
  'v1/LimitRange': (o) => validateLimitRange(o),
};
