/**
 * Event recording (client-go tools/record EventRecorder): controllers tell the story of what
 * they did as core/v1 Events (`kubectl describe` shows them). Repeats of the same
 * (object, reason, message) within the process bump `count` instead of creating a new Event.
 */
import type { KubeObject } from '@keelson/api';
import type { Clientset } from '@keelson/client';
import { realClock, type Clock } from '@keelson/client';
import { rfc3339 } from '../util/clock';

/** The recorder contract: type is "Normal" or "Warning"; reason is CamelCase. */
export interface EventSink {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** One recorded event (for tests). */
export interface RecordedEvent {
  object: string;
  type: string;
  reason: string;
  message: string;
}

/** Records events in memory (unit tests assert on `events`). */
export class MemoryEventSink implements EventSink {
  readonly events: RecordedEvent[] = [];
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({
      object: `${obj.kind ?? ''}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`,
      type,
      reason,
      message,
    });
  }
  /** "Reason message" strings, in order. */
  lines(): string[] {
    return this.events.map((e) => `${e.reason} ${e.message}`);
  }
}

/**
 * Writes core/v1 Events through the clientset (fire-and-forget; failures are ignored as
 * client-go's broadcaster does after its retries). `component` fills source.component and
 * reportingComponent, e.g. "replicaset-controller".
 */
export class ClientEventSink implements EventSink {
  private seen = new Map<string, { name: string; ns: string; count: number; first: string }>();
  constructor(
    private readonly clientset: Clientset,
    private readonly component: string,
    private readonly clock: Clock = realClock,
  ) {}

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ns = obj.metadata.namespace || 'default';
    const now = rfc3339(this.clock.now());
    const dedupe = `${obj.metadata.uid}|${reason}|${message}`;
    const prev = this.seen.get(dedupe);
    const events = this.clientset.resource('events');
    if (prev) {
      prev.count++;
      void events
        .patch(ns, prev.name, 'merge', { count: prev.count, lastTimestamp: now })
        .catch(() => undefined);
      return;
    }
    const name = `${obj.metadata.name}.${(this.clock.now() * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`;
    this.seen.set(dedupe, { name, ns, count: 1, first: now });
    if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: '',
    };
    void events.create(ev as unknown as KubeObject).catch(() => undefined);
  }
}
