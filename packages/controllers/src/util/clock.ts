/**
 * An injectable clock, so controllers that wait (minReadySeconds, progress deadlines, node
 * grace periods, job backoff) are tested without sleeping.
 */

/** A cancellable timer handle. */
export interface TimerHandle {
  cancel(): void;
}

/** Time source and timers. All times are epoch milliseconds. */
export interface Clock {
  /** Current time, epoch ms. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** The wall clock (Date.now and setTimeout; timers are unref'd so they never hold the process). */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * A manual clock for tests: time moves only through `advance(ms)` (or `set(ms)`), which fires
 * every timer that has come due, in due order.
 */
export class FakeClock implements Clock {
  private t: number;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;

  /** @param start epoch ms to start at (default 2026-01-01T00:00:00Z). */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = ++this.seq;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return { cancel: () => (this.timers = this.timers.filter((x) => x.id !== id)) };
  }

  /** Moves time forward by `ms` and fires due timers. */
  advance(ms: number): void {
    this.set(this.t + ms);
  }

  /** Sets the time (never backwards) and fires due timers. */
  set(at: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > at) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = Math.max(this.t, at);
  }

  /** Number of pending timers. */
  pending(): number {
    return this.timers.length;
  }
}

/** RFC 3339 (second precision, like metav1.Time) for an epoch-ms time. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parses a metav1.Time; undefined for missing/invalid. */
export function parseTime(t: string | undefined | null): number | undefined {
  if (!t) return undefined;
  const v = Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
}
