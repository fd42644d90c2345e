/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go `tools/leaderelection`
 * (leaderelection.go, resourcelock/leaselock.go):
 * - a candidate tries to acquire every retryPeriod (jittered); it may take the lease when nobody
 *   holds it or when the holder has not renewed for leaseDuration as observed on the candidate's
 *   own clock since the record last changed (immune to clock skew between hosts);
 * - the leader renews every retryPeriod; if it cannot renew for renewDeadline it stops leading;
 * - every write is an update with the lease's resourceVersion, so two candidates cannot both win;
 * - taking the lease from another holder bumps leaseTransitions and sets acquireTime.
 * Defaults are upstream's: leaseDuration 15 s, renewDeadline 10 s, retryPeriod 2 s, jitter 1.2.
 */
import type { Lease } from '@keelson/api';
import type { Clientset, ResourceClient } from '../interfaces';
import { realClock, sleep, type Clock } from '../clock';
import { isNotFound } from '../errors';

/** Callbacks of {@link LeaderElector}. */
export interface LeaderCallbacks {
  /** Became leader; `signal` aborts when leadership ends. Should start the work and return. */
  onStartedLeading(signal: AbortSignal): void;
  /** Stopped leading (lost the lease, or stop()). Called once per onStartedLeading. */
  onStoppedLeading(): void;
  /** The observed holder changed (including to this candidate). */
  onNewLeader?(identity: string): void;
}

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  /** The clientset (the Lease client is taken from it). */
  clientset: Clientset;
  /** Lease namespace, e.g. "kube-system". */
  namespace: string;
  /** Lease name, e.g. "kube-scheduler". */
  name: string;
  /** This candidate's unique identity (e.g. hostname + "_" + a random id). */
  identity: string;
  /** ms (default 15000). */
  leaseDurationMs?: number;
  /** ms (default 10000); must be < leaseDurationMs. */
  renewDeadlineMs?: number;
  /** ms (default 2000); must be < renewDeadlineMs. */
  retryPeriodMs?: number;
  /** Acquire retries wait retryPeriod · (1 + random · jitterFactor) (default 1.2; 0 for none). */
  jitterFactor?: number;
  /** On stop(), give the lease up (holder "", duration 1 s) so others take over at once (default true). */
  releaseOnCancel?: boolean;
  callbacks: LeaderCallbacks;
  clock?: Clock;
  /** Random source in [0, 1) for jitter (default Math.random). */
  random?: () => number;
  /** Receives API failures (they are retried). */
  onError?(err: unknown): void;
}

/** metav1.MicroTime from ms since the epoch: "2024-05-01T12:00:00.123000Z". */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Campaigns for and holds a Lease; see the module comment. */
export class LeaderElector {
  private readonly leases: ResourceClient<Lease>;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly abort = new AbortController();
  private observed?: { holder: string; renewTime?: string; resourceVersion?: string; lease: Lease };
  private observedAt = 0;
  private leading = false;
  private reportedLeader?: string;
  private runPromise?: Promise<void>;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.leases = opts.clientset.resource<Lease>('leases', 'coordination.k8s.io/v1');
    this.clock = opts.clock ?? realClock;
    this.leaseMs = opts.leaseDurationMs ?? 15000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10000;
    this.retryMs = opts.retryPeriodMs ?? 2000;
    if (!(this.leaseMs > this.renewDeadlineMs))
      throw new Error('leaseDuration must be greater than renewDeadline');
    if (!(this.renewDeadlineMs > this.retryMs * (opts.jitterFactor ?? 1.2))) {
      throw new Error('renewDeadline must be greater than retryPeriod * jitterFactor');
    }
    if (!opts.identity) throw new Error('identity must not be empty');
  }

  /** True while this candidate holds the lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed ("" when none/unknown). */
  getLeader(): string {
    return this.observed?.holder ?? '';
  }

  /**
   * Campaigns, leads, and resolves when leadership ends (lost or stop()) — or when stop() is
   * called before winning. Calling run() again returns the same promise.
   */
  run(): Promise<void> {
    this.runPromise ??= this.loop();
    return this.runPromise;
  }

  /** Stops campaigning/leading; releases the lease if leading and releaseOnCancel. */
  stop(): void {
    this.abort.abort();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) break;
      const jitter = (this.opts.random ?? Math.random)() * (this.opts.jitterFactor ?? 1.2);
      await sleep(this.clock, this.retryMs * (1 + jitter), this.abort.signal);
    }
    if (this.stopped) return;
    this.leading = true;
    const leadership = new AbortController();
    try {
      this.opts.callbacks.onStartedLeading(leadership.signal);
    } catch (e) {
      this.opts.onError?.(e);
    }
    let lastRenew = this.clock.now();
    while (!this.stopped) {
      await sleep(this.clock, this.retryMs, this.abort.signal);
      if (this.stopped) break;
      // A renewal must finish before the renew deadline: a hung call counts as a failure.
      const remaining = lastRenew + this.renewDeadlineMs - this.clock.now();
      if (remaining > 0 && (await this.withTimeout(this.tryAcquireOrRenew(), remaining))) {
        lastRenew = this.clock.now();
        continue;
      }
      if (this.clock.now() - lastRenew >= this.renewDeadlineMs) break;
    }
    if (this.stopped && (this.opts.releaseOnCancel ?? true)) await this.release();
    this.leading = false;
    leadership.abort();
    try {
      this.opts.callbacks.onStoppedLeading();
    } catch (e) {
      this.opts.onError?.(e);
    }
  }

  /** Resolves the attempt's result, or false if it takes longer than `ms` (on the clock) or stop() is called. */
  private withTimeout(p: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const onAbort = () => done(false);
      const timer = this.clock.setTimeout(() => done(false), ms);
      const done = (v: boolean) => {
        this.clock.clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
      p.then(done, () => done(false));
    });
  }

  private observe(lease: Lease): void {
    const holder = lease.spec?.holderIdentity ?? '';
    const renewTime = lease.spec?.renewTime;
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
      this.observedAt = this.clock.now();
    }
    this.observed = { holder, renewTime, resourceVersion: lease.metadata.resourceVersion, lease };
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try {
        this.opts.callbacks.onNewLeader?.(holder);
      } catch (e) {
        this.opts.onError?.(e);
      }
    }
  }

  /** One attempt; true when this candidate holds a freshly renewed lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const me = this.opts.identity;
    const seconds = Math.ceil(this.leaseMs / 1000);
    let current: Lease;
    try {
      current = await this.leases.get(this.opts.namespace, this.opts.name);
    } catch (e) {
      if (!isNotFound(e)) {
        this.opts.onError?.(e);
        return false;
      }
      try {
        const created = await this.leases.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: {
            holderIdentity: me,
            leaseDurationSeconds: seconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        this.observe(created);
        return true;
      } catch (err) {
        this.opts.onError?.(err);
        return false;
      }
    }
    this.observe(current);
    const holder = current.spec?.holderIdentity ?? '';
    const durationMs = (current.spec?.leaseDurationSeconds ?? seconds) * 1000;
    if (holder && holder !== me && this.observedAt + durationMs > now) return false;
    const spec = { ...current.spec };
    if (holder !== me) {
      spec.acquireTime = microTime(now);
      spec.leaseTransitions = (current.spec?.leaseTransitions ?? 0) + 1;
    }
    spec.holderIdentity = me;
    spec.leaseDurationSeconds = seconds;
    spec.renewTime = microTime(now);
    try {
      const updated = await this.leases.update({ ...current, spec });
      this.observe(updated);
      return true;
    } catch (e) {
      this.opts.onError?.(e);
      return false;
    }
  }

  /** Gives the lease up if this candidate still holds it (client-go release()). */
  private async release(): Promise<void> {
    const lease = this.observed?.lease;
    if (!lease || lease.spec?.holderIdentity !== this.opts.identity) return;
    const now = this.clock.now();
    try {
      const updated = await this.leases.update({
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(now),
          acquireTime: microTime(now),
        },
      });
      this.observe(updated);
    } catch (e) {
      this.opts.onError?.(e);
    }
  }
}
