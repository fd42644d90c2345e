import type { Container } from '@keelson/api';
import { makePod, rc, runtimeState } from '../testing/builders';
import { computePodStatus, qosClass, type StatusInputs } from './status';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function inputs(o: Partial<StatusInputs> = {}): StatusInputs {
  return {
    now: NOW,
    podIps: ['10.244.1.5'],
    hostIp: '192.168.1.10',
    runtimeName: 'keelson',
    waiting: new Map(),
    ready: () => true,
    started: () => true,
    sandboxReady: true,
    podIsTerminal: false,
    ...o,
  };
}

describe('computePodStatus', () => {
  it('reports a new pod as Pending with ContainerCreating', () => {
    const pod = makePod();
    const s = computePodStatus(
      pod,
      { uid: 'uid-p', sandboxes: [], containers: [] },
      inputs({ podIps: [], sandboxReady: false }),
    );
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses).toEqual([
      {
        name: 'c',
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: 'busybox:latest',
        imageID: '',
        started: false,
      },
    ]);
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [c]',
    });
    expect(s.conditions?.find((c) => c.type === 'PodReadyToStartContainers')?.status).toBe('False');
    expect(s.podIP).toBeUndefined();
    expect(s.hostIP).toBe('192.168.1.10');
    expect(s.qosClass).toBe('BestEffort');
    expect(s.startTime).toBe('2026-01-01T12:00:00Z');
  });

  it('reports a running ready pod with all conditions True', () => {
    const pod = makePod();
    const c = rc('c', 'running', { startedAt: NOW - 5000 });
    const s = computePodStatus(pod, runtimeState('uid-p', [c]), inputs());
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('10.244.1.5');
    expect(s.podIPs).toEqual([{ ip: '10.244.1.5' }]);
    expect(s.hostIPs).toEqual([{ ip: '192.168.1.10' }]);
    expect(s.containerStatuses![0]).toMatchObject({
      ready: true,
      started: true,
      containerID: `keelson://${c.id}`,
      imageID: 'sha256:abc',
      state: { running: { startedAt: '2026-01-01T11:59:55Z' } },
    });
    expect(s.conditions!.map((x) => [x.type, x.status])).toEqual([
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
  });

  it('keeps lastTransitionTime when a condition does not change', () => {
    const pod = makePod();
    const st = runtimeState('uid-p', [rc('c', 'running')]);
    const first = computePodStatus(pod, st, inputs());
    const second = computePodStatus({ ...pod, status: first }, st, inputs({ now: NOW + 60_000 }));
    expect(second.conditions).toEqual(first.conditions);
    const third = computePodStatus(
      { ...pod, status: first },
      st,
      inputs({ now: NOW + 60_000, ready: () => false }),
    );
    expect(third.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe(
      '2026-01-01T12:01:00Z',
    );
  });

  it('shows CrashLoopBackOff with the last termination', () => {
    const pod = makePod();
    const c = rc('c', 'exited', {
      exitCode: 1,
      restartCount: 2,
      startedAt: NOW - 3000,
      finishedAt: NOW - 1000,
    });
    const waiting = new Map([
      [
        'c',
        {
          reason: 'CrashLoopBackOff',
          message: 'back-off 20s restarting failed container=c pod=p_default(uid-p)',
        },
      ],
    ]);
    const s = computePodStatus(pod, runtimeState('uid-p', [c]), inputs({ waiting }));
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses![0]).toMatchObject({
      restartCount: 2,
      ready: false,
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: 'back-off 20s restarting failed container=c pod=p_default(uid-p)',
        },
      },
      lastState: {
        terminated: {
          exitCode: 1,
          reason: 'Error',
          startedAt: '2026-01-01T11:59:57Z',
          finishedAt: '2026-01-01T11:59:59Z',
          containerID: `keelson://${c.id}`,
        },
      },
    });
  });

  it('reports the volume mounts of a created container', () => {
    const pod = makePod('p', [
      {
        name: 'c',
        volumeMounts: [
          { name: 'cfg', mountPath: '/cfg', readOnly: true },
          { name: 'data', mountPath: '/data' },
        ],
      },
    ]);
    const s = computePodStatus(pod, runtimeState('uid-p', [rc('c', 'running')]), inputs());
    expect(s.containerStatuses![0]!.volumeMounts).toEqual([
      { name: 'cfg', mountPath: '/cfg', readOnly: true, recursiveReadOnly: 'Disabled' },
      { name: 'data', mountPath: '/data' },
    ]);
  });

  it('reports the previous attempt as lastState of a running container', () => {
    const pod = makePod();
    const old = rc('c', 'exited', { exitCode: 137, reason: 'OOMKilled' });
    const cur = rc('c', 'running', { restartCount: 1 });
    const s = computePodStatus(pod, runtimeState('uid-p', [cur, old]), inputs());
    expect(s.containerStatuses![0]!.lastState).toMatchObject({
      terminated: { exitCode: 137, reason: 'OOMKilled' },
    });
    expect(s.containerStatuses![0]!.restartCount).toBe(1);
  });

  it('ends a Never pod whose container exited 1 as Failed, and 0 as Succeeded', () => {
    const pod = makePod('p', [{ name: 'c' }], { restartPolicy: 'Never' });
    let s = computePodStatus(
      pod,
      runtimeState('uid-p', [rc('c', 'exited', { exitCode: 1 })], false),
      inputs({ podIsTerminal: true }),
    );
    expect(s.phase).toBe('Failed');
    expect(s.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    s = computePodStatus(
      pod,
      runtimeState('uid-p', [rc('c', 'exited', { exitCode: 0 })], false),
      inputs({ podIsTerminal: true }),
    );
    expect(s.phase).toBe('Succeeded');
    expect(s.containerStatuses![0]!.state!.terminated!.reason).toBe('Completed');
    expect(s.conditions!.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PodCompleted',
    });
  });

  it('never leaves a terminal phase', () => {
    const pod = { ...makePod(), status: { phase: 'Failed' } };
    const s = computePodStatus(pod, runtimeState('uid-p', [rc('c', 'running')]), inputs());
    expect(s.phase).toBe('Failed');
  });

  it('reports init containers: PodInitializing for regular containers, Initialized False', () => {
    const pod = makePod('p', [{ name: 'main' }], {
      initContainers: [{ name: 'init', image: 'busybox' }] as Container[],
    });
    const s = computePodStatus(pod, runtimeState('uid-p', [rc('init', 'running')]), inputs());
    expect(s.phase).toBe('Pending');
    expect(s.initContainerStatuses![0]!.state!.running).toBeDefined();
    expect(s.containerStatuses![0]!.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(s.conditions!.find((c) => c.type === 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [init]',
    });
  });

  it('reports image pull errors as waiting reasons', () => {
    const pod = makePod();
    const waiting = new Map([
      ['c', { reason: 'ErrImagePull', message: 'Failed to pull image "busybox:latest": not found' }],
    ]);
    const s = computePodStatus(pod, { uid: 'uid-p', sandboxes: [], containers: [] }, inputs({ waiting }));
    expect(s.containerStatuses![0]!.state).toEqual({
      waiting: { reason: 'ErrImagePull', message: 'Failed to pull image "busybox:latest": not found' },
    });
    expect(s.phase).toBe('Pending');
  });

  it('marks a running container unready until its readiness probe passes', () => {
    const pod = makePod();
    const s = computePodStatus(
      pod,
      runtimeState('uid-p', [rc('c', 'running')]),
      inputs({ ready: () => false }),
    );
    expect(s.containerStatuses![0]!.ready).toBe(false);
    expect(s.conditions!.find((c) => c.type === 'ContainersReady')!.status).toBe('False');
  });
});

describe('qosClass', () => {
  it('classifies Guaranteed, Burstable and BestEffort', () => {
    expect(qosClass(makePod('p', [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' } } }]))).toBe(
      'Guaranteed',
    );
    expect(qosClass(makePod('p', [{ name: 'c', resources: { requests: { cpu: '100m' } } }]))).toBe(
      'Burstable',
    );
    expect(qosClass(makePod('p', [{ name: 'c' }]))).toBe('BestEffort');
  });
});
