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
    for (const k of names) {
      const min = q(item.min?.[k]);
      const max = q(item.max?.[k]);
      const def = q(item.default?.[k]);
      const req = q(item.defaultRequest?.[k]);
      const s = (f: string) => item[f][k];
      if (min && max && min.cmp(max) > 0)
        out.push(
          fieldInvalid(
            `${path}.min[${k}]`,
            s('min'),
            `min value ${s('min')} is greater than max value ${s('max')}`,
          ),
        );
      if (req && min && min.cmp(req) > 0)
        out.push(
          fieldInvalid(
            `${path}.defaultRequest[${k}]`,
            s('defaultRequest'),
            `min value ${s('min')} is greater than default request value ${s('defaultRequest')}`,
          ),
        );
      if (req && max && req.cmp(max) > 0)
        out.push(
          fieldInvalid(
            `${path}.defaultRequest[${k}]`,
            s('defaultRequest'),
            `default request value ${s('defaultRequest')} is greater than max value ${s('max')}`,
          ),
        );
      if (req && def && req.cmp(def) > 0)
        out.push(
          fieldInvalid(
            `${path}.defaultRequest[${k}]`,
            s('defaultRequest'),
            `default request value ${s('defaultRequest')} is greater than default limit value ${s('default')}`,
          ),
        );
      if (def && min && min.cmp(def) > 0)
        out.push(
          fieldInvalid(
            `${path}.default[${k}]`,
            s('default'),
            `min value ${s('min')} is greater than default value ${s('default')}`,
          ),
        );
      if (def && max && def.cmp(max) > 0)
        out.push(
          fieldInvalid(
            `${path}.default[${k}]`,
            s('default'),
            `default value ${s('default')} is greater than max value ${s('max')}`,
          ),
        );
    }
  });
  return out;
}

/** Validators of ResourceQuota and LimitRange by "apiVersion/Kind" (merged into validateObject's table). */
export const quotaValidators: Record<string, (o: Any, old: Any) => StatusCause[]> = {
  'v1/ResourceQuota': (o) => validateQuota(o),
  'v1/LimitRange': (o) => validateLimitRange(o),
};
