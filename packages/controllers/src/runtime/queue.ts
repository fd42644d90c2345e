/**
 * A rate-limited work queue of string keys (client-go util/workqueue): a key queued twice before
 * it is processed is processed once; a key being processed is never handed to a second worker
 * (re-adds during processing are held until `done`); failures requeue with per-key exponential
 * backoff (5 ms doubling to 1000 s, client-go's DefaultControllerRateLimiter item part).
 */
import type { Clock, TimerHandle } from '../util/clock';
import { realClock } from '../util/clock';

/** The queue contract the controllers use. */
export interface WorkQueue {
  add(key: string): void;
  /** Adds after `ms` milliseconds. */
  addAfter(key: string, ms: number): void;
  /** Adds after the key's next backoff delay. */
  addRateLimited(key: string): void;
  /** Resets the key's backoff. */
  forget(key: string): void;
  /** Next key; undefined once shut down. */
  get(): Promise<string | undefined>;
  /** Marks processing of `key` finished. */
  done(key: string): void;
  len(): number;
  shutDown(): void;
}

/** Default {@link WorkQueue}. */
export class RateLimitedQueue implements WorkQueue {
  private queue: string[] = [];
  private dirty = new Set<string>();
  private processing = new Set<string>();
  private failures = new Map<string, number>();
  private waiters: ((k: string | undefined) => void)[] = [];
  private timers = new Map<string, { at: number; h: TimerHandle }>();
  private shutting = false;

  constructor(
    private readonly clock: Clock = realClock,
    private readonly baseDelayMs = 5,
    private readonly maxDelayMs = 1000_000,
  ) {}

  add(key: string): void {
    if (this.shutting || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const w = this.waiters.shift();
    if (w) {
      this.dirty.delete(key);
      this.processing.add(key);
      w(key);
    } else this.queue.push(key);
  }

  addAfter(key: string, ms: number): void {
    if (this.shutting) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const t = this.timers.get(key);
    if (t && t.at <= at) return;
    t?.h.cancel();
    const h = this.clock.setTimer(ms, () => {
      this.timers.delete(key);
      this.add(key);
    });
    this.timers.set(key, { at, h });
  }

  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(this.baseDelayMs * 2 ** n, this.maxDelayMs));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Number of failures recorded for `key`. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get(): Promise<string | undefined> {
    if (this.queue.length) {
      const k = this.queue.shift()!;
      this.dirty.delete(k);
      this.processing.add(k);
      return Promise.resolve(k);
    }
    if (this.shutting) return Promise.resolve(undefined);
    return new Promise((r) => this.waiters.push(r));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  len(): number {
    return this.queue.length;
  }

  shutDown(): void {
    this.shutting = true;
    for (const t of this.timers.values()) t.h.cancel();
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
