/**
 * Pure Deployment rollout arithmetic (k8s.io/kubernetes pkg/controller/deployment/util):
 * template hashing, surge/unavailable fenceposts, the next size of the new and old ReplicaSets,
 * proportional scaling, revisions, status and conditions. No I/O; every function here is a
 * function of its arguments.
 */
import type { Deployment, GenericCondition, ReplicaSet } from '../types';
import { parseTime, rfc3339 } from '../util/clock';
import { scaledValue } from '../util/intstr';
import { clone, deepEqual, stableStringify } from '../util/objects';

/** Label on ReplicaSets and their pods naming the template hash. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';
/** Annotation: the rollout revision of a Deployment / ReplicaSet. */
export const REVISION = 'deployment.kubernetes.io/revision';
/** Annotation: earlier revisions a ReplicaSet held (rollbacks). */
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
/** Annotation: the Deployment's replicas when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
/** Annotation: replicas + maxSurge when the ReplicaSet was last scaled. */
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

/** Progressing condition reasons (deployment/util). */
export const Reasons = {
  NewRSCreated: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  RSUpdated: 'ReplicaSetUpdated',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  FailedRSCreate: 'ReplicaSetCreateError',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: maps each character to a vowel-free alphabet (no bad words). */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** FNV-1a 32-bit over bytes. */
export function fnv32a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Drops JSON nulls, empty objects and empty arrays (recursively), so templates compare the way
 * upstream's typed structs do: `creationTimestamp: null` (which kubectl sends in a rollback
 * patch) equals a missing field.
 */
export function normalizeTemplate<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => normalizeTemplate(x)) as T;
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === null || x === undefined) continue;
    const n = normalizeTemplate(x);
    if (
      typeof n === 'object' &&
      n !== null &&
      (Array.isArray(n) ? n.length === 0 : Object.keys(n).length === 0)
    )
      continue;
    out[k] = n;
  }
  return out as T;
}

/**
 * controller.ComputeHash: FNV-32a of the template's stable JSON, then the collision count's 4
 * little-endian bytes when set, rendered as the decimal string through SafeEncodeString.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  const json = new TextEncoder().encode(stableStringify(normalizeTemplate(template)));
  let bytes = json;
  if (collisionCount !== undefined && collisionCount !== null) {
    bytes = new Uint8Array(json.length + 4);
    bytes.set(json);
    new DataView(bytes.buffer).setUint32(json.length, collisionCount >>> 0, true);
  }
  return safeEncodeString(String(fnv32a(bytes)));
}

/** EqualIgnoreHash: templates equal once the pod-template-hash label is dropped from both. */
export function equalIgnoreHash(
  a: ReplicaSet['spec']['template'],
  b: ReplicaSet['spec']['template'],
): boolean {
  const strip = (t: ReplicaSet['spec']['template']) => {
    const c = clone(t) ?? {};
    if (c.metadata?.labels) {
      delete c.metadata.labels[POD_TEMPLATE_HASH];
      if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
    }
    return normalizeTemplate(c);
  };
  return deepEqual(strip(a), strip(b));
}

/** spec.replicas with its API default 1. */
export function replicasOf(x: { spec: { replicas?: number } }): number {
  return x.spec.replicas ?? 1;
}

/** True for the RollingUpdate strategy (the API default). */
export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/**
 * ResolveFenceposts: maxSurge rounds up, maxUnavailable rounds down (both default "25%");
 * when both resolve to 0, maxUnavailable becomes 1. Returns [surge, unavailable].
 */
export function resolveFenceposts(
  maxSurge: number | string | undefined,
  maxUnavailable: number | string | undefined,
  desired: number,
): [number, number] {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

/** MaxSurge of a Deployment (0 for Recreate). */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  return resolveFenceposts(
    d.spec.strategy?.rollingUpdate?.maxSurge,
    d.spec.strategy?.rollingUpdate?.maxUnavailable,
    replicasOf(d),
  )[0];
}

/** MaxUnavailable of a Deployment (0 for Recreate or 0 replicas; at most replicas). */
export function maxUnavailable(d: Deployment): number {
  const r = replicasOf(d);
  if (!isRollingUpdate(d) || r === 0) return 0;
  const u = resolveFenceposts(
    d.spec.strategy?.rollingUpdate?.maxSurge,
    d.spec.strategy?.rollingUpdate?.maxUnavailable,
    r,
  )[1];
  return Math.min(u, r);
}

const specReplicas = (rs: ReplicaSet | undefined) => (rs ? (rs.spec.replicas ?? 0) : 0);
const available = (rs: ReplicaSet | undefined) => rs?.status?.availableReplicas ?? 0;

/** Sum of spec.replicas (GetReplicaCountForReplicaSets). */
export function sumSpec(rss: (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + specReplicas(rs), 0);
}
/** Sum of status.replicas (GetActualReplicaCountForReplicaSets). */
export function sumActual(rss: (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}
/** Sum of status.availableReplicas. */
export function sumAvailable(rss: (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + available(rs), 0);
}
/** Sum of status.readyReplicas. */
export function sumReady(rss: (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}
/** ReplicaSets with spec.replicas > 0 (FilterActiveReplicaSets). */
export function activeSets(rss: (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => !!rs && specReplicas(rs) > 0);
}

/** Oldest first, then by name (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const at = parseTime(a.metadata.creationTimestamp) ?? 0;
  const bt = parseTime(b.metadata.creationTimestamp) ?? 0;
  return at - bt || (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0);
}

/** The revision annotation as a number (0 when absent or unparsable). */
export function revisionOf(o: { metadata: { annotations?: Record<string, string> } }): number {
  const v = Number(o.metadata.annotations?.[REVISION] ?? 0);
  return Number.isFinite(v) ? v : 0;
}

/** The highest revision among `rss` (MaxRevision). */
export function maxRevision(rss: ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's ignoring the hash. */
export function findNewReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/**
 * NewRSNewReplicas: the new ReplicaSet's next size. Rolling: grow by what maxSurge leaves
 * (replicas + surge − all pods), never past replicas. Recreate: replicas.
 */
export function newRSNewReplicas(
  d: Deployment,
  allRSs: (ReplicaSet | undefined)[],
  newRS: ReplicaSet,
): number {
  const r = replicasOf(d);
  if (!isRollingUpdate(d)) return r;
  const maxTotal = r + maxSurge(d);
  const current = sumSpec(allRSs);
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, r - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** One planned scale of a ReplicaSet. */
export interface ScaleStep {
  name: string;
  from: number;
  to: number;
}

/**
 * cleanupUnhealthyReplicas: scales old ReplicaSets (oldest first) down by their unavailable
 * pods, in total at most `maxCleanup`. Returns the steps and the total scaled down.
 */
export function cleanupUnhealthy(
  oldRSs: ReplicaSet[],
  maxCleanup: number,
): { steps: ScaleStep[]; total: number } {
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= maxCleanup) break;
    const sr = specReplicas(rs);
    if (sr === 0 || sr === available(rs)) continue;
    const down = Math.min(maxCleanup - total, sr - available(rs));
    steps.push({ name: rs.metadata.name!, from: sr, to: sr - down });
    total += down;
  }
  return { steps, total };
}

/**
 * scaleDownOldReplicaSetsForRollingUpdate: scales old ReplicaSets (oldest first) down by as
 * many available pods as exceed replicas − maxUnavailable.
 */
export function scaleDownOldForRolling(
  d: Deployment,
  allRSs: (ReplicaSet | undefined)[],
  oldRSs: ReplicaSet[],
): { steps: ScaleStep[]; total: number } {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const availableCount = sumAvailable(allRSs);
  const steps: ScaleStep[] = [];
  if (availableCount <= minAvailable) return { steps, total: 0 };
  const want = availableCount - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= want) break;
    const sr = specReplicas(rs);
    if (sr === 0) continue;
    const down = Math.min(sr, want - total);
    steps.push({ name: rs.metadata.name!, from: sr, to: sr - down });
    total += down;
  }
  return { steps, total };
}

/**
 * reconcileOldReplicaSets as a plan: how far old ReplicaSets may shrink now without dropping
 * below replicas − maxUnavailable available pods (counting the new set's unavailable pods as
 * already missing). First unhealthy old pods go, then healthy ones. Returns the steps in order;
 * the second phase sees the first phase's sizes.
 */
export function planOldScaleDown(
  d: Deployment,
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet | undefined,
): ScaleStep[] {
  const oldCount = sumSpec(oldRSs);
  if (oldCount === 0) return [];
  const all = [...oldRSs, newRS];
  const allCount = sumSpec(all);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = specReplicas(newRS) - available(newRS);
  const maxScaledDown = allCount - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];
  const first = cleanupUnhealthy(oldRSs, maxScaledDown);
  const sized = oldRSs.map((rs) => {
    const s = first.steps.find((x) => x.name === rs.metadata.name);
    return s ? { ...rs, spec: { ...rs.spec, replicas: s.to } } : rs;
  });
  const second = scaleDownOldForRolling(d, [...sized, newRS], sized);
  const merged = new Map<string, ScaleStep>();
  for (const s of [...first.steps, ...second.steps]) {
    const prev = merged.get(s.name);
    merged.set(s.name, prev ? { name: s.name, from: prev.from, to: s.to } : s);
  }
  return [...merged.values()];
}

/** The desired-replicas annotation, if present and numeric. */
export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const v = rs.metadata.annotations?.[DESIRED_REPLICAS];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** IsSaturated: the new set has all replicas, all available, annotated with the current size. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const r = replicasOf(d);
  return specReplicas(rs) === r && desiredReplicasAnnotation(rs) === r && available(rs) === r;
}

/** FindActiveOrLatest: the only active set; or the newest (new set first) when none is active; undefined when several are. */
export function findActiveOrLatest(
  newRS: ReplicaSet | undefined,
  oldRSs: ReplicaSet[],
): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const sortedOld = [...oldRSs].sort(byCreation).reverse();
  const act = activeSets([...sortedOld, newRS]);
  if (act.length === 0) return newRS ?? sortedOld[0];
  if (act.length === 1) return act[0];
  return undefined;
}

/** Go's math.Round (half away from zero). */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Proportional scaling (DeploymentController.scale for RollingUpdate): spreads
 * (replicas + maxSurge) − Σ active spec.replicas over the active sets in proportion to their
 * size relative to the max-replicas annotation; leftovers go to the largest set. Returns the
 * new size per ReplicaSet name.
 */
export function proportionalScale(d: Deployment, active: ReplicaSet[]): Map<string, number> {
  const r = replicasOf(d);
  const surge = maxSurge(d);
  const allowed = r > 0 ? r + surge : 0;
  const toAdd = allowed - sumSpec(active);
  const sorted = [...active].sort((a, b) => {
    const sa = specReplicas(a);
    const sb = specReplicas(b);
    if (sa !== sb) return sb - sa;
    // Ties: newer first when growing, older first when shrinking.
    return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
  });
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of sorted) {
    let prop = 0;
    const sr = specReplicas(rs);
    if (toAdd !== 0 && sr !== 0 && toAdd !== added) {
      let fraction: number;
      if (r === 0) fraction = -sr;
      else {
        const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS]);
        const base = Number.isInteger(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
        fraction = base > 0 ? roundHalfAway((sr * (r + surge)) / base) - sr : 0;
      }
      const left = toAdd - added;
      prop = toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
    }
    sizes.set(rs.metadata.name!, sr + prop);
    added += prop;
  }
  if (toAdd !== 0 && sorted.length) {
    const first = sorted[0]!.metadata.name!;
    sizes.set(first, Math.max(0, sizes.get(first)! + (toAdd - added)));
  }
  return sizes;
}

/** True when a scale of the Deployment has not yet reached its active sets (isScalingEvent). */
export function isScalingEvent(d: Deployment, allRSs: (ReplicaSet | undefined)[]): boolean {
  for (const rs of activeSets(allRSs)) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired !== undefined && desired !== replicasOf(d)) return true;
  }
  return false;
}

/** Sets desired-replicas and max-replicas; returns true when they changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS] !== String(desired)) {
    a[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS] !== String(max)) {
    a[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

const SKIP_COPY = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
]);

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's annotations (except rollout
 * bookkeeping), raises the revision to `newRevision` (keeping an older one in revision-history,
 * which is what a rollback to this set looks like), and for a set being created adds the
 * replicas annotations. Returns true when anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean,
): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIP_COPY.has(k)) continue;
    if (a[k] !== v) {
      a[k] = v;
      changed = true;
    }
  }
  const oldRevision = a[REVISION];
  const oldNum = oldRevision === undefined ? 0 : Number(oldRevision);
  if (oldNum < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined && oldRevision !== '') {
      a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${oldRevision}` : oldRevision;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** Progress deadline in seconds (API default 600); undefined means none. */
export function progressDeadline(d: Deployment): number | undefined {
  const p = d.spec.progressDeadlineSeconds ?? 600;
  return p >= 2147483647 ? undefined : p;
}

/** Builds a Deployment condition stamped at `now` (epoch ms). */
export function newCondition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: number,
): GenericCondition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** Finds a condition by type. */
export function getCondition(
  conds: GenericCondition[] | undefined,
  type: string,
): GenericCondition | undefined {
  return conds?.find((c) => c.type === type);
}

/**
 * SetDeploymentCondition: no-op when status and reason are unchanged; keeps
 * lastTransitionTime when only the reason changes; replaces the condition of the same type.
 */
export function setCondition(conds: GenericCondition[], c: GenericCondition): GenericCondition[] {
  const cur = getCondition(conds, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return conds;
  const next = { ...c };
  if (cur && cur.status === c.status) next.lastTransitionTime = cur.lastTransitionTime;
  return [...conds.filter((x) => x.type !== c.type), next];
}

/** Removes a condition by type. */
export function removeCondition(conds: GenericCondition[], type: string): GenericCondition[] {
  return conds.filter((c) => c.type !== type);
}

/** The Deployment status calculateStatus derives from its ReplicaSets (with Available set). */
export function calculateStatus(
  d: Deployment,
  allRSs: (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  now: number,
): NonNullable<Deployment['status']> {
  const avail = sumAvailable(allRSs);
  const total = sumSpec(allRSs);
  const st: NonNullable<Deployment['status']> = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sumActual(allRSs),
    updatedReplicas: sumActual([newRS]),
    readyReplicas: sumReady(allRSs),
    availableReplicas: avail,
    unavailableReplicas: Math.max(0, total - avail),
  };
  if (d.status?.collisionCount !== undefined) st.collisionCount = d.status.collisionCount;
  let conds = [...(d.status?.conditions ?? [])];
  if (avail >= replicasOf(d) - maxUnavailable(d)) {
    conds = setCondition(
      conds,
      newCondition(
        'Available',
        'True',
        Reasons.MinimumReplicasAvailable,
        'Deployment has minimum availability.',
        now,
      ),
    );
  } else {
    conds = setCondition(
      conds,
      newCondition(
        'Available',
        'False',
        Reasons.MinimumReplicasUnavailable,
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  }
  st.conditions = conds;
  return st;
}

/** DeploymentComplete: every replica updated and available, status observed. */
export function deploymentComplete(d: Deployment, st: NonNullable<Deployment['status']>): boolean {
  const r = replicasOf(d);
  return (
    st.updatedReplicas === r &&
    st.replicas === r &&
    st.availableReplicas === r &&
    (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available pods than before. */
export function deploymentProgressing(d: Deployment, st: NonNullable<Deployment['status']>): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (st.replicas ?? 0) - (st.updatedReplicas ?? 0);
  return (
    (st.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (st.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (st.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: the Progressing condition was last updated more than the deadline ago. */
export function deploymentTimedOut(
  d: Deployment,
  st: NonNullable<Deployment['status']>,
  now: number,
): boolean {
  const deadline = progressDeadline(d);
  if (deadline === undefined) return false;
  const c = getCondition(st.conditions, 'Progressing');
  if (!c) return false;
  if (c.reason === Reasons.NewRSAvailable) return false;
  if (c.reason === Reasons.TimedOut) return true;
  const from = parseTime(c.lastUpdateTime);
  return from !== undefined && from + deadline * 1000 < now;
}
