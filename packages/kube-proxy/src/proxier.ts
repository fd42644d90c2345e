/**
 * The proxy loop: keeps the latest Services and EndpointSlices, and syncs the backend at most
 * once per `minSyncPeriodMs` so a burst of endpoint changes becomes one apply (kube-proxy's
 * BoundedFrequencyRunner), retrying after a failed apply. Metrics: sync duration and last sync time.
 */
import type { EndpointSlice, Service } from '@keelson/api';
import { Gauge, Histogram, Registry } from 'prom-client';
import type { ProxyBackend } from './backend';
import { buildServicePorts } from './service-ports';

/** Options of {@link Proxier}. */
export interface ProxierOptions {
  nodeName: string;
  /** Least time between two syncs, ms (default 1000). */
  minSyncPeriodMs?: number;
  /** Delay before retrying a failed sync, ms (default 5000). */
  retryPeriodMs?: number;
  registry?: Registry;
  /** Called with each sync error (the proxier keeps running). */
  onError?: (err: Error) => void;
  now?: () => number;
}

/** Drives a {@link ProxyBackend} from cluster state. */
export class Proxier {
  readonly metrics: Registry;
  private services = new Map<string, Service>();
  private slices = new Map<string, EndpointSlice>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private dirty = false;
  private lastSyncAt = 0;
  private stopped = false;
  private readonly minSync: number;
  private readonly retry: number;
  private readonly now: () => number;
  private readonly duration: Histogram;
  private readonly lastSync: Gauge;
  /** Resolves waiters of {@link synced}. */
  private waiters: Array<() => void> = [];
  /** Number of successful syncs so far. */
  syncCount = 0;

  constructor(
    private readonly backend: ProxyBackend,
    private readonly opts: ProxierOptions,
  ) {
    this.minSync = opts.minSyncPeriodMs ?? 1000;
    this.retry = opts.retryPeriodMs ?? 5000;
    this.now = opts.now ?? Date.now;
    this.metrics = opts.registry ?? new Registry();
    this.duration = new Histogram({
      name: 'kubeproxy_sync_proxy_rules_duration_seconds',
      help: 'SyncProxyRules latency in seconds',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.metrics],
    });
    this.lastSync = new Gauge({
      name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
      help: 'The last time proxy rules were successfully synced',
      registers: [this.metrics],
    });
  }

  /** Records a Service (add or update). */
  onService(svc: Service): void {
    this.services.set(key(svc), svc);
    this.requestSync();
  }

  /** Forgets a Service. */
  onServiceDeleted(svc: Service): void {
    this.services.delete(key(svc));
    this.requestSync();
  }

  /** Records an EndpointSlice (add or update). */
  onEndpointSlice(slice: EndpointSlice): void {
    this.slices.set(key(slice), slice);
    this.requestSync();
  }

  /** Forgets an EndpointSlice. */
  onEndpointSliceDeleted(slice: EndpointSlice): void {
    this.slices.delete(key(slice));
    this.requestSync();
  }

  /** Asks for a sync: now if the last one is older than minSyncPeriodMs, else when it will be. */
  requestSync(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.timer || this.running) return;
    const wait = Math.max(0, this.lastSyncAt + this.minSync - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.syncNow().finally(() => {
        this.running = undefined;
        if (this.dirty) this.requestSync();
      });
    }, wait);
  }

  /** Resolves after the next successful sync that includes every change made before this call. */
  synced(): Promise<void> {
    if (!this.dirty && !this.running && !this.timer) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async syncNow(): Promise<void> {
    this.dirty = false;
    const waiters = this.waiters;
    this.waiters = [];
    const end = this.duration.startTimer();
    try {
      const ports = buildServicePorts(
        [...this.services.values()],
        [...this.slices.values()],
        this.opts.nodeName,
      );
      await this.backend.sync(ports);
      this.lastSyncAt = this.now();
      this.lastSync.set(this.lastSyncAt / 1000);
      this.syncCount++;
      end();
      for (const w of waiters) w();
    } catch (err) {
      this.waiters.push(...waiters);
      this.opts.onError?.(err as Error);
      this.dirty = true;
      this.lastSyncAt = this.now() + this.retry - this.minSync;
    }
  }

  /** Stops syncing (rules stay in place; call the backend's cleanup to remove them). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

function key(o: { metadata: { namespace?: string; name?: string } }): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}
