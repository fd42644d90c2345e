/**
 * Injectable time (client-go's `k8s.io/utils/clock`): the work queue, reflector backoff, resync,
 * leader election and event aggregation read time and set timers only through a {@link Clock},
 * so unit tests drive them with {@link FakeClock} and never sleep.
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly __timer: true } | object;

/** Wall-clock time and one-shot timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (0 or negative: as soon as possible). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; idempotent, and a no-op for a timer that already fired. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: Date.now and Node's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (h) => clearTimeout(h as unknown as NodeJS.Timeout),
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A manual clock for tests: time moves only by {@link step} (or {@link setTime}); due timers run
 * synchronously inside step, in due-time order (ties in creation order), each seeing `now()` equal
 * to its due time. Timers a timer sets are run too if they fall due within the same step.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  /** @param start initial time, ms since the epoch (default 0). */
  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as FakeTimer;
    timer.cancelled = true;
    this.timers = this.timers.filter((x) => x !== timer);
  }

  /** Advances time by `ms` (≥ 0), running every timer that falls due, in order. */
  step(ms: number): void {
    this.setTime(this.t + Math.max(0, ms));
  }

  /** Moves time forward to `target` (never backwards), running due timers. */
  setTime(target: number): void {
    for (;;) {
      let next: FakeTimer | undefined;
      for (const x of this.timers) {
        if (x.at <= target && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      }
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = Math.max(this.t, target);
  }

  /** Number of pending timers. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** True when at least one timer is pending (client-go's HasWaiters). */
  hasWaiters(): boolean {
    return this.timers.length > 0;
  }

  /** Due time (ms) of the earliest pending timer, or undefined. */
  nextTimerAt(): number | undefined {
    return this.timers.length ? Math.min(...this.timers.map((x) => x.at)) : undefined;
  }
}

/** Resolves after `ms` on `clock`; rejects never; resolves early (with false) when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clock.clearTimeout(h);
      resolve(false);
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
