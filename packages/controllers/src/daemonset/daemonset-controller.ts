/**
 * The DaemonSet controller (k8s.io/kubernetes pkg/controller/daemon): one pod per eligible node
 * (template nodeSelector, required node affinity, NoSchedule/NoExecute taints against the pod's
 * tolerations plus the standard daemon tolerations), pinned with required node affinity
 * `metadata.name In [node]` as upstream does (the scheduler binds it); extra and misplaced pods
 * are deleted; RollingUpdate replaces old-revision pods at most maxUnavailable at a time.
 */
import type { EventRecorder } from '@keelson/client';
import { podSpecMatchesNode, type KubeObject } from '@keelson/api';
import { ownedOrOrphans } from '../runtime/informer';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { ControllerRevision, DaemonSet, Node, Pod, Toleration } from '../types';
import { claimObjects, liveOwnerCheck } from '../util/claim';
import { ControllerExpectations } from '../util/expectations';
import { scaledValue } from '../util/intstr';
import { clone, controllerOf, controllerRef, deepEqual, keyOf } from '../util/objects';
import { emptyPodSpec, isPodAvailable, isPodReady, podKey } from '../util/pods';
import { CONTROLLER_REVISION_HASH, ensureRevision, ownedRevisions, truncateHistory } from '../util/revisions';
import { selectorMatcher } from '../util/selectors';
import { tolerates } from '../nodelifecycle/taints';
import { parseTime } from '../util/clock';

/** The tolerations every daemon pod gets (AddOrUpdateDaemonPodTolerations). */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork)
    t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

/**
 * NodeShouldRunDaemonPod: [shouldRun, shouldContinueRunning]. A node fails when the template's
 * selector/affinity does not match; an untolerated NoSchedule taint stops new pods; an
 * untolerated NoExecute taint stops both.
 */
export function nodeShouldRunDaemonPod(ds: DaemonSet, node: Node): [boolean, boolean] {
  const spec = ds.spec.template.spec ?? emptyPodSpec();
  if (!podSpecMatchesNode(spec, node)) return [false, false];
  const tols = [...(spec.tolerations ?? []), ...daemonTolerations(!!spec.hostNetwork)];
  let run = true;
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (tols.some((t) => tolerates(t, taint))) continue;
    if (taint.effect === 'NoExecute') return [false, false];
    run = false;
  }
  return [run, true];
}

/** The daemon pod for `node` (template + tolerations + node-name affinity + revision labels). */
export function daemonPod(ds: DaemonSet, node: string, hash: string): Pod {
  const md = ds.spec.template.metadata ?? {};
  const spec = clone(ds.spec.template.spec ?? emptyPodSpec());
  const existing: Toleration[] = spec.tolerations ?? [];
  for (const t of daemonTolerations(!!spec.hostNetwork)) {
    if (!existing.some((e) => e.key === t.key && e.effect === t.effect && e.operator === t.operator))
      existing.push(t);
  }
  spec.tolerations = existing;
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...(spec.affinity?.nodeAffinity ?? {}),
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
      },
    },
  };
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels: {
        ...(md.labels ?? {}),
        [CONTROLLER_REVISION_HASH]: hash,
        'pod-template-generation': String(ds.metadata.generation ?? 1),
      },
      ownerReferences: [controllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    spec,
  };
  if (md.annotations) pod.metadata.annotations = clone(md.annotations);
  return pod;
}

/** The node a daemon pod is for: spec.nodeName, else its node-name affinity. */
export function daemonPodNode(p: Pod): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  const terms =
    p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms)
    for (const f of t.matchFields ?? [])
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  return undefined;
}

/** The DaemonSet controller. Events: SuccessfulCreate, SuccessfulDelete. */
export class DaemonSetController extends QueueController {
  readonly name = 'daemonset';
  readonly expectations: ControllerExpectations;
  private readonly sets: SharedInformerLike<DaemonSet>;
  private readonly pods: SharedInformerLike<Pod>;
  private readonly nodes: SharedInformerLike<Node>;
  private readonly revs: SharedInformerLike<ControllerRevision>;
  private readonly events: EventRecorder;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.expectations = new ControllerExpectations(ctx.clock);
    this.events = ctx.recorder('daemonset-controller');
    this.sets = ctx.informers.informer<DaemonSet>('daemonsets');
    this.pods = ctx.informers.informer<Pod>('pods');
    this.nodes = ctx.informers.informer<Node>('nodes');
    this.revs = ctx.informers.informer<ControllerRevision>('controllerrevisions');
    this.sets.addEventHandler({
      onAdd: (s) => this.queue.add(keyOf(s)),
      onUpdate: (_o, s) => this.queue.add(keyOf(s)),
      onDelete: (s) => this.expectations.delete(keyOf(s)),
    });
    const owner = (p: Pod) => {
      const ref = controllerOf(p);
      return ref?.kind === 'DaemonSet' ? `${p.metadata.namespace}/${ref.name}` : undefined;
    };
    this.pods.addEventHandler({
      onAdd: (p) => {
        const k = owner(p);
        if (!k) return;
        this.expectations.creationObserved(k);
        this.queue.add(k);
      },
      onUpdate: (_o, p) => {
        const k = owner(p);
        if (k) this.queue.add(k);
      },
      onDelete: (p) => {
        const k = owner(p);
        if (!k) return;
        this.expectations.deletionObserved(k, podKey(p));
        this.queue.add(k);
      },
    });
    const all = () => {
      for (const s of this.sets.lister().list()) this.queue.add(keyOf(s));
    };
    this.nodes.addEventHandler({
      onAdd: all,
      onUpdate: (o, n) =>
        !deepEqual(o.metadata.labels, n.metadata.labels) || !deepEqual(o.spec?.taints, n.spec?.taints)
          ? all()
          : undefined,
      onDelete: all,
    });
  }

  private obj(s: DaemonSet): KubeObject {
    return { ...s, apiVersion: 'apps/v1', kind: 'DaemonSet' } as KubeObject;
  }

  /** Converges one DaemonSet ("namespace/name"). */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/') as [string, string];
    const cached = this.sets.lister().get(ns, name);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const ds = clone(cached);
    const client = this.ctx.client;
    const pc = client.resource<Pod>('pods');
    const now = this.ctx.clock.now();
    const pods = await claimObjects(
      {
        owner: ds,
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        match: selectorMatcher(ds.spec.selector),
        canAdopt: liveOwnerCheck(client.resource('daemonsets'), ds),
      },
      ownedOrOrphans(this.pods.lister(), ns, ds.metadata.uid!),
      pc,
    );
    let revisions = ownedRevisions(ds, this.revs.lister().list(ns));
    const ensured = await ensureRevision(
      client,
      ds,
      'DaemonSet',
      revisions,
      ds.spec.selector.matchLabels ?? {},
      ds.status?.collisionCount,
    );
    revisions = ensured.revisions;
    const hash =
      ensured.revision.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? ensured.revision.metadata.name!;
    const nodes = this.nodes.lister().list();
    const byNode = new Map<string, Pod[]>();
    for (const p of pods) {
      const n = daemonPodNode(p);
      if (!n) continue;
      if (!byNode.has(n)) byNode.set(n, []);
      byNode.get(n)!.push(p);
    }
    const toCreate: string[] = [];
    const toDelete: Pod[] = [];
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    const nodeNames = new Set(nodes.map((n) => n.metadata.name!));
    for (const node of nodes) {
      const [run, cont] = nodeShouldRunDaemonPod(ds, node);
      const mine = (byNode.get(node.metadata.name!) ?? []).filter((p) => !p.metadata.deletionTimestamp);
      if (run) desired++;
      if (run && mine.length) current++;
      if (!run && mine.length) misscheduled++;
      if (run && mine.length === 0) toCreate.push(node.metadata.name!);
      else if (cont) {
        const failed = mine.filter((p) => p.status?.phase === 'Failed');
        toDelete.push(...failed);
        const ok = mine
          .filter((p) => p.status?.phase !== 'Failed')
          .sort(
            (a, b) =>
              (parseTime(a.metadata.creationTimestamp) ?? 0) - (parseTime(b.metadata.creationTimestamp) ?? 0),
          );
        if (ok.length > 1) toDelete.push(...ok.slice(1));
        if (ok.length === 0 && failed.length && run) toCreate.push(node.metadata.name!);
      } else toDelete.push(...mine);
    }
    for (const [n, ps] of byNode)
      if (!nodeNames.has(n)) toDelete.push(...ps.filter((p) => !p.metadata.deletionTimestamp));
    // RollingUpdate: replace old-revision pods within maxUnavailable.
    const rolling = (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    if (rolling && toCreate.length === 0 && toDelete.length === 0) {
      const maxUnavailable = Math.max(
        1,
        scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, desired, true),
      );
      let unavailable = 0;
      const oldAvailable: Pod[] = [];
      for (const node of nodes) {
        const [run] = nodeShouldRunDaemonPod(ds, node);
        if (!run) continue;
        const p = (byNode.get(node.metadata.name!) ?? []).find((x) => !x.metadata.deletionTimestamp);
        const avail = p && isPodAvailable(p, ds.spec.minReadySeconds ?? 0, now);
        if (!p || !avail) unavailable++;
        if (p && p.metadata.labels?.[CONTROLLER_REVISION_HASH] !== hash) {
          if (!avail) toDelete.push(p);
          else oldAvailable.push(p);
        }
      }
      const budget = maxUnavailable - unavailable;
      toDelete.push(...oldAvailable.slice(0, Math.max(0, budget)));
    }
    if (this.expectations.satisfied(key)) {
      if (toCreate.length) {
        this.expectations.expectCreations(key, toCreate.length);
        for (const n of toCreate) {
          try {
            const created = await pc.create(daemonPod(ds, n, hash));
            this.events.event(
              this.obj(ds),
              'Normal',
              'SuccessfulCreate',
              `Created pod: ${created.metadata.name}`,
            );
          } catch (e) {
            this.expectations.creationObserved(key);
            this.events.event(
              this.obj(ds),
              'Warning',
              'FailedCreate',
              `Error creating: ${(e as Error).message}`,
            );
            throw e;
          }
        }
      } else if (toDelete.length) {
        this.expectations.expectDeletions(key, toDelete.map(podKey));
        for (const p of toDelete) {
          try {
            await pc.delete(p.metadata.namespace, p.metadata.name!);
            this.events.event(this.obj(ds), 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
          } catch (e) {
            this.expectations.deletionObserved(key, podKey(p));
            if (!isNotFoundErr(e)) throw e;
          }
        }
      }
    }
    // Status.
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    const scheduledOk = live.filter((p) => {
      const n = nodes.find((x) => x.metadata.name === daemonPodNode(p));
      return n && nodeShouldRunDaemonPod(ds, n)[0];
    });
    const st: NonNullable<DaemonSet['status']> = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: scheduledOk.filter(isPodReady).length,
      observedGeneration: ds.metadata.generation ?? 0,
      updatedNumberScheduled: scheduledOk.filter(
        (p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash,
      ).length,
      numberAvailable: scheduledOk.filter((p) => isPodAvailable(p, ds.spec.minReadySeconds ?? 0, now)).length,
    };
    st.numberUnavailable = Math.max(0, desired - (st.numberAvailable ?? 0));
    if (ds.status?.collisionCount !== undefined) st.collisionCount = ds.status.collisionCount;
    if (!deepEqual(st, { ...(ds.status ?? {}), conditions: undefined })) {
      await client.resource<DaemonSet>('daemonsets').updateStatus({
        ...ds,
        status: { ...st, ...(ds.status?.conditions ? { conditions: ds.status.conditions } : {}) },
      });
    }
    await truncateHistory(
      client,
      revisions,
      new Set([
        ensured.revision.metadata.name!,
        ...revisions
          .filter((r) =>
            live.some(
              (p) =>
                p.metadata.labels?.[CONTROLLER_REVISION_HASH] ===
                r.metadata.labels?.[CONTROLLER_REVISION_HASH],
            ),
          )
          .map((r) => r.metadata.name!),
      ]),
      ds.spec.revisionHistoryLimit ?? 10,
    );
  }
}
