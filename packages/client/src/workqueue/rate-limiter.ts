/**
 * Rate limiters for the work queue, after client-go `util/workqueue/default_rate_limiters.go`:
 * per-item exponential failure backoff, an overall token bucket, and their max.
 */
import { realClock, type Clock } from '../clock';

/** Decides how long an item waits before it is requeued. */
export interface RateLimiter<K> {
  /** Delay in ms before `item` may be processed again; records one more failure of it. */
  when(item: K): number;
  /** Stops tracking `item` (it succeeded): its backoff starts over. */
  forget(item: K): void;
  /** How many times `item` has been requeued since the last forget. */
  numRequeues(item: K): number;
}

/**
 * Per-item exponential backoff: baseMs · 2^failures, capped at maxMs
 * (ItemExponentialFailureRateLimiter; client-go's controller default is 5 ms → 1000 s).
 */
export class ItemExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  /** @param baseMs first delay, ms (default 5). @param maxMs cap, ms (default 1 000 000 = 1000 s). */
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}

  when(item: K): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    const d = this.baseMs * Math.pow(2, exp);
    return !Number.isFinite(d) || d > this.maxMs ? this.maxMs : d;
  }
  forget(item: K): void {
    this.failures.delete(item);
  }
  numRequeues(item: K): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * An overall token bucket (BucketRateLimiter over golang.org/x/time/rate): `qps` tokens per second,
 * at most `burst` stored; each `when()` reserves one token and returns the wait until it is
 * available. Client-go's controller default is 10 qps, burst 100.
 */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps = 10,
    readonly burst = 100,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: K): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }
  forget(_item: K): void {}
  numRequeues(_item: K): number {
    return 0;
  }
}

/** The maximum delay of several limiters (MaxOfRateLimiter); numRequeues is the maximum too. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];
  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }
  when(item: K): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(item)));
  }
  forget(item: K): void {
    for (const l of this.limiters) l.forget(item);
  }
  numRequeues(item: K): number {
    return Math.max(0, ...this.limiters.map((l) => l.numRequeues(item)));
  }
}

/**
 * client-go's DefaultControllerRateLimiter: max of per-item exponential (5 ms → 1000 s) and an
 * overall bucket of 10 qps / burst 100.
 */
export function defaultControllerRateLimiter<K>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialFailureRateLimiter<K>(5, 1_000_000),
    new BucketRateLimiter<K>(10, 100, clock),
  );
}
