import { FakeClientset, FakeClock } from '@keelson/client';
import { InvalidArgumentError } from './errors';
import { resolveControllers, startControllerManager } from './manager';
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
    for (let i = 0; i < 3 && !m2.isLeader(); i++) {
      clock.step(2000 * 2.2); // the longest jittered retry period
      await flush();
    }
    expect(m2.isLeader()).toBe(true);
    await m2.stop();
    const lease = client.peek<
      { spec: { holderIdentity: string; leaseTransitions: number } } & import('@keelson/api').KubeObject
    >('leases', 'kube-system', 'kube-controller-manager')!;
    expect(lease.spec.holderIdentity).toBe(''); // released on stop
    expect(lease.spec.leaseTransitions).toBe(1);
  });

  it('a leader that cannot renew stops its controllers and campaigns again', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const client = new FakeClientset({ now: () => clock.now() });
    const flush = async () => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    const m = await startControllerManager(
      { leaderElect: true, controllers: ['replicaset'], identity: 'one', clock },
      client,
    );
    await flush();
    expect(m.isLeader()).toBe(true);
    // Another holder takes the Lease behind this manager's back: renewals now fail.
    const lease = client.peek<{ spec: Record<string, unknown> } & import('@keelson/api').KubeObject>(
      'leases',
      'kube-system',
      'kube-controller-manager',
    )!;
    await client
      .resource<typeof lease>('leases')
      .update({ ...lease, spec: { ...lease.spec, holderIdentity: 'other' } });
    for (let i = 0; i < 8; i++) {
      clock.step(2000);
      await flush();
    }
    expect(m.isLeader()).toBe(false);
    // 'other' never renews: after a lease duration (15 s) observed on this clock, 'one' leads again.
    for (let i = 0; i < 15 && !m.isLeader(); i++) {
      clock.step(2000 * 2.2);
      await flush();
    }
    expect(m.isLeader()).toBe(true);
    await m.stop();
  });

  it('rejects leader-election durations the elector cannot work with', async () => {
    const client = new FakeClientset();
    await expect(
      startControllerManager({ leaderElect: true, leaseDurationMs: 5000, renewDeadlineMs: 10_000 }, client),
    ).rejects.toThrow(InvalidArgumentError);
  });
});
