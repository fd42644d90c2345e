/**
 * ControllerExpectations (k8s.io/kubernetes pkg/controller/controller_utils.go): per controller
 * key, how many creates and deletes it has issued but not yet seen through its informers. A
 * controller syncs a key only when its expectations are satisfied (all observed) or expired
 * (older than the TTL, 5 minutes upstream), which prevents creating twice while writes are in
 * flight. Deletions are tracked by pod key (UIDTrackingControllerExpectations), so a deletion
 * observed twice counts once.
 */
import type { Clock } from '@keelson/client';

/** Upstream's ExpectationsTimeout: 5 minutes, in ms. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Record_ {
  add: number;
  del: number;
  at: number;
  deleteKeys: Set<string>;
}

/** Expectations keyed by controller key ("namespace/name"). */
export class ControllerExpectations {
  private m = new Map<string, Record_>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /** True when the key has no expectations, all were observed, or they are older than the TTL. */
  satisfied(key: string): boolean {
    const e = this.m.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.at > this.ttlMs;
  }

  /** Sets (replaces) the expectation that `adds` creates will be observed for `key`. */
  expectCreations(key: string, adds: number): void {
    this.m.set(key, { add: adds, del: 0, at: this.clock.now(), deleteKeys: new Set() });
  }

  /** Sets (replaces) the expectation that the pods named by `podKeys` will be observed deleted. */
  expectDeletions(key: string, podKeys: string[]): void {
    this.m.set(key, { add: 0, del: podKeys.length, at: this.clock.now(), deleteKeys: new Set(podKeys) });
  }

  /** A create was observed (or failed and will never be observed). */
  creationObserved(key: string): void {
    const e = this.m.get(key);
    if (e) e.add--;
  }

  /** The deletion of `podKey` was observed (or failed). Counts once per pod key. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.m.get(key);
    if (e && e.deleteKeys.delete(podKey)) e.del--;
  }

  /** Forgets the key (its controller object is gone). */
  delete(key: string): void {
    this.m.delete(key);
  }

  /** Outstanding (adds, dels) for the key; undefined when none are recorded. */
  get(key: string): { add: number; del: number } | undefined {
    const e = this.m.get(key);
    return e && { add: e.add, del: e.del };
  }
}
