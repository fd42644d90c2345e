/**
 * Validation of autoscaling/v2 HorizontalPodAutoscaler (kubernetes pkg/apis/autoscaling/validation):
 * scale target reference, replica bounds, metric sources and targets, scaling behavior.
 */
import type { StatusCause } from '../meta';
import { fieldInvalid, fieldNotSupported, fieldRequired } from '../status';

type Any = any;
type Out = StatusCause[];

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const TARGET_TYPES = ['AverageValue', 'Utilization', 'Value'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];
const SOURCE_FIELD: Record<string, string> = {
  Resource: 'resource',
  ContainerResource: 'containerResource',
  Pods: 'pods',
  Object: 'object',
  External: 'external',
};

function validateTarget(out: Out, t: Any, path: string): void {
  if (!t) {
    out.push(fieldRequired(path, 'must specify a metric target'));
    return;
  }
  if (!t.type) out.push(fieldRequired(`${path}.type`, 'must specify a metric target type'));
  else if (!TARGET_TYPES.includes(t.type)) out.push(fieldNotSupported(`${path}.type`, t.type, TARGET_TYPES));
  if (typeof t.averageUtilization === 'number' && t.averageUtilization < 1)
    out.push(fieldInvalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  if (t.value === undefined && t.averageValue === undefined && t.averageUtilization === undefined)
    out.push(fieldRequired(path, 'must set either a target value or averageValue or averageUtilization'));
}

function validateMetric(out: Out, m: Any, path: string): void {
  if (!m.type) {
    out.push(fieldRequired(`${path}.type`, 'must specify a metric source type'));
    return;
  }
  if (!METRIC_TYPES.includes(m.type)) {
    out.push(fieldNotSupported(`${path}.type`, m.type, METRIC_TYPES));
    return;
  }
  const f = SOURCE_FIELD[m.type];
  for (const other of Object.values(SOURCE_FIELD))
    if (other !== f && m[other])
      out.push(fieldInvalid(path, m.type, `must populate the given metric source only`));
  const src = m[f];
  if (!src) {
    out.push(fieldRequired(`${path}.${f}`, `must populate information for the given metric source`));
    return;
  }
  if ((m.type === 'Resource' || m.type === 'ContainerResource') && !src.name)
    out.push(fieldRequired(`${path}.${f}.name`, 'must specify a resource name'));
  if (m.type === 'ContainerResource' && !src.container)
    out.push(fieldRequired(`${path}.${f}.container`, 'must specify a container'));
  if (['Pods', 'Object', 'External'].includes(m.type) && !src.metric?.name)
    out.push(fieldRequired(`${path}.${f}.metric.name`, 'must specify a metric name'));
  if (m.type === 'Object') {
    if (!src.describedObject?.kind) out.push(fieldRequired(`${path}.object.describedObject.kind`, ''));
    if (!src.describedObject?.name) out.push(fieldRequired(`${path}.object.describedObject.name`, ''));
  }
  validateTarget(out, src.target, `${path}.${f}.target`);
}

function validateRules(out: Out, r: Any, path: string): void {
  if (!r) return;
  const w = r.stabilizationWindowSeconds;
  if (typeof w === 'number' && (w < 0 || w > 3600))
    out.push(fieldInvalid(`${path}.stabilizationWindowSeconds`, w, 'must be less than or equal to 3600'));
  if (r.selectPolicy && !SELECT_POLICIES.includes(r.selectPolicy))
    out.push(fieldNotSupported(`${path}.selectPolicy`, r.selectPolicy, SELECT_POLICIES));
  ((r.policies ?? []) as Any[]).forEach((p, i) => {
    const pp = `${path}.policies[${i}]`;
    if (!POLICY_TYPES.includes(p.type)) out.push(fieldNotSupported(`${pp}.type`, p.type ?? '', POLICY_TYPES));
    if (!(p.value > 0)) out.push(fieldInvalid(`${pp}.value`, p.value, 'must be greater than zero'));
    if (!(p.periodSeconds > 0))
      out.push(fieldInvalid(`${pp}.periodSeconds`, p.periodSeconds, 'must be greater than zero'));
    else if (p.periodSeconds > 1800)
      out.push(fieldInvalid(`${pp}.periodSeconds`, p.periodSeconds, 'must be less than or equal to 1800'));
  });
}

function validateHpa(o: Any): Out {
  const out: Out = [];
  const s = o.spec;
  if (!s) return [fieldRequired('spec', '')];
  const ref = s.scaleTargetRef ?? {};
  if (!ref.kind) out.push(fieldRequired('spec.scaleTargetRef.kind', ''));
  if (!ref.name) out.push(fieldRequired('spec.scaleTargetRef.name', ''));
  if (typeof s.minReplicas === 'number' && s.minReplicas < 1)
    out.push(fieldInvalid('spec.minReplicas', s.minReplicas, 'must be greater than or equal to 1'));
  if (!(s.maxReplicas >= 1))
    out.push(fieldInvalid('spec.maxReplicas', s.maxReplicas ?? 0, 'must be greater than 0'));
  else if (typeof s.minReplicas === 'number' && s.maxReplicas < s.minReplicas)
    out.push(
      fieldInvalid('spec.maxReplicas', s.maxReplicas, 'must be greater than or equal to `minReplicas`'),
    );
  ((s.metrics ?? []) as Any[]).forEach((m, i) => validateMetric(out, m, `spec.metrics[${i}]`));
  validateRules(out, s.behavior?.scaleUp, 'spec.behavior.scaleUp');
  validateRules(out, s.behavior?.scaleDown, 'spec.behavior.scaleDown');
  return out;
}

/** Validators of autoscaling/v2 kinds by "apiVersion/Kind" (merged into validateObject's table). */
export const autoscalingValidators: Record<string, (o: Any, old: Any) => StatusCause[]> = {
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => validateHpa(o),
};
