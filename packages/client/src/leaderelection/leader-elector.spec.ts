import type { Lease } from '@keelson/api';
import { FakeClock } from '../clock';
import { ApiError } from '../errors';
import { FakeClientset } from '../fake';
import { LeaderElector, microTime } from './leader-elector';

async function settle(n = 4): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** Advances the fake clock in 100 ms steps, letting the async loops run between steps. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    clock.step(100);
    await settle();
  }
}

function candidate(
  cs: FakeClientset,
  clock: FakeClock,
  identity: string,
  log: string[],
  extra: Partial<ConstructorParameters<typeof LeaderElector>[0]> = {},
) {
  return new LeaderElector({
    clientset: cs,
    namespace: 'kube-system',
    name: 'kube-scheduler',
    identity,
    clock,
    jitterFactor: 0,
    callbacks: {
      onStartedLeading: () => log.push(`${identity} started @${clock.now()}`),
      onStoppedLeading: () => log.push(`${identity} stopped @${clock.now()}`),
      onNewLeader: (id) => log.push(`${identity} sees ${id}`),
    },
    ...extra,
  });
}

const lease = (cs: FakeClientset) => cs.peek<Lease>('leases', 'kube-system', 'kube-scheduler')!;

describe('LeaderElector', () => {
  it('creates the Lease and leads; renews every retryPeriod', async () => {
    const clock = new FakeClock(0);
    const cs = new FakeClientset({ now: () => clock.now() });
    const log: string[] = [];
    const a = candidate(cs, clock, 'a', log);
    void a.run();
    await settle();
    expect(a.isLeader()).toBe(true);
    expect(log).toEqual(['a sees a', 'a started @0']);
    expect(lease(cs).spec).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: microTime(0),
      renewTime: microTime(0),
      leaseTransitions: 0,
    });
    await advance(clock, 2000);
    expect(lease(cs).spec?.renewTime).toBe(microTime(2000));
    expect(lease(cs).spec?.acquireTime).toBe(microTime(0));
    a.stop();
  });

  it('a second candidate waits while the leader renews, and takes over leaseDuration after it stops renewing', async () => {
    const clock = new FakeClock(0);
    const cs = new FakeClientset({ now: () => clock.now() });
    const log: string[] = [];
    const a = candidate(cs, clock, 'a', log, { releaseOnCancel: false });
    const b = candidate(cs, clock, 'b', log);
    const aDone = a.run();
    await settle();
    void b.run();
    await advance(clock, 30_000);
    expect(b.isLeader()).toBe(false);
    expect(b.getLeader()).toBe('a');
    a.stop(); // crash-like: no release
    await aDone;
    const stoppedAt = clock.now();
    await advance(clock, 20_000);
    expect(b.isLeader()).toBe(true);
    const started = log.find((l) => l.startsWith('b started'))!;
    const at = Number(started.split('@')[1]);
    // b must have observed a's last renewal unchanged for a full lease duration
    expect(at).toBeGreaterThanOrEqual(stoppedAt - 2000 + 15_000);
    expect(at).toBeLessThanOrEqual(stoppedAt + 15_000 + 2000);
    expect(lease(cs).spec?.holderIdentity).toBe('b');
    expect(lease(cs).spec?.leaseTransitions).toBe(1);
    expect(log).toContain('a stopped @' + stoppedAt);
    expect(log).toContain('b sees b');
    b.stop();
  });

  it('releaseOnCancel hands the lease over at the next retry', async () => {
    const clock = new FakeClock(0);
    const cs = new FakeClientset({ now: () => clock.now() });
    const log: string[] = [];
    const a = candidate(cs, clock, 'a', log);
    const b = candidate(cs, clock, 'b', log);
    const aDone = a.run();
    await settle();
    void b.run();
    await advance(clock, 5000);
    a.stop();
    await aDone;
    expect(lease(cs).spec?.holderIdentity).toBe('');
    const t0 = clock.now();
    await advance(clock, 2100);
    expect(b.isLeader()).toBe(true);
    expect(clock.now() - t0).toBeLessThanOrEqual(2100);
    b.stop();
  });

  it('stops leading when it cannot renew within renewDeadline', async () => {
    const clock = new FakeClock(0);
    const cs = new FakeClientset({ now: () => clock.now() });
    const log: string[] = [];
    const a = candidate(cs, clock, 'a', log, { onError: () => {} });
    let leadSignal: AbortSignal | undefined;
    const done = new LeaderElector({
      clientset: cs,
      namespace: 'kube-system',
      name: 'other',
      identity: 'x',
      clock,
      jitterFactor: 0,
      callbacks: {
        onStartedLeading: (s) => (leadSignal = s),
        onStoppedLeading: () => log.push(`x stopped @${clock.now()}`),
      },
      onError: () => {},
    }).run();
    void a.run();
    await settle();
    expect(leadSignal?.aborted).toBe(false);
    cs.prependReactor('update', 'leases', () => ({
      error: new ApiError({ code: 503, reason: 'ServiceUnavailable' }),
    }));
    await advance(clock, 12_000);
    await done;
    expect(leadSignal?.aborted).toBe(true);
    expect(log).toContain('x stopped @10000');
    expect(log).toContain('a stopped @10000');
    expect(a.isLeader()).toBe(false);
  });
});

describe('LeaderElector with a hanging apiserver', () => {
  it('steps down at renewDeadline even if the renew call never answers', async () => {
    const clock = new FakeClock(0);
    const fake = new FakeClientset({ now: () => clock.now() });
    let hang = false;
    const cs = {
      resource: (name: string, apiVersion?: string) => {
        const rc = fake.resource(name, apiVersion);
        return new Proxy(rc, {
          get: (t, prop) =>
            prop === 'get' && hang
              ? () => new Promise(() => {})
              : (t as unknown as Record<string | symbol, unknown>)[prop as string],
        });
      },
      version: () => fake.version(),
      close: () => fake.close(),
    } as unknown as FakeClientset;
    const log: string[] = [];
    const a = candidate(cs, clock, 'a', log);
    const done = a.run();
    await settle();
    expect(a.isLeader()).toBe(true);
    hang = true;
    await advance(clock, 11_000);
    await done;
    expect(a.isLeader()).toBe(false);
    expect(log.at(-1)).toBe('a stopped @10000');
  });
});
