/**
 * The node lifecycle controller (k8s.io/kubernetes pkg/controller/nodelifecycle) and its
 * NoExecute taint eviction: every `monitorPeriodMs` it checks each node's heartbeat (the
 * kube-node-lease Lease renewTime, or the Ready condition's lastHeartbeatTime); a node silent
 * for longer than the grace period gets its conditions set to Unknown (reason
 * NodeStatusUnknown, "Kubelet stopped posting node status."), and its pods are marked not
 * ready. Ready=Unknown nodes are tainted node.kubernetes.io/unreachable, Ready=False ones
 * node.kubernetes.io/not-ready (NoSchedule and NoExecute); taints go when the node recovers.
 * Pods on nodes with NoExecute taints they do not tolerate are deleted after their
 * tolerationSeconds (defaults from --default-*-toleration-seconds). All time is from the
 * injected clock.
 */
import type { EventRecorder } from '@keelson/client';
import type { KubeObject } from '@keelson/api';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isConflictErr, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { GenericCondition, Lease, Node, Pod } from '../types';
import { parseTime, rfc3339 } from '../util/clock';
import { clone, deepEqual } from '../util/objects';
import { isPodTerminal } from '../util/pods';
import { desiredLifecycleTaints, evictionTime, type DefaultTolerationSeconds } from './taints';

/** Options of {@link NodeLifecycleController}. */
export interface NodeLifecycleOptions {
  /** --node-monitor-grace-period, ms (default 40 s). */
  gracePeriodMs?: number;
  /** --node-monitor-period, ms (default 5 s). */
  monitorPeriodMs?: number;
  /** --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds (300 each). */
  defaultTolerationSeconds?: Partial<DefaultTolerationSeconds>;
}

const CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

interface Health {
  /** Our clock's time of the last observed heartbeat change. */
  probe: number;
  lastRenew?: string;
  lastHeartbeat?: string;
}

/** The node lifecycle controller (single periodic key "nodes"). Events: NodeNotReady, TaintManagerEviction. */
export class NodeLifecycleController extends QueueController {
  readonly name = 'nodelifecycle';
  private readonly nodes: SharedInformerLike<Node>;
  private readonly leases: SharedInformerLike<Lease>;
  private readonly pods: SharedInformerLike<Pod>;
  private readonly health = new Map<string, Health>();
  private readonly grace: number;
  private readonly period: number;
  private readonly defaults: DefaultTolerationSeconds;
  private readonly events: EventRecorder;

  constructor(ctx: ControllerContext, opts: NodeLifecycleOptions = {}) {
    super(ctx);
    this.grace = opts.gracePeriodMs ?? 40_000;
    this.period = opts.monitorPeriodMs ?? 5_000;
    this.defaults = {
      notReady: opts.defaultTolerationSeconds?.notReady ?? 300,
      unreachable: opts.defaultTolerationSeconds?.unreachable ?? 300,
    };
    this.events = ctx.recorder('node-controller');
    this.nodes = ctx.informers.informer<Node>('nodes');
    this.leases = ctx.informers.informer<Lease>('leases');
    this.pods = ctx.informers.informer<Pod>('pods');
    const kick = () => this.queue.add('nodes');
    this.nodes.addEventHandler({
      onAdd: kick,
      onUpdate: (o, n) =>
        !deepEqual(o.spec, n.spec) || !deepEqual(o.status?.conditions, n.status?.conditions)
          ? kick()
          : undefined,
      onDelete: (n) => this.health.delete(n.metadata.name!),
    });
    this.pods.addEventHandler({ onAdd: (p) => (p.spec?.nodeName ? kick() : undefined) });
    this.queue.add('nodes');
  }

  /** Tracks heartbeats; returns true when the node has been silent longer than the grace period. */
  private silent(node: Node, now: number): boolean {
    const name = node.metadata.name!;
    const lease = this.leases.lister().get('kube-node-lease', name);
    const renew = lease?.spec?.renewTime;
    const hb = node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
    let h = this.health.get(name);
    if (!h) {
      h = { probe: now, lastRenew: renew, lastHeartbeat: hb };
      this.health.set(name, h);
      return false;
    }
    if (renew !== h.lastRenew || hb !== h.lastHeartbeat) {
      h.probe = now;
      h.lastRenew = renew;
      h.lastHeartbeat = hb;
    }
    return now - h.probe > this.grace;
  }

  /** One monitor pass over every node and its pods. */
  async sync(): Promise<SyncResult> {
    const now = this.ctx.clock.now();
    let next = now + this.period;
    for (const cached of this.nodes.lister().list()) {
      let node = cached;
      if (this.silent(node, now)) node = await this.markUnknown(node, now);
      node = await this.reconcileTaints(node, now);
      const due = await this.evictPods(node, now);
      if (due !== undefined) next = Math.min(next, due);
    }
    return { requeueAfterMs: Math.max(next - now, 1) };
  }

  private async markUnknown(node: Node, now: number): Promise<Node> {
    const conds = node.status?.conditions ?? [];
    const ready = conds.find((c) => c.type === 'Ready');
    if (ready?.status === 'Unknown') return node;
    const t = rfc3339(now);
    const next: GenericCondition[] = [];
    for (const type of CONDITIONS) {
      const c = conds.find((x) => x.type === type);
      if (!c)
        next.push({
          type,
          status: 'Unknown',
          reason: 'NodeStatusNeverUpdated',
          message: 'Kubelet never posted node status.',
          lastHeartbeatTime: t,
          lastTransitionTime: t,
        });
      else if (c.status !== 'Unknown')
        next.push({
          ...c,
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: t,
        });
      else next.push(c);
    }
    for (const c of conds) if (!CONDITIONS.includes(c.type)) next.push(c);
    let updated: Node;
    try {
      updated = await this.ctx.client
        .resource<Node>('nodes')
        .updateStatus({ ...node, status: { ...(node.status ?? {}), conditions: next } });
    } catch (e) {
      if (isNotFoundErr(e) || isConflictErr(e)) return node;
      throw e;
    }
    this.events.event(
      { ...node, apiVersion: 'v1', kind: 'Node' } as KubeObject,
      'Normal',
      'NodeNotReady',
      `Node ${node.metadata.name} status is now: NodeNotReady`,
    );
    // MarkPodsNotReady: endpoints stop routing to pods on the lost node.
    const pc = this.ctx.client.resource<Pod>('pods');
    for (const p of this.pods.lister().list()) {
      if (p.spec?.nodeName !== node.metadata.name || isPodTerminal(p)) continue;
      const pconds = p.status?.conditions ?? [];
      if (!pconds.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const status = {
        ...(p.status ?? {}),
        conditions: pconds.map((c) =>
          c.type === 'Ready' || c.type === 'ContainersReady'
            ? { ...c, status: 'False', lastTransitionTime: t }
            : c,
        ),
      };
      await pc.updateStatus({ ...p, status }).catch(() => undefined);
    }
    return updated;
  }

  private async reconcileTaints(node: Node, now: number): Promise<Node> {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (!ready && !this.health.has(node.metadata.name!)) return node;
    const cur = node.spec?.taints ?? [];
    // A node that never reported Ready is left to the kubelet until the grace period decides.
    if (!ready) return node;
    const want = desiredLifecycleTaints(ready, cur, rfc3339(now));
    if (deepEqual(want, cur)) return node;
    const nc = this.ctx.client.resource<Node>('nodes');
    for (let i = 0; i < 3; i++) {
      const base = i === 0 ? node : await nc.get(undefined, node.metadata.name!);
      const desired = desiredLifecycleTaints(
        base.status?.conditions?.find((c) => c.type === 'Ready'),
        base.spec?.taints ?? [],
        rfc3339(now),
      );
      const next = clone(base);
      next.spec = { ...(next.spec ?? {}), taints: desired };
      if (!desired.length) delete next.spec.taints;
      try {
        return await nc.update(next);
      } catch (e) {
        if (isNotFoundErr(e)) return node;
        if (!isConflictErr(e) || i === 2) throw e;
      }
    }
    return node;
  }

  /** Deletes pods whose eviction time has come; returns the next future eviction time. */
  private async evictPods(node: Node, now: number): Promise<number | undefined> {
    const taints = node.spec?.taints ?? [];
    if (!taints.some((t) => t.effect === 'NoExecute')) return undefined;
    let next: number | undefined;
    const pc = this.ctx.client.resource<Pod>('pods');
    for (const p of this.pods.lister().list()) {
      if (p.spec?.nodeName !== node.metadata.name || p.metadata.deletionTimestamp) continue;
      const at = evictionTime(p, taints, this.defaults, now);
      if (at === 'never') continue;
      if (at > now) {
        next = next === undefined ? at : Math.min(next, at);
        continue;
      }
      this.events.event(
        { ...p, apiVersion: 'v1', kind: 'Pod' } as KubeObject,
        'Normal',
        'TaintManagerEviction',
        `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}`,
      );
      try {
        await pc.delete(p.metadata.namespace, p.metadata.name!);
      } catch (e) {
        if (!isNotFoundErr(e)) throw e;
      }
    }
    return next;
  }

  /** Epoch ms of the last observed heartbeat change per node (tests, debugging). */
  lastProbe(node: string): number | undefined {
    return this.health.get(node)?.probe;
  }
}

/** Parses a Lease renewTime (MicroTime) to epoch ms. */
export function leaseRenewMs(l: Lease | undefined): number | undefined {
  return parseTime(l?.spec?.renewTime);
}
