/**
 * Records core/v1 Events about objects, after client-go `tools/record` (event.go, events_cache.go):
 * - best effort: `event()` returns at once; writes happen in the background, in order, and a
 *   failure goes to `onError`, never to the caller;
 * - repeats are aggregated as the EventCorrelator's EventLogger does: an event identical in
 *   source, involved object, type, reason and message to one already written is not created again
 *   but PATCHed (merge patch) with count + 1 and a new lastTimestamp; if that event is gone (404)
 *   a new one is created;
 * - the Event is named "<involved name>.<hex nanoseconds>" in the involved object's namespace
 *   ("default" for cluster-scoped objects).
 * - similar events (same object, type and reason, different messages) are combined once 10
 *   distinct messages were seen within 10 minutes: the message becomes "(combined from similar
 *   events): <latest>" and one event is bumped (EventAggregator);
 * - a per source + object token bucket (burst 25, one token per 5 minutes) drops event storms
 *   (EventSourceObjectSpamFilter).
 */
import type { Event, KubeObject, ObjectReference } from '@keelson/api';
import type { Clientset, ResourceClient } from '../interfaces';
import { realClock, type Clock } from '../clock';
import { isNotFound } from '../errors';

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions {
  /** source.component and reportingComponent, e.g. "default-scheduler", "kubelet". */
  component: string;
  /** source.host and reportingInstance, e.g. the node name. */
  host?: string;
  clock?: Clock;
  /** Receives write failures (default: ignored). */
  onError?(err: unknown, event: Event): void;
  /** Most distinct events remembered for aggregation (default 4096, upstream's maxLruCacheEntries). */
  cacheSize?: number;
  /** Most writes waiting in the background; more are dropped (default 1000, upstream's queue length). */
  maxPending?: number;
  /** Distinct messages per (object, type, reason) in 10 minutes before they are combined (default 10). */
  maxSimilar?: number;
  /** Spam filter: events per source + object allowed in a burst (default 25). */
  spamBurst?: number;
  /** Spam filter: ms to earn one more event (default 300000 = 5 minutes, i.e. qps 1/300). */
  spamRefillMs?: number;
}

/** "Normal" or "Warning" (core/v1 event types). */
export type EventType = 'Normal' | 'Warning';

/** An object reference for the involved object (client-go reference.GetReference). */
export function objectReference(obj: KubeObject, fieldPath?: string): ObjectReference {
  const ref: ObjectReference = {
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    apiVersion: obj.apiVersion,
    resourceVersion: obj.metadata.resourceVersion,
  };
  if (fieldPath) ref.fieldPath = fieldPath;
  for (const k of Object.keys(ref) as Array<keyof ObjectReference>)
    if (ref[k] === undefined || ref[k] === '') delete ref[k];
  return ref;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** EventAggregator's window (upstream defaultAggregateIntervalInSeconds: 600). */
const AGGREGATE_INTERVAL_MS = 600_000;

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

/** Emits Events; see the module comment. */
export class EventRecorder {
  private readonly events: ResourceClient<Event>;
  private readonly clock: Clock;
  private readonly cache = new Map<string, Seen>();
  private readonly similar = new Map<string, { messages: Set<string>; last: number }>();
  private readonly spam = new Map<string, { tokens: number; at: number }>();
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private seq = 0n;

  constructor(
    clientset: Clientset,
    private readonly opts: EventRecorderOptions,
  ) {
    this.events = clientset.resource<Event>('events', 'v1');
    this.clock = opts.clock ?? realClock;
  }

  /**
   * Records that `reason` happened to `obj` (or to the referenced object), e.g.
   * `event(pod, 'Normal', 'Scheduled', 'Successfully assigned ns/p to node1')`. Never throws.
   */
  event(obj: KubeObject | ObjectReference, type: EventType, reason: string, message: string): void {
    try {
      const ref = 'metadata' in obj ? objectReference(obj as KubeObject) : { ...(obj as ObjectReference) };
      const now = this.clock.now();
      const source = [this.opts.component, this.opts.host ?? ''];
      const object = [ref.kind, ref.namespace, ref.name, ref.uid, ref.apiVersion];
      if (!this.spamAllows(JSON.stringify([...source, ...object, ref.fieldPath, type]), now)) return;
      // EventAggregator: after `maxSimilar` distinct messages for one (object, type, reason)
      // within 10 minutes, further ones are combined into a single event.
      const aggKey = JSON.stringify([...source, ...object, ref.fieldPath, type, reason]);
      let rec = this.similar.get(aggKey);
      if (!rec || now - rec.last > AGGREGATE_INTERVAL_MS) rec = { messages: new Set(), last: now };
      rec.messages.add(message);
      rec.last = now;
      this.similar.delete(aggKey);
      this.similar.set(aggKey, rec);
      if (this.similar.size > (this.opts.cacheSize ?? 4096))
        this.similar.delete(this.similar.keys().next().value as string);
      let key: string;
      let text = message;
      if (rec.messages.size >= (this.opts.maxSimilar ?? 10)) {
        rec.messages.delete(rec.messages.values().next().value as string);
        key = `aggregate:${aggKey}`;
        text = `(combined from similar events): ${message}`;
      } else key = JSON.stringify([aggKey, message]);
      if (this.pending >= (this.opts.maxPending ?? 1000)) return;
      this.pending++;
      this.chain = this.chain
        .then(() => this.write(key, ref, type, reason, text, now))
        .finally(() => {
          this.pending--;
        });
    } catch {
      // best effort: recording must never fail the caller
    }
  }

  /** EventSourceObjectSpamFilter: a token bucket per source + object (burst 25, one token per 5 minutes). */
  private spamAllows(key: string, now: number): boolean {
    const burst = this.opts.spamBurst ?? 25;
    const refillMs = this.opts.spamRefillMs ?? 300_000;
    const b = this.spam.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.at) / refillMs);
    b.at = now;
    this.spam.delete(key);
    this.spam.set(key, b);
    if (this.spam.size > (this.opts.cacheSize ?? 4096))
      this.spam.delete(this.spam.keys().next().value as string);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Resolves when every event recorded so far has been written (or failed). */
  flush(): Promise<void> {
    return this.chain;
  }

  private remember(key: string, s: Seen): void {
    this.cache.delete(key);
    this.cache.set(key, s);
    const max = this.opts.cacheSize ?? 4096;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value as string);
  }

  private async write(
    key: string,
    ref: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    now: number,
  ): Promise<void> {
    const ts = rfc3339(now);
    const seen = this.cache.get(key);
    if (seen) {
      const count = seen.count + 1;
      try {
        await this.events.patch(seen.namespace, seen.name, 'merge', { count, lastTimestamp: ts, message });
        this.remember(key, { ...seen, count });
        return;
      } catch (e) {
        if (!isNotFound(e)) {
          this.opts.onError?.(
            e,
            this.build(seen.name, seen.namespace, ref, type, reason, message, seen.firstTimestamp, ts, count),
          );
          return;
        }
        this.cache.delete(key);
      }
    }
    const namespace = ref.namespace || 'default';
    const nanos = BigInt(now) * 1_000_000n + (this.seq++ % 1_000_000n);
    const name = `${ref.name ?? 'unknown'}.${nanos.toString(16)}`;
    const ev = this.build(name, namespace, ref, type, reason, message, ts, ts, 1);
    try {
      await this.events.create(ev);
      this.remember(key, { name, namespace, count: 1, firstTimestamp: ts });
    } catch (e) {
      this.opts.onError?.(e, ev);
    }
  }

  private build(
    name: string,
    namespace: string,
    ref: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    first: string,
    last: string,
    count: number,
  ): Event {
    const source: Event['source'] = { component: this.opts.component };
    if (this.opts.host) source.host = this.opts.host;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      source,
      firstTimestamp: first,
      lastTimestamp: last,
      count,
      type,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? '',
    };
  }
}
