import type { Probe } from '@keelson/api';
import { makePod, rc, runtimeState } from '../testing/builders';
import { FakeClock } from '../util/clock';
import { ProbeManager, type ProbeEvent } from './manager';
import type { ProbeResult } from './probe';

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function setup(results: ProbeResult[] | (() => ProbeResult)) {
  const clock = new FakeClock(1_000_000);
  const calls: number[] = [];
  const events: ProbeEvent[] = [];
  let i = 0;
  const mgr = new ProbeManager(
    async () => {
      calls.push(clock.now());
      const r =
        typeof results === 'function' ? results() : (results[Math.min(i++, results.length - 1)] ?? 'success');
      return { result: r, message: r === 'failure' ? 'boom' : '' };
    },
    clock,
    (e) => events.push(e),
  );
  return { clock, calls, events, mgr };
}

async function advance(clock: FakeClock, ms: number, step = 1000) {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

describe('ProbeManager', () => {
  it('waits initialDelaySeconds from container start, then probes every periodSeconds', async () => {
    const { clock, calls, mgr } = setup(['success']);
    const probe: Probe = { exec: { command: ['true'] }, initialDelaySeconds: 5, periodSeconds: 3 };
    const pod = makePod('p', [{ name: 'c', readinessProbe: probe }]);
    const c = rc('c', 'running', { startedAt: clock.now() });
    mgr.syncPod(pod, runtimeState('uid-p', [c]), () => '10.0.0.1');
    expect(mgr.ready(c.id, pod.spec!.containers[0]!)).toBe(false);
    await advance(clock, 12_000);
    expect(calls.map((t) => t - 1_000_000)).toEqual([5000, 8000, 11000]);
    expect(mgr.ready(c.id, pod.spec!.containers[0]!)).toBe(true);
  });

  it('flips liveness to failure only after failureThreshold consecutive failures, then holds', async () => {
    const { clock, calls, events, mgr } = setup([
      'failure',
      'success',
      'failure',
      'failure',
      'failure',
      'success',
    ]);
    const pod = makePod('p', [
      { name: 'c', livenessProbe: { httpGet: { port: 80 }, periodSeconds: 1, failureThreshold: 3 } },
    ]);
    const c = rc('c', 'running', { startedAt: clock.now() });
    mgr.syncPod(pod, runtimeState('uid-p', [c]), () => '10.0.0.1');
    await advance(clock, 1000, 1);
    await advance(clock, 4000);
    expect(mgr.livenessFailed(c.id)).toBe(true);
    expect(events).toEqual([
      {
        podUid: 'uid-p',
        containerName: 'c',
        containerId: c.id,
        type: 'liveness',
        result: 'failure',
        message: 'boom',
      },
    ]);
    const n = calls.length;
    await advance(clock, 5000);
    expect(calls.length).toBe(n); // on hold until a new container replaces it
    // a new container gets a fresh worker
    const c2 = rc('c', 'running', { startedAt: clock.now() });
    mgr.syncPod(pod, runtimeState('uid-p', [c2]), () => '10.0.0.1');
    expect(mgr.livenessFailed(c2.id)).toBe(false);
  });

  it('needs successThreshold consecutive successes for readiness', async () => {
    const { clock, mgr } = setup(['success', 'failure', 'success', 'success']);
    const probe: Probe = { tcpSocket: { port: 80 }, periodSeconds: 1, successThreshold: 2 };
    const pod = makePod('p', [{ name: 'c', readinessProbe: probe }]);
    const c = rc('c', 'running', { startedAt: clock.now() });
    mgr.syncPod(pod, runtimeState('uid-p', [c]), () => '10.0.0.1');
    await advance(clock, 1, 1);
    expect(mgr.result(c.id, 'readiness')).toBe('failure'); // one success is not enough
    await advance(clock, 2000);
    expect(mgr.result(c.id, 'readiness')).toBe('failure');
    await advance(clock, 1000);
    expect(mgr.result(c.id, 'readiness')).toBe('success');
  });

  it('holds liveness and readiness until the startup probe succeeds', async () => {
    let startupOk = false;
    const { clock, calls, mgr } = setup(() => (startupOk ? 'success' : 'failure'));
    const pod = makePod('p', [
      {
        name: 'c',
        startupProbe: { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 30 },
        livenessProbe: { exec: { command: ['y'] }, periodSeconds: 1 },
      },
    ]);
    const c = rc('c', 'running', { startedAt: clock.now() });
    mgr.syncPod(pod, runtimeState('uid-p', [c]), () => '10.0.0.1');
    await advance(clock, 3000);
    expect(mgr.started(c.id, pod.spec!.containers[0]!)).toBe(false);
    const before = calls.length;
    expect(before).toBeGreaterThanOrEqual(3); // startup probes only
    startupOk = true;
    await advance(clock, 3000);
    expect(mgr.started(c.id, pod.spec!.containers[0]!)).toBe(true);
    expect(mgr.livenessFailed(c.id)).toBe(false);
    expect(calls.length).toBeGreaterThan(before + 1); // liveness runs now
  });

  it('reports startup failure after failureThreshold', async () => {
    const { clock, mgr } = setup(['failure']);
    const pod = makePod('p', [
      { name: 'c', startupProbe: { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 2 } },
    ]);
    const c = rc('c', 'running', { startedAt: clock.now() });
    mgr.syncPod(pod, runtimeState('uid-p', [c]), () => '10.0.0.1');
    await advance(clock, 3000);
    expect(mgr.startupFailed(c.id)).toBe(true);
  });

  it('stops workers when the container stops running', async () => {
    const { clock, calls, mgr } = setup(['success']);
    const pod = makePod('p', [{ name: 'c', readinessProbe: { exec: { command: ['x'] }, periodSeconds: 1 } }]);
    const c = rc('c', 'running', { startedAt: clock.now() });
    mgr.syncPod(pod, runtimeState('uid-p', [c]), () => '10.0.0.1');
    await advance(clock, 2000);
    mgr.syncPod(pod, runtimeState('uid-p', [{ ...c, state: 'exited' }]), () => '10.0.0.1');
    const n = calls.length;
    await advance(clock, 5000);
    expect(calls.length).toBe(n);
    expect(clock.pending()).toBe(0);
  });
});
