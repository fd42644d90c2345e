/**
 * client-go's work queue metrics (k8s.io/component-base/metrics/prometheus/workqueue), read from
 * the queues at scrape time: `workqueue_depth{name}` (keys ready to process),
 * `workqueue_adds_total{name}` (keys accepted by add) and `workqueue_retries_total{name}`
 * (rate-limited requeues).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RateLimitingQueue } from './rate-limiting-queue';

/** A named queue to report. */
export interface NamedQueue {
  /** The `name` label, e.g. "replicaset" (upstream names queues after their controller). */
  name: string;
  queue: Pick<RateLimitingQueue<unknown>, 'len' | 'adds' | 'retries'>;
}

/**
 * Registers the work queue metrics in `registry`; `queues()` is called at every scrape, so
 * queues that come and go (controllers restarted on a leader change) are followed. Counters of a
 * recreated queue start again from 0, which Prometheus treats as a counter reset.
 */
export function registerWorkqueueMetrics(registry: Registry, queues: () => Iterable<NamedQueue>): void {
  new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of queues()) this.set({ name: q.name }, q.queue.len());
    },
  });
  new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of queues()) this.inc({ name: q.name }, q.queue.adds);
    },
  });
  new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const q of queues()) this.inc({ name: q.name }, q.queue.retries);
    },
  });
}
