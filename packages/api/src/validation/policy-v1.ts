/**
 * Validation of policy/v1 PodDisruptionBudget (kubernetes pkg/apis/policy/validation
 * ValidatePodDisruptionBudget + status update): at most one of minAvailable/maxUnavailable,
 * each a non-negative integer or a percentage ≤ 100%, a valid selector, a known
 * unhealthyPodEvictionPolicy, non-negative status counters.
 */
import type { StatusCause } from '../meta';
import { fieldInvalid, fieldNotSupported } from '../status';
import { validateIntOrPercentValue, validateSelectorFields } from './common';

type Any = any;

const POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

function validatePdb(o: Any): StatusCause[] {
  const out: StatusCause[] = [];
  const s = o.spec ?? {};
  const has = (v: unknown) => v !== undefined && v !== null;
  if (has(s.minAvailable) && has(s.maxUnavailable))
    out.push(fieldInvalid('spec', s, 'minAvailable and maxUnavailable cannot be both set'));
  validateIntOrPercentValue(out, s.minAvailable, 'spec.minAvailable');
  validateIntOrPercentValue(out, s.maxUnavailable, 'spec.maxUnavailable');
  validateSelectorFields(out, s.selector, 'spec.selector');
  if (s.unhealthyPodEvictionPolicy && !POLICIES.includes(s.unhealthyPodEvictionPolicy))
    out.push(fieldNotSupported('spec.unhealthyPodEvictionPolicy', s.unhealthyPodEvictionPolicy, POLICIES));
  const st = o.status ?? {};
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'])
    if (typeof st[f] === 'number' && st[f] < 0)
      out.push(fieldInvalid(`status.${f}`, st[f], 'must be greater than or equal to 0'));
  return out;
}

/** Validators of the policy/v1 kinds by "apiVersion/Kind" (merged into validateObject's table). */
export const policyValidators: Record<string, (o: Any, old: Any) => StatusCause[]> = {
  'policy/v1/PodDisruptionBudget': (o) => validatePdb(o),
};
