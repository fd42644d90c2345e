/**
 * Pods (upstream pkg/registry/core/pod/strategy.go): status reset to Pending with a QoS class on
 * create, spec mostly immutable on update, graceful deletion (DeleteOptions.gracePeriodSeconds,
 * else spec.terminationGracePeriodSeconds, else 30; 0 for unscheduled or finished pods).
 */
import type { KubeObject, StatusCause } from '@keelson/api';
import type { Strategy } from '../strategy';

type Pod = KubeObject & { spec?: any; status?: any };

/** Computes status.qosClass (Guaranteed, Burstable, BestEffort) from container resources. */
export function podQosClass(pod: Pod): string {
  const containers: any[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c?.resources?.requests ?? {};
    const lim = c?.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && String(req[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultPodSpec(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const list of [spec.containers, spec.initContainers])
    if (Array.isArray(list))
      for (const c of list) {
        if (!c || typeof c !== 'object') continue;
        if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
          const tag = c.image.includes('@') ? 'digest' : c.image.split('/').pop()!.split(':')[1];
          c.imagePullPolicy = tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
        }
        c.terminationMessagePath ??= '/dev/termination-log';
        c.terminationMessagePolicy ??= 'File';
        c.resources ??= {};
        if (Array.isArray(c.ports))
          for (const p of c.ports) if (p && typeof p === 'object') p.protocol ??= 'TCP';
      }
}

/** Applies pod-spec defaults (SetDefaults_PodSpec, SetDefaults_Container) in place; used by workload templates too. */
export function defaultPodTemplateSpec(spec: any): void {
  defaultPodSpec(spec);
}

const MUTABLE_SPEC =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function comparableSpec(spec: any): string {
  const s = JSON.parse(JSON.stringify(spec ?? {}));
  for (const list of [s.containers, s.initContainers])
    if (Array.isArray(list)) for (const c of list) if (c) delete c.image;
  delete s.activeDeadlineSeconds;
  delete s.tolerations;
  delete s.terminationGracePeriodSeconds;
  return JSON.stringify(s, Object.keys(flatKeys(s)).sort());
}
function flatKeys(o: any, acc: Record<string, true> = {}): Record<string, true> {
  if (o && typeof o === 'object')
    for (const [k, v] of Object.entries(o)) {
      acc[k] = true;
      flatKeys(v, acc);
    }
  return acc;
}

/** The pod strategy. */
export const podStrategy: Strategy = {
  statusSubresource: true,
  returnDeletedObject: true,
  prepareForCreate(obj) {
    const pod = obj as Pod;
    defaultPodSpec(pod.spec);
    pod.status = { phase: 'Pending', qosClass: podQosClass(pod) };
  },
  validateUpdate(obj, old) {
    const causes: StatusCause[] = [];
    if (comparableSpec((obj as Pod).spec) !== comparableSpec((old as Pod).spec))
      causes.push({ reason: 'FieldValueForbidden', message: `Forbidden: ${MUTABLE_SPEC}`, field: 'spec' });
    return causes;
  },
  prepareForUpdate(obj) {
    defaultPodSpec((obj as Pod).spec);
  },
  fields(obj) {
    const pod = obj as Pod;
    return {
      'spec.nodeName': pod.spec?.nodeName ?? '',
      'spec.restartPolicy': pod.spec?.restartPolicy ?? '',
      'spec.schedulerName': pod.spec?.schedulerName ?? '',
      'spec.serviceAccountName': pod.spec?.serviceAccountName ?? '',
      'spec.hostNetwork': String(!!pod.spec?.hostNetwork),
      'status.phase': pod.status?.phase ?? '',
      'status.podIP': pod.status?.podIP ?? '',
      'status.nominatedNodeName': pod.status?.nominatedNodeName ?? '',
    };
  },
  gracePeriod(obj, requested) {
    const pod = obj as Pod;
    if (!pod.spec?.nodeName) return 0;
    const phase = pod.status?.phase;
    if (phase === 'Failed' || phase === 'Succeeded') return 0;
    let g = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (g < 0) g = 1;
    return g;
  },
};
