/**
 * The reflector (client-go `tools/cache/reflector.go`): keeps a store in step with the apiserver by
 * listing a resource, then watching from the list's resourceVersion.
 * - A watch that ends cleanly (server timeout) is reopened at once from the last seen
 *   resourceVersion.
 * - A watch that breaks (transport error, 5xx ...) is reopened from the last seen resourceVersion
 *   after an exponential backoff (default 800 ms doubling to 30 s, reset by progress), so no event
 *   is lost and nothing is relisted.
 * - A watch answered 410 Gone/Expired (the resourceVersion was compacted) relists at once.
 * - A failing list is retried with the same backoff.
 */
import type { KubeObject } from '@keelson/api';
import type { ListOptions, ResourceClient, WatchHandle } from '../interfaces';
import { realClock, sleep, type Clock } from '../clock';
import { ApiError, isGone } from '../errors';

/** Where a reflector writes what it learns. */
export interface ReflectorStore<T> {
  /** The full state after a (re)list, with the list's resourceVersion. */
  replace(items: T[], resourceVersion: string): void;
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
}

/** Options of {@link Reflector}. */
export interface ReflectorOptions {
  /** Namespace to list/watch; empty or undefined: all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Time source for backoff and watch-duration checks (default the real clock). */
  clock?: Clock;
  /** List page size (default 500, client-go's); 0 = no paging. */
  pageSize?: number;
  /** First backoff after a failure, ms (default 800). */
  initialBackoffMs?: number;
  /** Backoff cap, ms (default 30000). */
  maxBackoffMs?: number;
  /** Server-side watch timeout, seconds (default: random in [300, 600), as client-go's minWatchTimeout·[1,2)). */
  watchTimeoutSeconds?: number;
  /** Called with every list/watch failure (for logging); never throws into the reflector. */
  onError?(err: Error, phase: 'list' | 'watch'): void;
  /** A name for diagnostics, e.g. "pods". */
  name?: string;
}

/** Keeps a {@link ReflectorStore} in sync with one resource (optionally one namespace and selectors). */
export class Reflector<T extends KubeObject> {
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private running = false;
  private watchHandle?: WatchHandle;
  private lastRv = '';
  private backoffMs: number;
  private loop?: Promise<void>;
  /** Counters for tests and diagnostics. */
  readonly stats = { lists: 0, watches: 0, relistsOnGone: 0, failures: 0 };

  constructor(
    private readonly client: ResourceClient<T>,
    private readonly store: ReflectorStore<T>,
    private readonly opts: ReflectorOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.backoffMs = opts.initialBackoffMs ?? 800;
  }

  /** Starts listing and watching in the background; idempotent. */
  run(): void {
    if (this.running || this.abort.signal.aborted) return;
    this.running = true;
    this.loop = this.listAndWatch();
  }

  /** Stops: cancels the watch and any backoff wait. Idempotent. */
  stop(): void {
    this.abort.abort();
    this.watchHandle?.stop();
  }

  /** Resolves when the background loop has ended after stop(). */
  async stopped(): Promise<void> {
    await this.loop;
  }

  /** The resourceVersion of the last list or event seen ("" before the first list). */
  lastSyncResourceVersion(): string {
    return this.lastRv;
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  private report(err: Error, phase: 'list' | 'watch'): void {
    this.stats.failures++;
    try {
      this.opts.onError?.(err, phase);
    } catch {
      // logging must not break the loop
    }
  }

  private async backoff(): Promise<void> {
    const ms = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 30000);
    await sleep(this.clock, ms, this.abort.signal);
  }

  private resetBackoff(): void {
    this.backoffMs = this.opts.initialBackoffMs ?? 800;
  }

  private async list(): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    const limit = this.opts.pageSize ?? 500;
    do {
      const page = await this.client.list(this.opts.namespace, {
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: limit > 0 ? limit : undefined,
        continue: cont,
      });
      if (this.stopping) return;
      items.push(...page.items);
      rv = page.metadata.resourceVersion ?? rv;
      cont = page.metadata.continue || undefined;
    } while (cont);
    this.stats.lists++;
    this.lastRv = rv;
    this.store.replace(items, rv);
  }

  /** One watch from lastRv; resolves when it ends with its error (if any) and how many events it carried. */
  private watchOnce(): Promise<{ err?: Error; events: number }> {
    return new Promise((resolve) => {
      let events = 0;
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        this.watchHandle = undefined;
        resolve({ err, events });
      };
      const opts: ListOptions = {
        resourceVersion: this.lastRv,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        allowWatchBookmarks: true,
        timeoutSeconds: this.opts.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random())),
      };
      this.stats.watches++;
      try {
        this.watchHandle = this.client.watch(this.opts.namespace, opts, {
          onEvent: (e) => {
            if (settled || this.stopping) return;
            if (e.type === 'ERROR') {
              this.watchHandle?.stop();
              finish(new ApiError(e.object as never));
              return;
            }
            const rv = e.object?.metadata?.resourceVersion;
            try {
              switch (e.type) {
                case 'ADDED':
                  this.store.add(e.object);
                  break;
                case 'MODIFIED':
                  this.store.update(e.object);
                  break;
                case 'DELETED':
                  this.store.delete(e.object);
                  break;
                case 'BOOKMARK':
                  break;
              }
            } finally {
              if (rv) this.lastRv = rv;
              events++;
            }
          },
          onClose: (err) => finish(err),
        });
      } catch (e) {
        finish(e as Error);
        return;
      }
      if (this.stopping) this.watchHandle?.stop();
    });
  }

  private async listAndWatch(): Promise<void> {
    let needList = true;
    while (!this.stopping) {
      if (needList) {
        try {
          await this.list();
          if (this.stopping) return;
          needList = false;
          this.resetBackoff();
        } catch (e) {
          if (this.stopping) return;
          this.report(e as Error, 'list');
          await this.backoff();
          continue;
        }
      }
      const started = this.clock.now();
      const { err, events } = await this.watchOnce();
      if (this.stopping) return;
      if (events > 0) this.resetBackoff();
      if (err && isGone(err)) {
        // The resourceVersion was compacted: only a fresh list can restore a consistent view.
        this.stats.relistsOnGone++;
        this.report(err, 'watch');
        needList = true;
        continue;
      }
      if (err) {
        this.report(err, 'watch');
        await this.backoff();
        continue;
      }
      // A clean close is the server's timeout; a very short one with nothing in it is suspicious.
      if (events === 0 && this.clock.now() - started < 1000) await this.backoff();
    }
  }
}
