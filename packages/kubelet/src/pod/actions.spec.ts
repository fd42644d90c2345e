import { Backoff } from '../util/backoff';
import { FakeClock } from '../util/clock';
import { makePod, rc, runtimeState } from '../testing/builders';
import { computePodActions, containersToRemove } from './actions';
import { containerHash } from './labels';

function setup() {
  const clock = new FakeClock(1_000_000);
  const backoff = new Backoff(clock, 10_000, 300_000);
  return { clock, backoff, o: { now: clock.now(), backoff } };
}

describe('computePodActions', () => {
  it('creates a sandbox and starts every container for a new pod', () => {
    const { o } = setup();
    const pod = makePod('p', [{ name: 'a' }, { name: 'b' }]);
    const a = computePodActions(pod, { uid: 'uid-p', sandboxes: [], containers: [] }, o);
    expect(a.createSandbox).toBe(true);
    expect(a.sandboxAttempt).toBe(0);
    expect(a.containersToStart.map((s) => s.container.name)).toEqual(['a', 'b']);
    expect(a.initToStart).toBeUndefined();
  });

  it('starts only the first init container on a new pod', () => {
    const { o } = setup();
    const pod = makePod('p', [{ name: 'main' }], {
      initContainers: [
        { name: 'i1', image: 'busybox' },
        { name: 'i2', image: 'busybox' },
      ],
    });
    const a = computePodActions(pod, { uid: 'uid-p', sandboxes: [], containers: [] }, o);
    expect(a.initToStart?.container.name).toBe('i1');
    expect(a.containersToStart).toEqual([]);
  });

  it('runs init containers in order, then the regular containers', () => {
    const { o } = setup();
    const pod = makePod('p', [{ name: 'main' }], {
      initContainers: [
        { name: 'i1', image: 'busybox' },
        { name: 'i2', image: 'busybox' },
      ],
    });
    let a = computePodActions(pod, runtimeState('uid-p', [rc('i1', 'running')]), o);
    expect(a.initToStart).toBeUndefined();
    expect(a.initPending).toBe(true);
    a = computePodActions(pod, runtimeState('uid-p', [rc('i1', 'exited')]), o);
    expect(a.initToStart?.container.name).toBe('i2');
    a = computePodActions(pod, runtimeState('uid-p', [rc('i2', 'exited'), rc('i1', 'exited')]), o);
    expect(a.initPending).toBe(false);
    expect(a.containersToStart.map((s) => s.container.name)).toEqual(['main']);
  });

  it('fails the pod when an init container fails under restartPolicy Never', () => {
    const { o } = setup();
    const pod = makePod('p', [{ name: 'main' }], {
      restartPolicy: 'Never',
      initContainers: [{ name: 'i1', image: 'busybox' }],
    });
    const a = computePodActions(pod, runtimeState('uid-p', [rc('i1', 'exited', { exitCode: 1 })]), o);
    expect(a.initFailed).toBe(true);
    expect(a.killPod).toBe(true);
  });

  it('keeps running containers and does nothing else', () => {
    const { o } = setup();
    const pod = makePod();
    const a = computePodActions(pod, runtimeState('uid-p', [rc('c', 'running')]), o);
    expect(a).toMatchObject({
      killPod: false,
      createSandbox: false,
      containersToStart: [],
      containersToKill: [],
    });
  });

  it('restarts an exited container at once the first time, then backs off with doubling delays', () => {
    const { clock, backoff } = setup();
    const pod = makePod();
    const exitedAt = (t: number, restartCount: number) =>
      runtimeState('uid-p', [
        rc('c', 'exited', { exitCode: 1, finishedAt: t, startedAt: t - 100, restartCount }),
      ]);
    // first crash: restart immediately, arming 10 s
    let a = computePodActions(pod, exitedAt(clock.now(), 0), { now: clock.now(), backoff });
    expect(a.containersToStart.map((s) => s.restartCount)).toEqual([1]);
    // second crash right away: in back-off for 10 s
    clock.advance(1000);
    const t2 = clock.now();
    a = computePodActions(pod, exitedAt(t2, 1), { now: clock.now(), backoff });
    expect(a.containersToStart).toEqual([]);
    expect(a.backoff.get('c')).toBe(`back-off 10s restarting failed container=c pod=p_default(uid-p)`);
    expect(a.killPod).toBe(false);
    clock.advance(10_000);
    a = computePodActions(pod, exitedAt(t2, 1), { now: clock.now(), backoff });
    expect(a.containersToStart.map((s) => s.restartCount)).toEqual([2]);
    // third crash: 20 s
    const t3 = clock.now();
    clock.advance(15_000);
    a = computePodActions(pod, exitedAt(t3, 2), { now: clock.now(), backoff });
    expect(a.backoff.get('c')).toContain('back-off 20s');
    clock.advance(5_000);
    a = computePodActions(pod, exitedAt(t3, 2), { now: clock.now(), backoff });
    expect(a.containersToStart).toHaveLength(1);
    expect(backoff.get(`uid-p/c/${containerHash(pod.spec!.containers[0]!)}`)).toBe(40_000);
  });

  it('caps the back-off at the maximum and resets it after a container ran 10 minutes', () => {
    const { clock, backoff } = setup();
    const pod = makePod();
    const key = `uid-p/c/${containerHash(pod.spec!.containers[0]!)}`;
    for (let i = 0; i < 12; i++) backoff.next(key, clock.now());
    expect(backoff.get(key)).toBe(300_000);
    const longRun = runtimeState('uid-p', [
      rc('c', 'exited', { exitCode: 1, startedAt: clock.now() - 700_000, finishedAt: clock.now() }),
    ]);
    const a = computePodActions(pod, longRun, { now: clock.now(), backoff });
    expect(a.containersToStart).toHaveLength(1);
    expect(backoff.get(key)).toBe(10_000);
  });

  it('honours restartPolicy: Never keeps exited containers, OnFailure restarts only failures', () => {
    const { o } = setup();
    const never = makePod('p', [{ name: 'c' }], { restartPolicy: 'Never' });
    let a = computePodActions(never, runtimeState('uid-p', [rc('c', 'exited', { exitCode: 1 })]), o);
    expect(a.containersToStart).toEqual([]);
    expect(a.killPod).toBe(true);
    const onFailure = makePod('p', [{ name: 'c' }], { restartPolicy: 'OnFailure' });
    a = computePodActions(onFailure, runtimeState('uid-p', [rc('c', 'exited', { exitCode: 0 })]), o);
    expect(a.containersToStart).toEqual([]);
    a = computePodActions(onFailure, runtimeState('uid-p', [rc('c', 'exited', { exitCode: 2 })]), o);
    expect(a.containersToStart).toHaveLength(1);
  });

  it('does not recreate the sandbox of a finished Never pod', () => {
    const { o } = setup();
    const pod = makePod('p', [{ name: 'c' }], { restartPolicy: 'Never' });
    const a = computePodActions(pod, runtimeState('uid-p', [rc('c', 'exited', { exitCode: 0 })], false), o);
    expect(a.createSandbox).toBe(false);
    expect(a.killPod).toBe(true);
  });

  it('recreates a dead sandbox with the next attempt for an Always pod', () => {
    const { o } = setup();
    const pod = makePod();
    const a = computePodActions(pod, runtimeState('uid-p', [rc('c', 'exited', { exitCode: 137 })], false), o);
    expect(a.createSandbox).toBe(true);
    expect(a.sandboxAttempt).toBe(1);
    expect(a.containersToStart[0]!.restartCount).toBe(1);
  });

  it('kills and restarts a container whose liveness probe failed', () => {
    const { o } = setup();
    const pod = makePod();
    const c = rc('c', 'running', { restartCount: 3 });
    const a = computePodActions(pod, runtimeState('uid-p', [c]), {
      ...o,
      probes: { livenessFailed: (id) => id === c.id, startupFailed: () => false },
    });
    expect(a.containersToKill).toEqual([
      {
        id: c.id,
        name: 'c',
        reason: 'Unhealthy',
        message: 'Container c failed liveness probe, will be restarted',
      },
    ]);
    expect(a.containersToStart.map((s) => s.restartCount)).toEqual([4]);
  });

  it('restarts a container whose spec changed', () => {
    const { o } = setup();
    const pod = makePod();
    const a = computePodActions(pod, runtimeState('uid-p', [rc('c', 'running', { hash: 'deadbeef' })]), o);
    expect(a.containersToKill[0]!.reason).toBe('SpecChanged');
  });
});

describe('containersToRemove', () => {
  it('keeps the two newest containers per name', () => {
    const xs = [rc('c', 'exited'), rc('c', 'exited'), rc('c', 'exited'), rc('d', 'running')];
    const st = runtimeState('u', xs);
    expect(containersToRemove(st).map((c) => c.id)).toEqual([xs[2]!.id]);
  });
});
