/**
 * Test helpers: a ControllerContext over a FakeClientset with hand-fed informers, a fake clock
 * and @keelson/client EventRecorders writing to the fake API; a pod builder. Used by this package's unit tests (not part of the
 * package's public API, since it pulls in the FakeClientset).
 */
import type { Event, KubeObject } from '@keelson/api';
import { EventRecorder, FakeClientset, FakeClock } from '@keelson/client';
import type { ControllerContext } from './runtime/controller';
import { silentLogger } from './runtime/controller';
import { StaticInformerSource } from './runtime/informer';
import { rfc3339 } from './util/clock';
import type { Pod } from './types';

/** A unit-test harness: fake API, static informers fed from `objects`, fake clock, events. */
export interface TestHarness {
  client: FakeClientset;
  informers: StaticInformerSource;
  clock: FakeClock;
  /** Events the controllers recorded (through real EventRecorders into the fake API). */
  events: RecordedEvents;
  ctx: ControllerContext;
  /** Puts objects into both the fake API and the informer cache of `resource`. */
  seed(resource: string, ...objs: KubeObject[]): void;
  /** The recorded write actions as "verb resource[/sub] ns/name" strings (Event writes excluded). */
  writes(): string[];
  /** Copies the fake API's current objects of `resource` into its informer (adds, updates, removals). */
  refresh(...resources: string[]): void;
}

/** Read access to the Events written through a harness's recorders. */
export interface RecordedEvents {
  /**
   * Waits for every recorder to flush, then returns one "Reason message" string per Event
   * write (create, or a count-bumping patch of a repeat), in order.
   */
  lines(): Promise<string[]>;
}

/** Builds a {@link TestHarness}. */
export function harness(): TestHarness {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const client = new FakeClientset({ now: () => clock.now() });
  const informers = new StaticInformerSource();
  const recorders: EventRecorder[] = [];
  const events: RecordedEvents = {
    async lines() {
      await Promise.all(recorders.map((r) => r.flush()));
      const out: string[] = [];
      for (const a of client.actions) {
        if (a.resource !== 'events') continue;
        if (a.verb === 'create') {
          const e = a.object as Event;
          out.push(`${e.reason} ${e.message}`);
        } else if (a.verb === 'patch') {
          const e = client.peek<Event>('events', a.namespace, a.name!);
          out.push(`${e?.reason} ${(a.patch as { message?: string }).message ?? e?.message}`);
        }
      }
      return out;
    },
  };
  const recorder = (component: string) => {
    const r = new EventRecorder(client, { component, clock });
    recorders.push(r);
    return r;
  };
  const ctx: ControllerContext = { client, informers, recorder, clock, log: silentLogger };
  return {
    client,
    informers,
    clock,
    events,
    ctx,
    seed(resource, ...objs) {
      client.seed(
        objs.map((o) => ({
          ...o,
          kind: o.kind ?? client.resource(resource).info.kind,
          apiVersion: o.apiVersion ?? groupVersionOf(client, resource),
        })),
      );
      for (const o of objs) {
        const stored = client.peek(resource, o.metadata.namespace, o.metadata.name!);
        informers.informer(resource).add(stored ?? o);
      }
    },
    refresh(...resources) {
      for (const r of resources) {
        const inf = informers.informer(r);
        const live = client.objects(r);
        const keys = new Set(
          live.map((o) =>
            o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!,
          ),
        );
        for (const [k, o] of [...inf.store.items]) if (!keys.has(k)) inf.remove(o);
        for (const o of live) {
          const k = o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
          if (inf.store.items.get(k)?.metadata.resourceVersion !== o.metadata.resourceVersion) inf.add(o);
        }
      }
    },
    writes() {
      return client.actions
        .filter((a) => !['get', 'list', 'watch'].includes(a.verb) && a.resource !== 'events')
        .map((a) =>
          `${a.verb} ${a.resource}${a.subresource ? '/' + a.subresource : ''} ${a.namespace ? a.namespace + '/' : ''}${a.name ?? ''}`.trimEnd(),
        );
    },
  };
}

function groupVersionOf(client: FakeClientset, resource: string): string {
  const i = client.resource(resource).info;
  return i.group ? `${i.group}/${i.version}` : i.version;
}

/** Options of {@link makePod}. */
export interface PodOpts {
  ns?: string;
  labels?: Record<string, string>;
  node?: string;
  phase?: string;
  ready?: boolean;
  /** Epoch ms of the Ready transition. */
  readySince?: number;
  restarts?: number;
  created?: number;
  owner?: KubeObject & { kind?: string; apiVersion?: string };
  ip?: string;
  uid?: string;
  deleting?: boolean;
  spec?: Record<string, unknown>;
}

/** A pod builder for tests (upstream's MakePod wrapper, reduced). */
export function makePod(name: string, o: PodOpts = {}): Pod {
  const created = o.created ?? Date.UTC(2026, 0, 1);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.ns ?? 'default',
      uid: o.uid ?? `uid-${name}`,
      labels: o.labels ?? {},
      creationTimestamp: rfc3339(created),
      resourceVersion: '1',
      ...(o.owner
        ? {
            ownerReferences: [
              {
                apiVersion: o.owner.apiVersion ?? 'apps/v1',
                kind: o.owner.kind!,
                name: o.owner.metadata.name!,
                uid: o.owner.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
      ...(o.deleting ? { deletionTimestamp: rfc3339(created + 1000) } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'busybox' }],
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.spec ?? {}),
    },
    status: {
      phase: o.phase ?? (o.node ? 'Running' : 'Pending'),
      ...(o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {}),
      conditions:
        o.ready !== undefined
          ? [
              {
                type: 'Ready',
                status: o.ready ? 'True' : 'False',
                lastTransitionTime: rfc3339(o.readySince ?? created),
              },
            ]
          : [],
      containerStatuses: [
        { name: 'c', ready: !!o.ready, restartCount: o.restarts ?? 0, image: 'busybox', imageID: '' },
      ],
    },
  };
}
