/**
 * The controller work queue, after client-go `util/workqueue` (queue.go, delaying_queue.go,
 * rate_limiting_queue.go): a FIFO of keys that
 * - de-duplicates: a key added while queued is queued once;
 * - never hands the same key to two workers: a key added while being processed is queued
 *   again only after `done(key)`;
 * - delays: `addAfter(key, ms)` (the earliest pending time wins) and `addRateLimited(key)` with
 *   the rate limiter's backoff; `forget(key)` resets the backoff after a success.
 * Time comes from an injectable {@link Clock}.
 */
import { realClock, type Clock, type TimerHandle } from '../clock';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
} from './rate-limiter';

/** Options of {@link RateLimitingQueue}. */
export interface RateLimitingQueueOptions<K> {
  /** Time source for delays (default the real clock). */
  clock?: Clock;
  /**
   * The limiter used by addRateLimited. Default: per-item exponential backoff from `baseDelayMs`
   * (5) to `maxDelayMs` (1 000 000), plus an overall token bucket when `bucket` is given.
   */
  rateLimiter?: RateLimiter<K>;
  /** First per-item backoff delay, ms (default 5, client-go's controller default). */
  baseDelayMs?: number;
  /** Per-item backoff cap, ms (default 1 000 000 = 1000 s). */
  maxDelayMs?: number;
  /** Overall token bucket (client-go default 10 qps, burst 100); off unless given. */
  bucket?: { qps: number; burst: number };
  /** A name for diagnostics. */
  name?: string;
}

/** A de-duplicating, delaying, rate-limited FIFO of keys (K compared with SameValueZero). */
export class RateLimitingQueue<K> {
  readonly name?: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  private queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiting = new Map<K, { at: number; timer: TimerHandle }>();
  private readonly getters: Array<(k: K | undefined) => void> = [];
  private shutting = false;
  private readonly drainWaiters: Array<() => void> = [];
  private addCount = 0;
  private retryCount = 0;

  constructor(opts: RateLimitingQueueOptions<K> = {}) {
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    if (opts.rateLimiter) this.limiter = opts.rateLimiter;
    else {
      const item = new ItemExponentialFailureRateLimiter<K>(
        opts.baseDelayMs ?? 5,
        opts.maxDelayMs ?? 1_000_000,
      );
      this.limiter = opts.bucket
        ? new MaxOfRateLimiter<K>(
            item,
            new BucketRateLimiter<K>(opts.bucket.qps, opts.bucket.burst, this.clock),
          )
        : item;
    }
  }

  /** Queues `key` now unless it is already queued; ignored after shutDown. */
  add(key: K): void {
    if (this.shutting || this.dirty.has(key)) return;
    this.addCount++;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
    } else this.queue.push(key);
  }

  /**
   * Queues `key` after `ms` milliseconds (≤ 0: now). If the key is already waiting, the earlier
   * of the two times wins. Ignored after shutDown.
   */
  addAfter(key: K, ms: number): void {
    if (this.shutting) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const w = this.waiting.get(key);
    if (w) {
      if (w.at <= at) return;
      this.clock.clearTimeout(w.timer);
    }
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  /** Queues `key` after the rate limiter's delay for it (and counts one more requeue). */
  addRateLimited(key: K): void {
    this.retryCount++;
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets `key`'s backoff (call after it was processed successfully). */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  /** How many times `key` was requeued with addRateLimited since the last forget. */
  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }

  /**
   * The next key to process, waiting for one if the queue is empty; resolves undefined once the
   * queue is shut down. The caller must call {@link done} with the key when finished.
   */
  get(): Promise<K | undefined> {
    if (this.shutting) return Promise.resolve(undefined);
    if (this.queue.length > 0) {
      const key = this.queue.shift() as K;
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks `key` finished; if it was added again meanwhile it is queued now. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shutting) {
      this.dirty.delete(key);
      this.add(key);
    }
    if (this.shutting && this.processing.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Keys accepted by {@link add} so far (not counting de-duplicated ones): client-go's `workqueue_adds_total`. */
  get adds(): number {
    return this.addCount;
  }

  /** Calls of {@link addRateLimited} so far: client-go's `workqueue_retries_total`. */
  get retries(): number {
    return this.retryCount;
  }

  /** Number of keys queued and ready (not counting ones being processed or waiting on a delay). */
  len(): number {
    return this.queue.length;
  }

  /** Number of keys waiting on addAfter/addRateLimited delays. */
  waitingLen(): number {
    return this.waiting.size;
  }

  /** Stops the queue: pending and future get() resolve undefined, delayed adds are dropped. Idempotent. */
  shutDown(): void {
    if (this.shutting) return;
    this.shutting = true;
    for (const w of this.waiting.values()) this.clock.clearTimeout(w.timer);
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /**
   * Shuts down like {@link shutDown}, then resolves once every key handed out by get() has been
   * marked done() (client-go ShutDownWithDrain).
   */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Number of keys handed out by get() and not yet done(). */
  processingLen(): number {
    return this.processing.size;
  }

  /** True after shutDown(). */
  shuttingDown(): boolean {
    return this.shutting;
  }
}
