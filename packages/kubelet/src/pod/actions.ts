/**
 * What to do next for a pod, given its spec and the runtime's state: the pure decision core of the
 * pod worker (upstream kuberuntime_manager.go computePodActions + doBackOff). No I/O; time comes
 * in through `now` and the back-off tables.
 */
import type { Container, Pod } from '@keelson/api';
import { Backoff, goDuration } from '../util/backoff';
import { containerHash } from './labels';
import type { RuntimeContainer, RuntimePodState } from './runtime-state';

/** A container to (re)start, with its restart count (= CRI metadata.attempt). */
export interface ContainerToStart {
  container: Container;
  init: boolean;
  restartCount: number;
}

/** A running container to stop, with why. */
export interface ContainerToKill {
  id: string;
  name: string;
  reason: string;
  message: string;
}

/** The decision for one sync of one pod. */
export interface PodActions {
  /** Stop every container and the sandbox (pod finished, or its sandbox must be recreated). */
  killPod: boolean;
  /** Create a new sandbox (after killPod if one exists). */
  createSandbox: boolean;
  /** The sandbox to use when not creating one. */
  sandboxId?: string;
  /** Attempt number for a new sandbox. */
  sandboxAttempt: number;
  /** Init container to start next (at most one at a time). */
  initToStart?: ContainerToStart;
  /** Regular containers to start. */
  containersToStart: ContainerToStart[];
  containersToKill: ContainerToKill[];
  /** Containers held back by CrashLoopBackOff: name → message. */
  backoff: Map<string, string>;
  /** True while init containers still have to run (or are running). */
  initPending: boolean;
  /** An init container failed and restartPolicy is Never: the pod has failed. */
  initFailed: boolean;
}

/** Probe verdicts the decision needs, by container id. */
export interface ProbeVerdicts {
  /** Liveness probe reports failure (restart the container). */
  livenessFailed(containerId: string): boolean;
  /** Startup probe exhausted its failureThreshold (restart the container). */
  startupFailed(containerId: string): boolean;
}

/** No probe verdicts (every container healthy). */
export const noProbeVerdicts: ProbeVerdicts = { livenessFailed: () => false, startupFailed: () => false };

/** Options of {@link computePodActions}. */
export interface ComputeOptions {
  now: number;
  /** CrashLoopBackOff table. Consulted and advanced (doBackOff) for containers about to restart. */
  backoff: Backoff;
  probes?: ProbeVerdicts;
  /** A container that ran at least this long before exiting resets its back-off (ms, default 10 min). */
  backoffResetMs?: number;
}

/** Back-off key of a container: pod uid, name and spec hash (upstream getStableKey). */
export function backoffKey(pod: Pod, c: Container): string {
  return `${pod.metadata.uid}/${c.name}/${containerHash(c)}`;
}

function restartPolicy(pod: Pod): string {
  return pod.spec?.restartPolicy ?? 'Always';
}

/** Whether an exited container should be restarted under the pod's restartPolicy. */
export function shouldRestart(pod: Pod, exitCode: number): boolean {
  const p = restartPolicy(pod);
  if (p === 'Never') return false;
  if (p === 'OnFailure') return exitCode !== 0;
  return true;
}

/** "name_namespace(uid)" as upstream's format.Pod. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

/**
 * doBackOff: true (with the CrashLoopBackOff message) when the newest exited container of `c` is
 * still inside its back-off window; otherwise arms/doubles the back-off and returns false.
 */
export function checkBackoff(
  pod: Pod,
  c: Container,
  state: RuntimePodState,
  o: ComputeOptions,
): string | undefined {
  const exited = state.containers.find((x) => x.name === c.name && x.state === 'exited');
  if (!exited) return undefined;
  const key = backoffKey(pod, c);
  const resetMs = o.backoffResetMs ?? 600_000;
  if (exited.startedAt > 0 && exited.finishedAt - exited.startedAt >= resetMs) o.backoff.reset(key);
  if (o.backoff.isInBackOffSince(key, exited.finishedAt)) {
    return `back-off ${goDuration(o.backoff.get(key))} restarting failed container=${c.name} pod=${formatPod(pod)}`;
  }
  o.backoff.next(key, exited.finishedAt);
  return undefined;
}

/** Is the sandbox usable? (upstream podSandboxChanged). Returns [create, attempt, sandboxId]. */
export function sandboxChanged(pod: Pod, state: RuntimePodState): [boolean, number, string | undefined] {
  const latest = state.sandboxes[0];
  if (!latest) return [true, 0, undefined];
  const readyCount = state.sandboxes.filter((s) => s.ready).length;
  if (readyCount > 1) return [true, latest.attempt + 1, latest.id];
  if (!latest.ready) return [true, latest.attempt + 1, latest.id];
  return [false, latest.attempt, latest.id];
}

function isSidecar(c: Container) {
  return c.restartPolicy === 'Always';
}

/** Decides the next step for `pod` from the runtime state (upstream computePodActions). */
export function computePodActions(pod: Pod, state: RuntimePodState, o: ComputeOptions): PodActions {
  const probes = o.probes ?? noProbeVerdicts;
  const spec = pod.spec!;
  const inits = spec.initContainers ?? [];
  const [createSandbox, attempt, sandboxId] = sandboxChanged(pod, state);
  const actions: PodActions = {
    killPod: createSandbox,
    createSandbox,
    sandboxId,
    sandboxAttempt: attempt,
    containersToStart: [],
    containersToKill: [],
    backoff: new Map(),
    initPending: false,
    initFailed: false,
  };
  const latestOf = (name: string) => state.containers.find((c) => c.name === name);
  const nextRestartCount = (name: string) => {
    const l = latestOf(name);
    return l ? l.restartCount + 1 : 0;
  };

  if (createSandbox) {
    // A pod that already ran under Never (or succeeded under OnFailure) is not recreated.
    if (attempt !== 0 && state.containers.length > 0) {
      const p = restartPolicy(pod);
      const allSucceeded = spec.containers.every((c) => {
        const l = latestOf(c.name);
        return l && l.state === 'exited' && l.exitCode === 0;
      });
      if (p === 'Never' || (p === 'OnFailure' && allSucceeded)) {
        actions.createSandbox = false;
        actions.killPod = true;
        // report init failure for the status
        actions.initFailed = inits.some((c) => {
          const l = latestOf(c.name);
          return l && l.state === 'exited' && l.exitCode !== 0;
        });
        return actions;
      }
    }
    if (inits.length > 0) {
      actions.initPending = true;
      actions.initToStart = {
        container: inits[0]!,
        init: true,
        restartCount: nextRestartCount(inits[0]!.name),
      };
    } else {
      for (const c of spec.containers)
        actions.containersToStart.push({ container: c, init: false, restartCount: nextRestartCount(c.name) });
    }
    return actions;
  }

  // Init containers: run each to successful completion, in order.
  for (const c of inits) {
    const l = latestOf(c.name);
    if (l && l.state === 'exited' && l.exitCode === 0 && !isSidecar(c)) continue;
    if (l && l.state === 'running' && isSidecar(c)) continue;
    actions.initPending = true;
    if (l && (l.state === 'running' || l.state === 'created')) break; // wait for it
    if (l && l.state === 'exited' && l.exitCode !== 0 && restartPolicy(pod) === 'Never') {
      actions.initFailed = true;
      actions.killPod = true;
      return actions;
    }
    if (l && l.state === 'exited') {
      const msg = checkBackoff(pod, c, state, o);
      if (msg) {
        actions.backoff.set(c.name, msg);
        break;
      }
    }
    actions.initToStart = { container: c, init: true, restartCount: nextRestartCount(c.name) };
    break;
  }
  if (actions.initPending) return actions;

  let keep = 0;
  for (const c of spec.containers) {
    const l = latestOf(c.name);
    if (!l) {
      actions.containersToStart.push({ container: c, init: false, restartCount: 0 });
      continue;
    }
    if (l.state === 'running' || l.state === 'created') {
      let reason = '';
      let message = '';
      if (l.hash && l.hash !== containerHash(c)) {
        reason = 'SpecChanged';
        message = `Container ${c.name} definition changed`;
      } else if (probes.livenessFailed(l.id)) {
        reason = 'Unhealthy';
        message = `Container ${c.name} failed liveness probe`;
      } else if (probes.startupFailed(l.id)) {
        reason = 'Unhealthy';
        message = `Container ${c.name} failed startup probe`;
      }
      if (!reason) {
        keep++;
        continue;
      }
      actions.containersToKill.push({
        id: l.id,
        name: c.name,
        reason,
        message: `${message}, will be restarted`,
      });
      if (restartPolicy(pod) !== 'Never') {
        actions.containersToStart.push({ container: c, init: false, restartCount: l.restartCount + 1 });
      }
      continue;
    }
    // exited or unknown
    if (!shouldRestart(pod, l.exitCode)) continue;
    const msg = checkBackoff(pod, c, state, o);
    if (msg) {
      actions.backoff.set(c.name, msg);
      keep++;
      continue;
    }
    actions.containersToStart.push({ container: c, init: false, restartCount: l.restartCount + 1 });
  }
  if (keep === 0 && actions.containersToStart.length === 0) actions.killPod = true;
  return actions;
}

/** Containers the garbage collector may remove: all but the two newest per name, dead ones only. */
export function containersToRemove(state: RuntimePodState): RuntimeContainer[] {
  const seen = new Map<string, number>();
  const out: RuntimeContainer[] = [];
  for (const c of state.containers) {
    const n = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, n);
    if (n > 2 && c.state !== 'running') out.push(c);
  }
  return out;
}
