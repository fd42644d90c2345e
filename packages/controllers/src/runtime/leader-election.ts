/**
 * Leader election through a coordination.k8s.io/v1 Lease (client-go tools/leaderelection with
 * a LeaseLock): a candidate takes the Lease when it is free or its holder's renewTime +
 * leaseDurationSeconds has passed, renews it every `retryPeriodMs`, and loses leadership when it
 * cannot renew within `renewDeadlineMs`. Writes use the read resourceVersion, so two candidates
 * never both win.
 */
import { realClock, type Clientset, type Clock } from '@keelson/client';
import type { Lease } from '../types';
import { parseTime } from '../util/clock';
import { isAlreadyExistsErr, isNotFoundErr } from './controller';

/** MicroTime (RFC 3339 with microseconds) for a Lease. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Options of {@link LeaseElector}. Defaults are upstream's: 15 s lease, 10 s renew deadline, 2 s retry. */
export interface LeaseElectorOptions {
  namespace?: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

/** A Lease-based leader elector. */
export class LeaseElector {
  private leading = false;
  private stopped = false;
  private timer?: { cancel(): void };
  private lastRenew = 0;
  private readonly clock: Clock;

  constructor(
    private readonly client: Clientset,
    private readonly o: LeaseElectorOptions,
  ) {
    this.clock = o.clock ?? realClock;
  }

  /** True while this candidate holds the Lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning (and, once leading, renewing). */
  start(): void {
    void this.tick();
  }

  /** Stops; releases the Lease (holderIdentity cleared) when leading. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    if (this.leading) {
      this.leading = false;
      try {
        const lc = this.client.resource<Lease>('leases');
        const l = await lc.get(this.o.namespace ?? 'kube-system', this.o.name);
        if (l.spec?.holderIdentity === this.o.identity) {
          await lc.update({ ...l, spec: { ...l.spec, holderIdentity: undefined, leaseDurationSeconds: 1 } });
        }
      } catch {
        /* best effort */
      }
      this.o.onStoppedLeading();
    }
  }

  /** One attempt to acquire or renew; returns true when holding the Lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const ns = this.o.namespace ?? 'kube-system';
    const lc = this.client.resource<Lease>('leases');
    const now = this.clock.now();
    const durS = Math.ceil((this.o.leaseDurationMs ?? 15_000) / 1000);
    let cur: Lease | undefined;
    try {
      cur = await lc.get(ns, this.o.name);
    } catch (e) {
      if (!isNotFoundErr(e)) throw e;
    }
    if (!cur) {
      try {
        await lc.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: ns },
          spec: {
            holderIdentity: this.o.identity,
            leaseDurationSeconds: durS,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        return true;
      } catch (e) {
        if (isAlreadyExistsErr(e)) return false;
        throw e;
      }
    }
    const holder = cur.spec?.holderIdentity;
    const renew = parseTime(cur.spec?.renewTime) ?? 0;
    const expired = renew + (cur.spec?.leaseDurationSeconds ?? durS) * 1000 < now;
    if (holder && holder !== this.o.identity && !expired) return false;
    const mine = holder === this.o.identity;
    await lc.update({
      ...cur,
      spec: {
        ...cur.spec,
        holderIdentity: this.o.identity,
        leaseDurationSeconds: durS,
        acquireTime: mine ? cur.spec?.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (cur.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    });
    return true;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch {
      ok = false;
    }
    if (this.stopped) return;
    const now = this.clock.now();
    if (ok) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.o.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew > (this.o.renewDeadlineMs ?? 10_000)) {
      this.leading = false;
      this.o.onStoppedLeading();
    }
    const h = this.clock.setTimeout(() => void this.tick(), this.o.retryPeriodMs ?? 2_000);
    this.timer = { cancel: () => this.clock.clearTimeout(h) };
  }
}
