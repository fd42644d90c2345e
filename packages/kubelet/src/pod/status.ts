/**
 * The API PodStatus from the runtime state, probe results and start-failure reasons (upstream
 * kubelet_pods.go generateAPIPodStatus, getPhase, convertToAPIContainerStatuses and
 * pkg/kubelet/status/generate.go). Pure: time comes in as `now`.
 */
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from '@keelson/api';
import { rfc3339 } from '../util/clock';
import { shouldRestart } from './actions';
import type { RuntimeContainer, RuntimePodState } from './runtime-state';

/** Why a container is waiting (upstream reasonCache), e.g. ErrImagePull, CrashLoopBackOff. */
export interface WaitingReason {
  reason: string;
  message: string;
}

/** Inputs of {@link computePodStatus}. */
export interface StatusInputs {
  now: number;
  podIps: string[];
  hostIp: string;
  /** CRI runtime name for containerID URLs ("<runtime>://<id>"). */
  runtimeName: string;
  /** Start-failure reasons by container name (set on failure, cleared on a successful start). */
  waiting: Map<string, WaitingReason>;
  /** Readiness of a running container (readiness probe result; true when no probe). */
  ready(containerId: string, c: Container): boolean;
  /** Startup state of a running container (startup probe passed; true when no probe). */
  started(containerId: string, c: Container): boolean;
  /** True when the pod's sandbox is ready and networked. */
  sandboxReady: boolean;
  /** True when the kubelet has decided the pod is done (nothing will run again). */
  podIsTerminal: boolean;
}

/** QoS class (v1qos.GetPodQOS): Guaranteed, Burstable or BestEffort. */
export function qosClass(pod: Pod): string {
  const cs = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && req[r] !== lim[r]) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function terminatedOf(c: RuntimeContainer, runtimeName: string): ContainerState {
  const reason = c.reason || (c.exitCode === 0 ? 'Completed' : 'Error');
  return {
    terminated: {
      exitCode: c.exitCode,
      reason,
      ...(c.message ? { message: c.message } : {}),
      ...(c.startedAt ? { startedAt: rfc3339(c.startedAt) } : {}),
      ...(c.finishedAt ? { finishedAt: rfc3339(c.finishedAt) } : {}),
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

function containerStatuses(
  pod: Pod,
  specs: Container[],
  state: RuntimePodState,
  inp: StatusInputs,
  init: boolean,
  initPending: boolean,
): ContainerStatus[] {
  return specs.map((c) => {
    const xs = state.containers.filter((x) => x.name === c.name);
    const [l, prev] = xs;
    const st: ContainerStatus = {
      name: c.name,
      state: { waiting: { reason: initPending ? 'PodInitializing' : 'ContainerCreating' } },
      lastState: {},
      ready: false,
      restartCount: l?.restartCount ?? 0,
      image: c.image ?? l?.image ?? '',
      imageID: l?.imageRef ?? '',
      started: false,
    };
    if (l) {
      st.containerID = `${inp.runtimeName}://${l.id}`;
      // upstream (1.31+, RecursiveReadOnlyMounts) reports the mounts of a created container
      if (c.volumeMounts?.length) {
        st.volumeMounts = c.volumeMounts.map((m) => ({
          name: m.name,
          mountPath: m.mountPath,
          ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
        }));
      }
      if (l.state === 'running') {
        st.state = { running: { startedAt: rfc3339(l.startedAt || l.createdAt) } };
        st.started = inp.started(l.id, c);
        st.ready = init
          ? c.restartPolicy === 'Always' && inp.ready(l.id, c)
          : inp.ready(l.id, c) && st.started === true;
      } else if (l.state === 'exited') {
        st.state = terminatedOf(l, inp.runtimeName);
      } else {
        st.state = { waiting: { reason: 'ContainerCreating' } };
      }
      if (prev && prev.state === 'exited') st.lastState = terminatedOf(prev, inp.runtimeName);
    }
    // A container that will be (re)started next sync shows why it waits (upstream reasonCache).
    const w = inp.waiting.get(c.name);
    const willRestart =
      !l ||
      (l.state === 'exited' &&
        (init ? l.exitCode !== 0 && shouldRestart(pod, l.exitCode) : shouldRestart(pod, l.exitCode)));
    if (w && willRestart && !inp.podIsTerminal) {
      if (st.state?.terminated) st.lastState = st.state;
      st.state = { waiting: { reason: w.reason, ...(w.message ? { message: w.message } : {}) } };
    }
    return st;
  });
}

/** getPhase (kubelet_pods.go): the pod phase from container statuses. */
export function podPhase(
  pod: Pod,
  initStatuses: ContainerStatus[],
  statuses: ContainerStatus[],
  podIsTerminal: boolean,
): string {
  const spec = pod.spec!;
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') continue;
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) {
      pendingInit++;
      continue;
    }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.containers) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const restart = spec.restartPolicy ?? 'Always';
  if (failedInit > 0 && restart === 'Never') return 'Failed';
  const anyRegularStarted = statuses.some(
    (s) => s.state?.running || s.state?.terminated || s.lastState?.terminated,
  );
  if ((pendingInit > 0 && !anyRegularStarted) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restart === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restart === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return {
    type,
    status: ok ? 'True' : 'False',
    ...(reason && !ok ? { reason } : {}),
    ...(message && !ok ? { message } : {}),
  };
}

/**
 * Builds the full PodStatus. Conditions keep their lastTransitionTime from `pod.status` when their
 * status did not change. A terminal phase already reported is never left.
 */
export function computePodStatus(pod: Pod, state: RuntimePodState, inp: StatusInputs): PodStatus {
  const spec = pod.spec!;
  const inits = spec.initContainers ?? [];
  const old = pod.status ?? {};
  const anyRegularRan = spec.containers.some((c) => state.containers.some((x) => x.name === c.name));
  const initDone =
    anyRegularRan ||
    inits.every((c) => {
      const l = state.containers.find((x) => x.name === c.name);
      return (
        l &&
        ((l.state === 'exited' && l.exitCode === 0) ||
          (c.restartPolicy === 'Always' && l.state === 'running'))
      );
    });
  const initStatuses = containerStatuses(pod, inits, state, inp, true, !initDone);
  const statuses = containerStatuses(pod, spec.containers, state, inp, false, !initDone);
  let phase = podPhase(pod, initStatuses, statuses, inp.podIsTerminal);
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase;

  const incompleteInit = inits
    .filter((c) => {
      const s = initStatuses.find((x) => x.name === c.name);
      return !(s?.state?.terminated?.exitCode === 0) && !(c.restartPolicy === 'Always' && s?.state?.running);
    })
    .map((c) => c.name);
  const unready = spec.containers
    .filter((c) => !statuses.find((s) => s.name === c.name)?.ready)
    .map((c) => c.name);

  const conds: PodCondition[] = [];
  conds.push(condition('PodReadyToStartContainers', inp.sandboxReady));
  conds.push(
    initDone || incompleteInit.length === 0
      ? condition('Initialized', true)
      : condition(
          'Initialized',
          false,
          'ContainersNotInitialized',
          `containers with incomplete status: [${incompleteInit.join(' ')}]`,
        ),
  );
  let containersReady: PodCondition;
  if (phase === 'Succeeded') containersReady = condition('ContainersReady', false, 'PodCompleted');
  else if (unready.length)
    containersReady = condition(
      'ContainersReady',
      false,
      'ContainersNotReady',
      `containers with unready status: [${unready.join(' ')}]`,
    );
  else containersReady = condition('ContainersReady', true);
  let ready: PodCondition = { ...containersReady, type: 'Ready' };
  const gates = (spec.readinessGates ?? []).map((g) => g.conditionType);
  if (containersReady.status === 'True' && gates.length) {
    const missing = gates.filter((g) => (old.conditions ?? []).find((c) => c.type === g)?.status !== 'True');
    if (missing.length)
      ready = condition(
        'Ready',
        false,
        'ReadinessGatesNotReady',
        `corresponding condition of pod readiness gate "${missing[0]}" does not exist.`,
      );
  }
  conds.push(ready, containersReady);
  conds.push(condition('PodScheduled', true));

  // keep other owners' conditions (e.g. readiness gates, DisruptionTarget)
  const mine = new Set(conds.map((c) => c.type));
  for (const c of old.conditions ?? []) if (!mine.has(c.type)) conds.push(c);
  for (const c of conds) {
    if (!mine.has(c.type)) continue;
    const prev = (old.conditions ?? []).find((x) => x.type === c.type);
    c.lastProbeTime = null;
    c.lastTransitionTime =
      prev && prev.status === c.status && prev.lastTransitionTime
        ? prev.lastTransitionTime
        : rfc3339(inp.now);
    if (c.type === 'PodScheduled' && prev) {
      c.lastTransitionTime = prev.lastTransitionTime ?? c.lastTransitionTime;
    }
  }

  const status: PodStatus = {
    phase,
    conditions: conds,
    hostIP: inp.hostIp,
    hostIPs: inp.hostIp ? [{ ip: inp.hostIp }] : [],
    ...(inp.podIps.length
      ? { podIP: inp.podIps[0], podIPs: inp.podIps.map((ip) => ({ ip })) }
      : old.podIP
        ? { podIP: old.podIP, podIPs: old.podIPs }
        : {}),
    startTime: old.startTime ?? rfc3339(inp.now),
    ...(inits.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    qosClass: old.qosClass ?? qosClass(pod),
  };
  if (old.nominatedNodeName) status.nominatedNodeName = old.nominatedNodeName;
  // a terminal reason (e.g. DeadlineExceeded, Evicted) stays with the terminal phase
  if ((phase === 'Succeeded' || phase === 'Failed') && old.reason) {
    status.reason = old.reason;
    if (old.message) status.message = old.message;
  }
  return status;
}

/** Structural equality ignoring key order (to write status only when it changed). */
export function statusEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
