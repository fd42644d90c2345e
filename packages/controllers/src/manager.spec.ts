import { FakeClientset, FakeClock } from '@keelson/client';
import { InvalidArgumentError } from './errors';
import { resolveControllers, startControllerManager } from './manager';
import { LeaseElector } from './runtime/leader-election';
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
    clock.step(10_000);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    clock.step(10_000);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.step(16_000);
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
      clock.step(2000);
      await flush();
    }
    expect(m1.isLeader()).toBe(true);
    expect(m2.isLeader()).toBe(false);
    await m1.stop(); // releases the Lease
    clock.step(2000);
    await flush();
    expect(m2.isLeader()).toBe(true);
    await m2.stop();
  });
});
