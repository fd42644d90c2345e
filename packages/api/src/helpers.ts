/**
 * Small shared helpers over the object model: pod readiness and requests, conditions, owner
 * references, object keys, timestamps.
 */
import type { Container, Pod } from './core-v1';
import type { KubeObject, OwnerReference, Time } from './meta';
import { QuantityValue } from './quantity';

/**
 * The current time (or `at`) as metav1.Time: RFC 3339, second precision, UTC, e.g. "2024-05-01T12:00:00Z".
 * @param at a Date or epoch milliseconds; defaults to now.
 */
export function nowTime(at: Date | number = Date.now()): Time {
  const d = typeof at === 'number' ? new Date(at) : at;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with microseconds, e.g. "2024-05-01T12:00:00.123000Z". */
export function nowMicroTime(at: Date | number = Date.now()): string {
  const d = typeof at === 'number' ? new Date(at) : at;
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The cache key of an object: "namespace/name", or "name" for cluster-scoped objects (MetaNamespaceKeyFunc). */
export function objectKey(obj: Pick<KubeObject, 'metadata'>): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

/** Splits a key from {@link objectKey} into namespace ("" when cluster-scoped) and name. */
export function splitObjectKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * An OwnerReference pointing at obj (metav1.NewControllerRef when controller): apiVersion, kind,
 * name, uid, and controller + blockOwnerDeletion = true when controller.
 */
export function ownerRefFor(obj: KubeObject, controller = true): OwnerReference {
  const ref: OwnerReference = {
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
  };
  if (controller) {
    ref.controller = true;
    ref.blockOwnerDeletion = true;
  }
  return ref;
}

/** The owner reference with controller=true, if any (metav1.GetControllerOf). */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Any condition shape (PodCondition, NodeCondition, DeploymentCondition, metav1.Condition ...). */
export interface ConditionLike {
  /** Condition type, e.g. "Ready", "Available". */
  type: string;
  /** "True", "False" or "Unknown". */
  status: string;
  /** When status last changed (RFC 3339). */
  lastTransitionTime?: Time | null;
  /** CamelCase machine-readable reason. */
  reason?: string;
  /** Human-readable detail. */
  message?: string;
}

/** The condition of the given type, if present. */
export function getCondition<C extends ConditionLike>(
  conditions: readonly C[] | undefined,
  type: string,
): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns a new list with cond set: replaces the condition of the same type, keeping its
 * lastTransitionTime when the status is unchanged, setting it to `now` when it changed (or when
 * cond brings none). Appends when absent. Does not mutate the input.
 */
export function setCondition<C extends ConditionLike>(
  conditions: readonly C[] | undefined,
  cond: C,
  now: Time = nowTime(),
): C[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === cond.type);
  const next = { ...cond };
  if (i >= 0) {
    const old = list[i];
    if (old.status === cond.status)
      next.lastTransitionTime = old.lastTransitionTime ?? cond.lastTransitionTime ?? now;
    else next.lastTransitionTime = cond.lastTransitionTime ?? now;
    list[i] = next;
  } else {
    next.lastTransitionTime = cond.lastTransitionTime ?? now;
    list.push(next);
  }
  return list;
}

/** Returns a new list without the condition of the given type. */
export function removeCondition<C extends ConditionLike>(
  conditions: readonly C[] | undefined,
  type: string,
): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** True when the pod's Ready condition is "True" (podutil.IsPodReady). */
export function isPodReady(pod: Pod): boolean {
  return getCondition(pod.status?.conditions, 'Ready')?.status === 'True';
}

/**
 * True when the pod has been Ready for at least minReadySeconds at `now` (podutil.IsPodAvailable).
 * @param now epoch milliseconds.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number = Date.now()): boolean {
  const c = getCondition(pod.status?.conditions, 'Ready');
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  if (!c.lastTransitionTime) return false;
  return Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 <= now;
}

/** True when the pod is Succeeded or Failed. */
export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * Resource amounts in integer units: `cpu` in millicores, everything else (memory,
 * ephemeral-storage, pods, extended resources) in its base unit (bytes, count).
 */
export type ResourceAmounts = Record<string, number>;

function toAmounts(list: Record<string, string> | undefined): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [name, q] of Object.entries(list ?? {})) {
    const v = QuantityValue.parse(q);
    out.set(name, name === 'cpu' ? v.scaledValueBig(-3) : v.scaledValueBig(0));
  }
  return out;
}

function addInto(a: Map<string, bigint>, b: Map<string, bigint>): void {
  for (const [k, v] of b) a.set(k, (a.get(k) ?? 0n) + v);
}

function maxInto(a: Map<string, bigint>, b: Map<string, bigint>): void {
  for (const [k, v] of b) if (!a.has(k) || a.get(k)! < v) a.set(k, v);
}

function containerRequests(c: Container): Map<string, bigint> {
  // A container that sets only limits gets requests = limits (core/v1 defaulting).
  const req = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
  return toAmounts(req);
}

/**
 * The effective requests of a pod (resourcehelper.PodRequests): the sum over containers, then the
 * max with each init container (sidecars — init containers with restartPolicy Always — add to the
 * running sum and to every later init container), plus spec.overhead. Containers with limits but
 * no requests count their limits. cpu in millicores, others in base units.
 * @throws QuantityParseError on a malformed quantity.
 */
export function podRequests(pod: Pod): ResourceAmounts {
  const spec = pod.spec;
  const reqs = new Map<string, bigint>();
  for (const c of spec?.containers ?? []) addInto(reqs, containerRequests(c));
  const sidecars = new Map<string, bigint>();
  const initMax = new Map<string, bigint>();
  for (const c of spec?.initContainers ?? []) {
    const cr = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      addInto(reqs, cr);
      addInto(sidecars, cr);
      maxInto(initMax, sidecars);
    } else {
      const tmp = new Map(cr);
      addInto(tmp, sidecars);
      maxInto(initMax, tmp);
    }
  }
  maxInto(reqs, initMax);
  if (spec?.overhead) addInto(reqs, toAmounts(spec.overhead));
  const out: ResourceAmounts = {};
  for (const [k, v] of reqs) out[k] = Number(v);
  if (out.cpu === undefined) out.cpu = 0;
  if (out.memory === undefined) out.memory = 0;
  return out;
}

/**
 * The pod's QoS class (qos.GetPodQOS): "Guaranteed" when every container has cpu and memory limits
 * equal to requests, "BestEffort" when none sets any request or limit, else "Burstable".
 */
export function podQOSClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    const relevant = (m: Record<string, string>) =>
      Object.keys(m).filter((k) => k === 'cpu' || k === 'memory');
    const nonZero = (m: Record<string, string>, k: string) => !QuantityValue.parse(m[k]).isZero();
    if (relevant(req).some((k) => nonZero(req, k)) || relevant(lim).some((k) => nonZero(lim, k))) any = true;
    for (const k of ['cpu', 'memory']) {
      if (!(k in lim)) guaranteed = false;
      else if (k in req && QuantityValue.parse(req[k]).cmp(QuantityValue.parse(lim[k])) !== 0)
        guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
