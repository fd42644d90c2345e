/**
 * The shape every controller shares (kubernetes/sample-controller): event handlers only enqueue
 * keys; `sync(key)` converges one object and is idempotent; workers pull keys from a rate-limited
 * queue, requeue failures with backoff, and honour a sync's request to look again later.
 */
import type { Clientset } from '@keelson/client';
import type { Clock } from '../util/clock';
import type { EventSink } from './events';
import type { InformerSource } from './informer';
import type { WorkQueue } from './queue';
import { RateLimitedQueue } from './queue';

/** Minimal logger (pino-compatible subset). */
export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  debug?(obj: unknown, msg?: string): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** What a controller gets from the manager. */
export interface ControllerContext {
  client: Clientset;
  informers: InformerSource;
  /** Builds an event sink for a component name ("replicaset-controller"). */
  recorder(component: string): EventSink;
  clock: Clock;
  log: Logger;
}

/** What `sync` may return: nothing, or a request to sync the key again after `requeueAfterMs`. */
export type SyncResult = void | { requeueAfterMs?: number };

/** A controller the manager can run. */
export interface Controller {
  readonly name: string;
  /** Runs `workers` concurrent workers until `stop()`. */
  run(workers: number): void;
  stop(): Promise<void>;
}

/** Base class: a queue, workers and the error handling around `sync`. */
export abstract class QueueController implements Controller {
  abstract readonly name: string;
  readonly queue: WorkQueue;
  private running: Promise<void>[] = [];
  /**
   * Retries before a key is dropped. Upstream drops after 15 and relies on periodic informer
   * resyncs to bring the key back; these informers do not resync, so by default a failing key
   * keeps retrying with backoff (capped at 1000 s) until it succeeds.
   */
  protected maxRetries = Infinity;
  private failureCounts = new Map<string, number>();

  constructor(protected readonly ctx: ControllerContext) {
    this.queue = new RateLimitedQueue(ctx.clock);
  }

  /** Converges the object named by `key`. Throw to retry with backoff. */
  abstract sync(key: string): Promise<SyncResult>;

  run(workers: number): void {
    for (let i = 0; i < workers; i++) this.running.push(this.worker());
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.running);
  }

  /** Processes one key (exposed for tests): sync, then forget or requeue. */
  async processKey(key: string): Promise<void> {
    try {
      const r = await this.sync(key);
      this.queue.forget(key);
      this.failureCounts.delete(key);
      if (r && r.requeueAfterMs !== undefined) this.queue.addAfter(key, r.requeueAfterMs);
    } catch (e) {
      const n = (this.failureCounts.get(key) ?? 0) + 1;
      this.failureCounts.set(key, n);
      if (n <= this.maxRetries) {
        this.ctx.log.warn({ controller: this.name, key, err: String(e) }, 'sync failed; requeueing');
        this.queue.addRateLimited(key);
      } else {
        this.ctx.log.error({ controller: this.name, key, err: String(e) }, 'sync failed; dropping key');
        this.failureCounts.delete(key);
        this.queue.forget(key);
      }
    }
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.processKey(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}

/** Duck-typed API error helpers (ApiError from @keelson/client carries `code` and `reason`). */
export function errReason(e: unknown): string | undefined {
  return (e as { reason?: string } | null)?.reason;
}
/** True for a 404 NotFound API error. */
export function isNotFoundErr(e: unknown): boolean {
  return errReason(e) === 'NotFound' || (e as { code?: number } | null)?.code === 404;
}
/** True for a 409 AlreadyExists API error. */
export function isAlreadyExistsErr(e: unknown): boolean {
  return errReason(e) === 'AlreadyExists';
}
/** True for a 409 Conflict API error. */
export function isConflictErr(e: unknown): boolean {
  return errReason(e) === 'Conflict';
}
