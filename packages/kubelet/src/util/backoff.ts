/**
 * Per-key exponential back-off, the semantics of client-go util/flowcontrol.Backoff as the kubelet
 * uses it for CrashLoopBackOff and ImagePullBackOff: the first failure restarts at once and arms
 * `initialMs`; each later restart doubles the delay up to `maxMs`; an entry idle for more than
 * 2×max is forgotten.
 */
import type { Clock } from './clock';

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

/** Exponential back-off keyed by string (e.g. "<podUid>/<container>/<specHash>"). */
export class Backoff {
  private readonly entries = new Map<string, Entry>();

  /**
   * @param initialMs first delay (the kubelet: 10 s)
   * @param maxMs cap (the kubelet: 300 s)
   */
  constructor(
    private readonly clock: Clock,
    readonly initialMs = 10_000,
    readonly maxMs = 300_000,
  ) {}

  private expired(eventTime: number, lastUpdate: number) {
    return eventTime - lastUpdate > 2 * this.maxMs;
  }

  /** Current delay of `key` in ms (0 when none). */
  get(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Records a restart at `eventTime` (ms): arms the initial delay or doubles it. */
  next(key: string, eventTime: number): void {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e.lastUpdate)) {
      this.entries.set(key, { delayMs: this.initialMs, lastUpdate: this.clock.now() });
    } else {
      e.delayMs = Math.min(e.delayMs * 2, this.maxMs);
      e.lastUpdate = this.clock.now();
    }
  }

  /** True while `now - eventTime` is less than the key's current delay. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    if (this.expired(this.clock.now(), e.lastUpdate)) return false;
    return this.clock.now() - eventTime < e.delayMs;
  }

  /** Forgets `key` (e.g. after a container ran long enough). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets keys with the given prefix (e.g. a deleted pod's uid). */
  resetPrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}

/** Formats ms like Go's time.Duration.String() for whole seconds: "10s", "1m20s", "5m0s". */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${m}m${sec}s` : `${m}m${sec}s`;
}
