/**
 * A pod's state as the runtime reports it (kubecontainer.PodStatus in upstream): its sandboxes
 * and containers, newest first, with times in ms.
 */
import { ContainerState, PodSandboxState, type ContainerStatus } from '../cri/cri-api';
import type { CriRuntime } from '../cri/runtime';
import { nanosToMs } from '../util/clock';
import {
  CONTAINER_HASH_ANNOTATION,
  CONTAINER_NAME_LABEL,
  INIT_CONTAINER_ANNOTATION,
  POD_UID_LABEL,
  RESTART_COUNT_ANNOTATION,
} from './labels';

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

/**
 * Caches what does not change once known, so a sync does not ask the runtime again: the IP and
 * netns of a sandbox that has one, and the status of an exited container. Per pod uid.
 */
export class RuntimeStateCache {
  private readonly pods = new Map<
    string,
    { sandboxes: Map<string, { ip: string; netnsPath?: string }>; exited: Map<string, ContainerStatus> }
  >();

  /** @internal */
  of(uid: string) {
    let e = this.pods.get(uid);
    if (!e) this.pods.set(uid, (e = { sandboxes: new Map(), exited: new Map() }));
    return e;
  }

  /** Forgets a pod. */
  forget(uid: string): void {
    this.pods.delete(uid);
  }
}

/**
 * Reads a pod's sandboxes and containers from the runtime (by the io.kubernetes.pod.uid label).
 * With a `cache`, sandboxes with a known IP and exited containers are not asked for again.
 */
export async function getRuntimePodState(
  cri: CriRuntime,
  uid: string,
  cache?: RuntimeStateCache,
): Promise<RuntimePodState> {
  const c = cache?.of(uid);
  const [sbs, cs] = await Promise.all([
    cri.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } }),
    cri.listContainers({ labelSelector: { [POD_UID_LABEL]: uid } }),
  ]);
  const sandboxes: RuntimeSandbox[] = [];
  for (const sb of sbs) {
    let ip = '';
    let netnsPath: string | undefined;
    const known = c?.sandboxes.get(sb.id);
    if (known) {
      ip = known.ip;
      netnsPath = known.netnsPath;
    } else if (sb.state === PodSandboxState.SANDBOX_READY || !c) {
      try {
        const st = await cri.podSandboxStatus(sb.id, true);
        ip = st.status.network?.ip ?? '';
        netnsPath = netnsFromInfo(st.info);
        if (ip && c) c.sandboxes.set(sb.id, { ip, netnsPath });
      } catch {
        /* removed meanwhile */
      }
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
  const statuses = await Promise.all(
    cs.map(async (x) => {
      const cached = c?.exited.get(x.id);
      if (cached) return cached;
      try {
        const st = await cri.containerStatus(x.id);
        if (c && st.state === ContainerState.CONTAINER_EXITED) c.exited.set(x.id, st);
        return st;
      } catch {
        return undefined; // removed meanwhile
      }
    }),
  );
  for (let i = 0; i < cs.length; i++) {
    const st = statuses[i];
    if (!st) continue;
    const c0 = cs[i]!;
    const ann = st.annotations ?? c0.annotations ?? {};
    containers.push({
      id: c0.id,
      sandboxId: c0.podSandboxId,
      name: c0.labels[CONTAINER_NAME_LABEL] ?? c0.metadata?.name ?? '',
      attempt: c0.metadata?.attempt ?? 0,
      restartCount: Number(ann[RESTART_COUNT_ANNOTATION] ?? c0.metadata?.attempt ?? 0),
      state: stateOf(st.state),
      createdAt: nanosToMs(st.createdAt),
      startedAt: nanosToMs(st.startedAt),
      finishedAt: nanosToMs(st.finishedAt),
      exitCode: st.exitCode,
      reason: st.reason,
      message: st.message,
      image: st.image?.userSpecifiedImage || st.image?.image || c0.image?.image || '',
      imageRef: st.imageRef || c0.imageRef,
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
export function lastTwo(
  state: RuntimePodState,
  name: string,
): [RuntimeContainer | undefined, RuntimeContainer | undefined] {
  const xs = state.containers.filter((c) => c.name === name);
  return [xs[0], xs[1]];
}
