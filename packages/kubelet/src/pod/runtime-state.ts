/**
 * A pod's state as the runtime reports it (kubecontainer.PodStatus in upstream): its sandboxes
 * and containers, newest first, with times in ms.
 */
import { ContainerState, PodSandboxState } from '../cri/cri-api';
import type { CriRuntime } from '../cri/runtime';
import { nanosToMs } from '../util/clock';
import { CONTAINER_HASH_ANNOTATION, CONTAINER_NAME_LABEL, INIT_CONTAINER_ANNOTATION, POD_UID_LABEL, RESTART_COUNT_ANNOTATION } from './labels';

/** One sandbox of a pod. */
export interface RuntimeSandbox {
  id: string;
  attempt: number;
  ready: boolean;
  /** ms since the epoch. */
  createdAt: number;
  /** The IP the runtime reports (PodSandboxStatus.network.ip), "" if none. */
  ip: string;
  /** Network namespace path, when the runtime reports it (verbose info). */
  netnsPath?: string;
}

/** One container of a pod (any attempt). */
export interface RuntimeContainer {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  restartCount: number;
  state: 'created' | 'running' | 'exited' | 'unknown';
  /** ms since the epoch (0 when not yet). */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  /** Spec hash the container was created from. */
  hash: string;
  init: boolean;
  logPath: string;
}

/** Everything the runtime knows about one pod. Lists are newest first. */
export interface RuntimePodState {
  uid: string;
  sandboxes: RuntimeSandbox[];
  containers: RuntimeContainer[];
}

function stateOf(s: ContainerState): RuntimeContainer['state'] {
  switch (s) {
    case ContainerState.CONTAINER_CREATED:
      return 'created';
    case ContainerState.CONTAINER_RUNNING:
      return 'running';
    case ContainerState.CONTAINER_EXITED:
      return 'exited';
    default:
      return 'unknown';
  }
}

/** The netns path from a PodSandboxStatus: the NODE/POD network namespace path runtimes put in verbose info. */
export function netnsFromInfo(info: Record<string, string>): string | undefined {
  if (info.netnsPath) return info.netnsPath;
  if (info.netNamespacePath) return info.netNamespacePath;
  if (info.info) {
    // containerd: info.info is JSON with runtimeSpec.linux.namespaces[type=network].path
    try {
      const j = JSON.parse(info.info) as {
        netNamespacePath?: string;
        runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } };
      };
      if (j.netNamespacePath) return j.netNamespacePath;
      const ns = j.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network');
      if (ns?.path) return ns.path;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}

/** Reads a pod's sandboxes and containers from the runtime (by the io.kubernetes.pod.uid label). */
export async function getRuntimePodState(cri: CriRuntime, uid: string): Promise<RuntimePodState> {
  const [sbs, cs] = await Promise.all([
    cri.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } }),
    cri.listContainers({ labelSelector: { [POD_UID_LABEL]: uid } }),
  ]);
  const sandboxes: RuntimeSandbox[] = [];
  for (const sb of sbs) {
    let ip = '';
    let netnsPath: string | undefined;
    try {
      const st = await cri.podSandboxStatus(sb.id, true);
      ip = st.status.network?.ip ?? '';
      netnsPath = netnsFromInfo(st.info);
    } catch {
      /* removed meanwhile */
    }
    sandboxes.push({
      id: sb.id,
      attempt: sb.metadata?.attempt ?? 0,
      ready: sb.state === PodSandboxState.SANDBOX_READY,
      createdAt: nanosToMs(sb.createdAt),
      ip,
      netnsPath,
    });
  }
  sandboxes.sort((a, b) => b.createdAt - a.createdAt || b.attempt - a.attempt);
  const containers: RuntimeContainer[] = [];
  for (const c of cs) {
    let st;
    try {
      st = await cri.containerStatus(c.id);
    } catch {
      continue;
    }
    const ann = st.annotations ?? c.annotations ?? {};
    containers.push({
      id: c.id,
      sandboxId: c.podSandboxId,
      name: c.labels[CONTAINER_NAME_LABEL] ?? c.metadata?.name ?? '',
      attempt: c.metadata?.attempt ?? 0,
      restartCount: Number(ann[RESTART_COUNT_ANNOTATION] ?? c.metadata?.attempt ?? 0),
      state: stateOf(st.state),
      createdAt: nanosToMs(st.createdAt),
      startedAt: nanosToMs(st.startedAt),
      finishedAt: nanosToMs(st.finishedAt),
      exitCode: st.exitCode,
      reason: st.reason,
      message: st.message,
      image: st.image?.userSpecifiedImage || st.image?.image || c.image?.image || '',
      imageRef: st.imageRef || c.imageRef,
      hash: ann[CONTAINER_HASH_ANNOTATION] ?? '',
      init: ann[INIT_CONTAINER_ANNOTATION] === 'true',
      logPath: st.logPath,
    });
  }
  containers.sort((a, b) => b.createdAt - a.createdAt || b.attempt - a.attempt);
  return { uid, sandboxes, containers };
}

/** The newest container named `name`, if any. */
export function latestContainer(state: RuntimePodState, name: string): RuntimeContainer | undefined {
  return state.containers.find((c) => c.name === name);
}

/** The two newest containers named `name` (current, previous). */
export function lastTwo(state: RuntimePodState, name: string): [RuntimeContainer | undefined, RuntimeContainer | undefined] {
  const xs = state.containers.filter((c) => c.name === name);
  return [xs[0], xs[1]];
}
