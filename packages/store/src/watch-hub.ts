// The watch dispatcher: one pass over each committed group of events for all synced watchers
// (etcd's synced watcher group), so fan-out costs no disk reads. Watchers that start in the past
// catch up from LevelDB first (MvccStore.catchUp) and join here once they reach the durable
// revision; the hand-over happens synchronously, so nothing is missed or repeated.
import type { KeySpan } from './span';
import type { WatchCallbacks, WatchEvent } from './types';

/** One watch's state. */
export interface Watcher {
  readonly id: number;
  readonly span: KeySpan;
  readonly prevKv: boolean;
  readonly progressNotify: boolean;
  readonly cb: WatchCallbacks;
  /** Lowest revision not yet delivered. */
  nextRev: number;
  /** True once the watcher receives live events from dispatch(). */
  synced: boolean;
  /** True after cancel, error or close; no callback runs afterwards. */
  done: boolean;
  /** Whether events were delivered since the last periodic progress notification. */
  active: boolean;
}

function inSpan(span: KeySpan, k: string): boolean {
  if (span.end === undefined) return k === span.start;
  return k >= span.start && (span.end === null || k < span.end);
}

/** Registry of watchers and the live-event dispatcher. */
export class WatchHub {
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 1;

  /** Number of live watchers. */
  get size(): number {
    return this.watchers.size;
  }

  /** Registers a watcher; `synced` says whether it starts on live events. */
  add(init: Omit<Watcher, 'id' | 'done' | 'active'>): Watcher {
    const w: Watcher = { ...init, id: this.nextId++, done: false, active: false };
    this.watchers.set(w.id, w);
    return w;
  }

  /** Ends a watcher silently (cancel). */
  remove(w: Watcher): void {
    w.done = true;
    this.watchers.delete(w.id);
  }

  /** Ends a watcher with an error delivered through onError. */
  fail(w: Watcher, err: Error): void {
    if (w.done) return;
    this.remove(w);
    try {
      w.cb.onError(err);
    } catch {
      // A throwing onError has nowhere left to report to.
    }
  }

  /** Delivers events to one watcher; a throwing callback ends the watch. */
  deliver(w: Watcher, events: WatchEvent[], revision: number): void {
    if (w.done) return;
    w.active = true;
    try {
      w.cb.onEvents(events, revision);
    } catch (err) {
      this.fail(w, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Delivers one committed group: `events` in revision order, `revision` the durable revision
   * after the group.
   */
  dispatch(events: WatchEvent[], revision: number): void {
    if (!this.watchers.size) return;
    let stripped: WatchEvent[] | undefined;
    for (const w of this.watchers.values()) {
      if (!w.synced || w.done) continue;
      let src = events;
      if (!w.prevKv) {
        stripped ??= events.map((e) => (e.prevKv ? { type: e.type, kv: e.kv } : e));
        src = stripped;
      }
      let matched: WatchEvent[] | undefined;
      for (const e of src) {
        if (e.kv.modRevision >= w.nextRev && inSpan(w.span, e.kv.key)) (matched ??= []).push(e);
      }
      if (revision + 1 > w.nextRev) w.nextRev = revision + 1;
      if (matched) this.deliver(w, matched, revision);
    }
  }

  /**
   * Sends onProgress(revision) to synced watchers: all of them (`onlyIdle` false, an explicit
   * progress request) or those with progressNotify that saw no events since the last call.
   */
  progress(revision: number, onlyIdle: boolean): void {
    for (const w of this.watchers.values()) {
      if (!w.synced || w.done) continue;
      if (onlyIdle) {
        const idle = !w.active;
        w.active = false;
        if (!w.progressNotify || !idle) continue;
      }
      try {
        w.cb.onProgress?.(revision);
      } catch (err) {
        this.fail(w, err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  /** Every live watcher. */
  all(): Watcher[] {
    return [...this.watchers.values()];
  }
}
