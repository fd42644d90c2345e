/**
 * The pod garbage collector (k8s.io/kubernetes pkg/controller/podgc), run every `periodMs`:
 * deletes the oldest terminated pods beyond --terminated-pod-gc-threshold, pods bound to nodes
 * that no longer exist (after a live check), and unscheduled pods already marked for deletion.
 */
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { Node, Pod } from '../types';
import { parseTime } from '../util/clock';
import { isPodTerminal } from '../util/pods';

/** Options of {@link PodGCController}. */
export interface PodGCOptions {
  /** Terminated pods kept (default 12500; 0 disables that part). */
  terminatedPodThreshold?: number;
  /** Sweep period, ms (default 20 s, upstream's gcCheckPeriod). */
  periodMs?: number;
}

/** The pod GC controller (a single key, "podgc", swept periodically). */
export class PodGCController extends QueueController {
  readonly name = 'podgc';
  private readonly pods: SharedInformerLike<Pod>;
  private readonly nodes: SharedInformerLike<Node>;
  private readonly threshold: number;
  private readonly periodMs: number;

  constructor(ctx: ControllerContext, opts: PodGCOptions = {}) {
    super(ctx);
    this.threshold = opts.terminatedPodThreshold ?? 12500;
    this.periodMs = opts.periodMs ?? 20_000;
    this.pods = ctx.informers.informer<Pod>('pods');
    this.nodes = ctx.informers.informer<Node>('nodes');
    this.queue.add('podgc');
  }

  /** One sweep. Always asks to run again after the period. */
  async sync(): Promise<SyncResult> {
    const pc = this.ctx.client.resource<Pod>('pods');
    const del = async (p: Pod, force: boolean) => {
      try {
        await pc.delete(p.metadata.namespace, p.metadata.name!, force ? { gracePeriodSeconds: 0 } : {});
      } catch (e) {
        if (!isNotFoundErr(e)) throw e;
      }
    };
    const all = this.pods.lister().list();
    if (this.threshold > 0) {
      const terminated = all.filter((p) => isPodTerminal(p) && !p.metadata.deletionTimestamp);
      const excess = terminated.length - this.threshold;
      if (excess > 0) {
        terminated.sort(
          (a, b) =>
            (parseTime(a.metadata.creationTimestamp) ?? 0) - (parseTime(b.metadata.creationTimestamp) ?? 0),
        );
        for (const p of terminated.slice(0, excess)) await del(p, false);
      }
    }
    const nodeNames = new Set(
      this.nodes
        .lister()
        .list()
        .map((n) => n.metadata.name),
    );
    const missing = new Map<string, boolean>();
    for (const p of all) {
      const node = p.spec?.nodeName;
      if (!node || nodeNames.has(node)) continue;
      if (!missing.has(node)) {
        try {
          await this.ctx.client.resource('nodes').get(undefined, node);
          missing.set(node, false);
        } catch (e) {
          if (!isNotFoundErr(e)) throw e;
          missing.set(node, true);
        }
      }
      if (missing.get(node)) await del(p, true);
    }
    for (const p of all) if (!p.spec?.nodeName && p.metadata.deletionTimestamp) await del(p, true);
    return { requeueAfterMs: this.periodMs };
  }
}
