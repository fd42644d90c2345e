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
 * Not modelled: the similar-event aggregation ("combined from similar events") and the
 * per-object spam filter of upstream's correlator.
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
      const key = JSON.stringify([
        this.opts.component,
        this.opts.host ?? '',
        ref.kind,
        ref.namespace,
        ref.name,
        ref.uid,
        ref.apiVersion,
        ref.fieldPath,
        type,
        reason,
        message,
      ]);
      const now = this.clock.now();
      if (this.pending >= (this.opts.maxPending ?? 1000)) return;
      this.pending++;
      this.chain = this.chain
        .then(() => this.write(key, ref, type, reason, message, now))
        .finally(() => {
          this.pending--;
        });
    } catch {
      // best effort: recording must never fail the caller
    }
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
