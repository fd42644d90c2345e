import type { Event, KubeObject } from '@keelson/api';
import { FakeClock } from '../clock';
import { ApiError } from '../errors';
import { FakeClientset } from '../fake';
import { EventRecorder } from './event-recorder';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns1', uid: 'u1', resourceVersion: '7' },
};

describe('EventRecorder', () => {
  it('creates an Event with the upstream fields', async () => {
    const clock = new FakeClock(Date.parse('2024-05-01T12:00:00Z'));
    const cs = new FakeClientset();
    const r = new EventRecorder(cs, { component: 'default-scheduler', host: 'node1', clock });
    r.event(pod, 'Normal', 'Scheduled', 'Successfully assigned ns1/p to node1');
    await r.flush();
    const [ev] = cs.objects<Event>('events');
    expect(ev).toMatchObject({
      metadata: { namespace: 'ns1' },
      involvedObject: {
        kind: 'Pod',
        namespace: 'ns1',
        name: 'p',
        uid: 'u1',
        apiVersion: 'v1',
        resourceVersion: '7',
      },
      reason: 'Scheduled',
      message: 'Successfully assigned ns1/p to node1',
      source: { component: 'default-scheduler', host: 'node1' },
      firstTimestamp: '2024-05-01T12:00:00Z',
      lastTimestamp: '2024-05-01T12:00:00Z',
      count: 1,
      type: 'Normal',
      reportingComponent: 'default-scheduler',
      reportingInstance: 'node1',
    });
    expect(ev!.metadata.name).toMatch(/^p\.[0-9a-f]+$/);
  });

  it('aggregates repeats by patching count and lastTimestamp', async () => {
    const clock = new FakeClock(Date.parse('2024-05-01T12:00:00Z'));
    const cs = new FakeClientset();
    const r = new EventRecorder(cs, { component: 'kubelet', clock });
    r.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    clock.step(10_000);
    r.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    clock.step(10_000);
    r.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    r.event(pod, 'Warning', 'Failed', 'other');
    await r.flush();
    expect(cs.actions.map((a) => a.verb)).toEqual(['create', 'patch', 'patch', 'create']);
    const evs = cs.objects<Event>('events');
    const backoff = evs.find((e) => e.reason === 'BackOff')!;
    expect(backoff.count).toBe(3);
    expect(backoff.firstTimestamp).toBe('2024-05-01T12:00:00Z');
    expect(backoff.lastTimestamp).toBe('2024-05-01T12:00:20Z');
    expect(evs).toHaveLength(2);
  });

  it('is best effort: failures go to onError, never to the caller; a vanished event is recreated', async () => {
    const cs = new FakeClientset();
    const errors: unknown[] = [];
    const r = new EventRecorder(cs, { component: 'c', onError: (e) => errors.push(e) });
    cs.prependReactor('create', 'events', () => ({
      error: new ApiError({ code: 403, reason: 'Forbidden' }),
    }));
    expect(() => r.event(pod, 'Normal', 'X', 'y')).not.toThrow();
    await r.flush();
    expect(errors).toHaveLength(1);
    const cs2 = new FakeClientset();
    const r2 = new EventRecorder(cs2, { component: 'c' });
    r2.event(pod, 'Normal', 'X', 'y');
    await r2.flush();
    await cs2.resource('events').deleteCollection('ns1');
    r2.event(pod, 'Normal', 'X', 'y');
    await r2.flush();
    expect(cs2.actions.map((a) => a.verb)).toEqual(['create', 'deletecollection', 'patch', 'create']);
    expect(cs2.objects<Event>('events')[0]!.count).toBe(1);
  });
});

describe('EventRecorder correlator', () => {
  it('combines similar events after 10 distinct messages', async () => {
    const clock = new FakeClock(0);
    const cs = new FakeClientset();
    const r = new EventRecorder(cs, { component: 'default-scheduler', clock });
    for (let i = 0; i < 12; i++) r.event(pod, 'Warning', 'FailedScheduling', `0/${i} nodes are available`);
    await r.flush();
    const evs = cs.objects<Event>('events');
    expect(evs).toHaveLength(10); // 9 distinct + 1 combined
    const combined = evs.find((e) => e.message!.startsWith('(combined from similar events): '))!;
    expect(combined.message).toBe('(combined from similar events): 0/11 nodes are available');
    expect(combined.count).toBe(3);
  });

  it('drops an event storm beyond the burst, then allows one per refill period', async () => {
    const clock = new FakeClock(0);
    const cs = new FakeClientset();
    const r = new EventRecorder(cs, { component: 'kubelet', clock, spamBurst: 3, spamRefillMs: 1000 });
    for (let i = 0; i < 5; i++) r.event(pod, 'Normal', 'Pulled', 'same');
    await r.flush();
    expect(cs.objects<Event>('events')[0]!.count).toBe(3);
    clock.step(1000);
    r.event(pod, 'Normal', 'Pulled', 'same');
    await r.flush();
    expect(cs.objects<Event>('events')[0]!.count).toBe(4);
  });
});
