// Test helper: a WatchCallbacks that records everything and lets a test await a condition.
import type { WatchCallbacks, WatchEvent } from '../types';

/** Records watch callbacks; `until(pred)` resolves once pred holds (or rejects on error). */
export class Collector implements WatchCallbacks {
  readonly events: WatchEvent[] = [];
  readonly batches: Array<{ events: WatchEvent[]; revision: number }> = [];
  readonly progress: number[] = [];
  error: Error | undefined;
  private waiters: Array<() => void> = [];

  onEvents = (events: WatchEvent[], revision: number): void => {
    this.events.push(...events);
    this.batches.push({ events, revision });
    this.wake();
  };
  onProgress = (revision: number): void => {
    this.progress.push(revision);
    this.wake();
  };
  onError = (err: Error): void => {
    this.error = err;
    this.wake();
  };

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `pred()` is true; rejects after `timeoutMs` with what was seen. */
  async until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`condition not met: ${this.events.length} events, error ${String(this.error)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
