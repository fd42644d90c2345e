/**
 * The shape every controller shares (kubernetes/sample-controller): event handlers only enqueue
 * keys; `sync(key)` converges one object and is idempotent; workers pull keys from a rate-limited
 * queue, requeue failures with backoff, and honour a sync's request to look again later.
 */
import { RateLimitingQueue, type Clientset, type Clock, type EventRecorder } from '@keelson/client';
import type { InformerSource } from './informer';

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
  /**
   * Builds a @keelson/client {@link EventRecorder} for a component name ("replicaset-controller");
   * controllers call only its `event(obj, type, reason, message)`.
   */
  recorder(component: string): EventRecorder;
  /** Time source for queue delays and every controller's notion of "now" (@keelson/client Clock). */
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

/**
 * Base class: a queue, workers and the error handling around `sync`. The queue is
 * @keelson/client's {@link RateLimitingQueue} of string keys on `ctx.clock`, with client-go's
 * per-item backoff (5 ms doubling to 1000 s) and no overall token bucket.
 */
export abstract class QueueController implements Controller {
  abstract readonly name: string;
  /** The controller's work queue ("namespace/name" or "name" keys). */
  readonly queue: RateLimitingQueue<string>;
  private running: Promise<void>[] = [];
  /**
   * Retries before a key is dropped. Upstream drops after 15 and relies on periodic informer
   * resyncs to bring the key back; these informers do not resync, so by default a failing key
   * keeps retrying with backoff (capped at 1000 s) until it succeeds.
   */
  protected maxRetries = Infinity;

  constructor(protected readonly ctx: ControllerContext) {
    this.queue = new RateLimitingQueue<string>({ clock: ctx.clock, baseDelayMs: 5, maxDelayMs: 1_000_000 });
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
      if (r && r.requeueAfterMs !== undefined) this.queue.addAfter(key, r.requeueAfterMs);
    } catch (e) {
      if (this.queue.numRequeues(key) < this.maxRetries) {
        this.ctx.log.warn({ controller: this.name, key, err: String(e) }, 'sync failed; requeueing');
        this.queue.addRateLimited(key);
      } else {
        this.ctx.log.error({ controller: this.name, key, err: String(e) }, 'sync failed; dropping key');
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
