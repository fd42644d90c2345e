/**
 * The scheduling queue as upstream's (kube-scheduler internal/queue): activeQ ordered by the
 * QueueSort plugin (priority, then age), backoffQ with per-pod exponential backoff (1 s doubling
 * to 10 s by default), and unschedulable pods parked until a cluster event that may help (node
 * added or changed, pod deleted) or a periodic flush (5 min by default). Time comes from an
 * injected clock; {@link flush} moves due pods, so tests step time without sleeping.
 */
import type { Pod } from '@keelson/api';
import type { QueuedPodInfo } from '../framework/interface';

/** Options of {@link SchedulingQueue}. */
export interface QueueOptions {
  /** True if a should pop before b (default: priority then timestamp). */
  less?: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  now?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Unschedulable pods older than this go back to activeQ on flush, ms (default 300 000). */
  maxUnschedulableMs?: number;
}

const keyOf = (p: Pod) => p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`;

const defaultLess = (a: QueuedPodInfo, b: QueuedPodInfo) => {
  const pa = a.pod.spec?.priority ?? 0;
  const pb = b.pod.spec?.priority ?? 0;
  return pa > pb || (pa === pb && a.timestamp < b.timestamp);
};

interface Entry extends QueuedPodInfo {
  /** When the pod may leave backoff, ms. */
  backoffUntil: number;
  /** When the pod was parked unschedulable, ms. */
  parkedAt: number;
}

/** Pods waiting to be scheduled. */
export class SchedulingQueue {
  private readonly active = new Map<string, Entry>();
  /** Binary heap over active entries; stale ones (no longer in `active`) are skipped on pop. */
  private heap: Entry[] = [];
  private readonly backoff = new Map<string, Entry>();
  private readonly unschedulable = new Map<string, Entry>();
  /** Pods popped and being scheduled (their attempts carry over). */
  private readonly inFlight = new Map<string, Entry>();
  private readonly less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  private readonly now: () => number;
  private readonly initial: number;
  private readonly max: number;
  private readonly maxUnschedulable: number;
  private waiters: Array<(p: QueuedPodInfo | undefined) => void> = [];
  private closed = false;

  constructor(opts: QueueOptions = {}) {
    this.less = opts.less ?? defaultLess;
    this.now = opts.now ?? Date.now;
    this.initial = opts.initialBackoffMs ?? 1000;
    this.max = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulable = opts.maxUnschedulableMs ?? 300_000;
  }

  /** Adds a new pod (or updates one already queued, keeping its place). */
  add(pod: Pod): void {
    const key = keyOf(pod);
    for (const q of [this.active, this.backoff, this.unschedulable]) {
      const e = q.get(key);
      if (e) {
        e.pod = pod;
        // An update may make an unschedulable pod schedulable: retry it.
        if (q === this.unschedulable) {
          q.delete(key);
          this.pushActive(e);
        }
        return;
      }
    }
    if (this.inFlight.has(key)) {
      this.inFlight.get(key)!.pod = pod;
      return;
    }
    this.pushActive({ pod, timestamp: this.now(), attempts: 0, backoffUntil: 0, parkedAt: 0 });
  }

  /** Removes a pod wherever it is. */
  delete(pod: Pod): void {
    const key = keyOf(pod);
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /** Waits for the next pod by QueueSort order; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    this.flush();
    const next = this.takeBest();
    if (next) return Promise.resolve(next);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The next pod without waiting, or undefined. */
  tryPop(): QueuedPodInfo | undefined {
    this.flush();
    return this.takeBest();
  }

  /**
   * Returns a popped pod that failed to schedule: to backoffQ if a move request happened while it
   * was in flight or `retryable` (an error), else to the unschedulable pods.
   */
  addUnschedulable(info: QueuedPodInfo, retryable = false): void {
    const key = keyOf(info.pod);
    const e = this.inFlight.get(key) ?? { ...info, backoffUntil: 0, parkedAt: 0 };
    this.inFlight.delete(key);
    if (e.pod.spec?.nodeName) return; // bound meanwhile
    e.attempts = info.attempts;
    e.backoffUntil = this.now() + this.backoffFor(e.attempts);
    if (retryable || this.moveRequested.has(key)) this.backoff.set(key, e);
    else {
      e.parkedAt = this.now();
      this.unschedulable.set(key, e);
    }
    this.moveRequested.delete(key);
  }

  /** Marks a popped pod done (scheduled). */
  done(pod: Pod): void {
    this.inFlight.delete(keyOf(pod));
    this.moveRequested.delete(keyOf(pod));
  }

  private readonly moveRequested = new Set<string>();

  /**
   * A cluster event that may make unschedulable pods schedulable (node added/updated, pod
   * deleted): moves them to backoffQ (or activeQ when their backoff is over).
   */
  moveAllToActiveOrBackoff(): void {
    for (const [key, e] of this.unschedulable) {
      this.unschedulable.delete(key);
      if (e.backoffUntil > this.now()) this.backoff.set(key, e);
      else this.pushActive(e);
    }
    for (const key of this.inFlight.keys()) this.moveRequested.add(key);
  }

  /** Moves pods whose backoff ended to activeQ, and long-parked unschedulable pods too. */
  flush(): void {
    const now = this.now();
    for (const [key, e] of this.backoff) {
      if (e.backoffUntil <= now) {
        this.backoff.delete(key);
        this.pushActive(e);
      }
    }
    for (const [key, e] of this.unschedulable) {
      if (now - e.parkedAt >= this.maxUnschedulable) {
        this.unschedulable.delete(key);
        this.pushActive(e);
      }
    }
  }

  /** The backoff of a pod after `attempts` failures: initial * 2^(attempts-1), capped, ms. */
  backoffFor(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(this.max, this.initial * 2 ** Math.min(30, attempts - 1));
  }

  /** Counts per sub-queue (for metrics and tests). */
  lengths(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  /** Wakes waiting pop() calls with undefined. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
  }

  private pushActive(e: Entry): void {
    const key = keyOf(e.pod);
    this.active.set(key, e);
    this.heapPush(e);
    const w = this.waiters.shift();
    if (w) w(this.takeBest());
  }

  private takeBest(): QueuedPodInfo | undefined {
    for (;;) {
      const best = this.heapPop();
      if (!best) return undefined;
      const key = keyOf(best.pod);
      if (this.active.get(key) !== best) continue; // stale: deleted or moved
      this.active.delete(key);
      best.attempts++;
      this.inFlight.set(key, best);
      return best;
    }
  }

  private heapPush(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private heapPop(): Entry | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
