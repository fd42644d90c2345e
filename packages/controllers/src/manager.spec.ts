import { FakeClientset } from '@keelson/client';
import { InvalidArgumentError } from './errors';
import { resolveControllers, startControllerManager } from './manager';
import { LeaseElector } from './runtime/leader-election';
import { RateLimitedQueue } from './runtime/queue';
import { FakeClock } from './util/clock';
import { parseDuration } from './util/duration';

describe('manager options', () => {
  it('resolves --controllers like kube-controller-manager', () => {
    const all = resolveControllers(['*']);
    expect(all).toContain('replicaset');
    expect(all).toContain('garbagecollector');
    expect(resolveControllers(['*', '-nodelifecycle'])).not.toContain('nodelifecycle');
    expect(resolveControllers(['replicaset,deployment'])).toEqual(['replicaset', 'deployment']);
    expect(() => resolveControllers(['nope'])).toThrow(InvalidArgumentError);
  });

  it('parses Go durations', () => {
    expect(parseDuration('40s')).toBe(40_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5')).toBe(5_000);
    expect(() => parseDuration('5 minutes')).toThrow(/invalid duration/);
  });
});

describe('RateLimitedQueue', () => {
  it('de-duplicates, holds keys being processed, and backs off exponentially', async () => {
    const clock = new FakeClock();
    const q = new RateLimitedQueue(clock);
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.len()).toBe(2);
    const k = await q.get();
    expect(k).toBe('a');
    q.add('a'); // while processing: held
    expect(q.len()).toBe(1);
    q.done('a');
    expect(q.len()).toBe(2);
    q.addRateLimited('c');
    q.addRateLimited('c');
    expect(q.numRequeues('c')).toBe(2);
    clock.advance(4);
    expect(q.len()).toBe(2);
    clock.advance(1);
    expect(q.len()).toBe(3);
    q.shutDown();
  });
});

describe('leader election', () => {
  it('only one candidate holds the Lease; the other takes over after it expires', async () => {
    const clock = new FakeClock();
    const client = new FakeClientset({ now: () => clock.now() });
    const events: string[] = [];
    const mk = (id: string) =>
      new LeaseElector(client, {
        name: 'kcm',
        identity: id,
        clock,
        leaseDurationMs: 15_000,
        onStartedLeading: () => events.push(`${id} leads`),
        onStoppedLeading: () => events.push(`${id} stops`),
      });
    const a = mk('a');
    const b = mk('b');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.advance(10_000);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    clock.advance(10_000);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.advance(16_000);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    const lease = client.peek<
      { spec: { holderIdentity: string; leaseTransitions: number } } & import('@keelson/api').KubeObject
    >('leases', 'kube-system', 'kcm')!;
    expect(lease.spec.holderIdentity).toBe('b');
    expect(lease.spec.leaseTransitions).toBe(1);
  });

  it('startControllerManager with leaderElect runs controllers only on the leader', async () => {
    const clock = new FakeClock();
    const client = new FakeClientset({ now: () => clock.now() });
    const flush = async () => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    const opts = {
      leaderElect: true,
      controllers: ['replicaset'],
      retryPeriodMs: 2000,
      clock,
      informerImpl: 'builtin' as const,
    };
    const m1 = await startControllerManager({ ...opts, identity: 'one' }, client);
    await flush();
    expect(m1.isLeader()).toBe(true);
    const m2 = await startControllerManager({ ...opts, identity: 'two' }, client);
    for (let i = 0; i < 5; i++) {
      clock.advance(2000);
      await flush();
    }
    expect(m1.isLeader()).toBe(true);
    expect(m2.isLeader()).toBe(false);
    await m1.stop(); // releases the Lease
    clock.advance(2000);
    await flush();
    expect(m2.isLeader()).toBe(true);
    await m2.stop();
  });
});
