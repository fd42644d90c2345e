/**
 * The I/O half of the pod worker: executes {@link computePodActions} decisions against the CRI
 * runtime and CNI (upstream kuberuntime_manager.go SyncPod / KillPod and
 * kuberuntime_container.go startContainer), then computes the API status.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Container, LifecycleHandler, Pod, PodStatus } from '@keelson/api';
import { Protocol, type PodSandboxConfig } from '../cri/cri-api';
import type { CniManager } from '../cni/cni';
import type { CriRuntime } from '../cri/runtime';
import { PodConfigError } from '../errors';
import { resolvePort, httpProbe, tcpProbe } from '../prober/probe';
import type { ProbeManager } from '../prober/manager';
import { Backoff } from '../util/backoff';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/log';
import { computePodActions, containersToRemove, formatPod } from './actions';
import { formatResolvConf, podDnsConfig, podHostsFile, type ResolvConf } from './dns';
import { expandCommand, resolveEnv, type NodeAllocatable, type ObjectSource } from './env';
import { getRuntimePodState, netnsFromInfo, RuntimeStateCache, type RuntimePodState } from './runtime-state';
import { bindMount, containerConfig, podLogDirName, podSandboxConfig } from './sandbox-config';
import { computePodStatus, type WaitingReason } from './status';
import { renderLogs } from '../server/logs';
import {
  checkClaimVolumes,
  containerMounts,
  setUpVolumes,
  tearDownVolumes,
  type VolumeContext,
} from './volumes';

/** Settings of the pod syncer. */
export interface PodSyncConfig {
  /** Kubelet root: pods live under `<rootDir>/pods/<uid>`. */
  rootDir: string;
  /** Container logs root: `<podLogsDir>/<ns>_<name>_<uid>/<container>/<restartCount>.log`. */
  podLogsDir: string;
  nodeName: string;
  nodeIp: string;
  clusterDns: string[];
  clusterDomain: string;
  hostResolv: ResolvConf;
  /** CRI runtime name for containerID URLs. */
  runtimeName: string;
  /** Minimum grace period when killing, seconds (upstream minimumGracePeriodInSeconds = 2). */
  minGraceSeconds: number;
  /** CrashLoopBackOff resets after a container ran this long, ms (default 10 min). */
  backoffResetMs: number;
  /** Resync of a pod that waits on a back-off, ms. */
  shortResyncMs: number;
  /** Resync of a settled pod, ms. */
  resyncMs: number;
  /** LinuxPodSandboxConfig.cgroup_parent of every sandbox ('' or absent: the runtime's choice). */
  cgroupParent?: string;
}

/** Dependencies of the pod syncer. */
export interface PodSyncDeps {
  cri: CriRuntime;
  /** undefined: never run CNI (the runtime must report the pod IP). */
  cni?: CniManager;
  clock: Clock;
  log: Logger;
  objects: ObjectSource;
  probes: ProbeManager;
  node: () => NodeAllocatable;
  serviceAccountToken?: VolumeContext['serviceAccountToken'];
  /** Records a Kubernetes event about the pod (type Normal/Warning, reason, message). */
  event?: (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

/** Result of one sync. */
export interface SyncResult {
  status: PodStatus;
  /** ms until the pod should be synced again even without events. */
  resyncMs: number;
  /** True when nothing of the pod will run again (terminal phase). */
  terminal: boolean;
  state: RuntimePodState;
}

/** Drives pods through the runtime. One instance per kubelet; callers serialize per pod. */
export class PodSyncer {
  /** CrashLoopBackOff table. */
  readonly backoff: Backoff;
  /** Image pull back-off table. */
  readonly imageBackoff: Backoff;
  /** Runtime facts that do not change once known (sandbox IPs, exited containers). */
  readonly stateCache = new RuntimeStateCache();
  private readonly podIps = new Map<string, string>();
  /** When a pull of a locally present image last failed, by image name (ms). */
  private readonly pullFailures = new Map<string, number>();
  /** Termination messages of exited containers, by container id. */
  private readonly messages = new Map<string, string>();
  private readonly waiting = new Map<string, Map<string, WaitingReason>>();

  constructor(
    readonly cfg: PodSyncConfig,
    private readonly d: PodSyncDeps,
    backoffInitialMs = 10_000,
    backoffMaxMs = 300_000,
  ) {
    this.backoff = new Backoff(d.clock, backoffInitialMs, backoffMaxMs);
    this.imageBackoff = new Backoff(d.clock, backoffInitialMs, backoffMaxMs);
  }

  /** Directory of a pod's volumes and generated files. */
  podDir(uid: string): string {
    return join(this.cfg.rootDir, 'pods', uid);
  }

  /** Directory of a pod's container logs. */
  podLogDir(pod: Pod): string {
    return join(this.cfg.podLogsDir, podLogDirName(pod));
  }

  /** The pod's IP as last set up or reported (empty when unknown). */
  podIp(uid: string): string {
    return this.podIps.get(uid) ?? '';
  }

  private waitingOf(uid: string) {
    let m = this.waiting.get(uid);
    if (!m) this.waiting.set(uid, (m = new Map()));
    return m;
  }

  private dns(pod: Pod): ResolvConf {
    return podDnsConfig(pod, {
      clusterDns: this.cfg.clusterDns,
      clusterDomain: this.cfg.clusterDomain,
      hostResolv: this.cfg.hostResolv,
    });
  }

  private sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    return podSandboxConfig(pod, attempt, this.podLogDir(pod), this.dns(pod), this.cfg.cgroupParent ?? '');
  }

  private volumeCtx(pod: Pod): VolumeContext {
    const ip = this.podIp(pod.metadata.uid!);
    return {
      src: this.d.objects,
      hostIp: this.cfg.nodeIp,
      podIps: ip ? [ip] : [],
      node: this.d.node(),
      serviceAccountToken: this.d.serviceAccountToken,
    };
  }

  /** Syncs one pod toward its spec; never throws for per-container failures (they become waiting reasons). */
  async syncPod(pod: Pod): Promise<SyncResult> {
    const uid = pod.metadata.uid!;
    let state = await this.podState(pod);
    this.learnIp(uid, state);
    const waiting = this.waitingOf(uid);
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      if (state.containers.some((c) => c.state === 'running') || state.sandboxes.some((s) => s.ready)) {
        await this.killPod(pod, state, pod.spec?.terminationGracePeriodSeconds ?? 30);
        state = await this.podState(pod);
      }
      return { status: this.status(pod, state, true), resyncMs: this.cfg.resyncMs, terminal: true, state };
    }

    // spec.activeDeadlineSeconds (upstream activeDeadlineHandler): fail the pod once exceeded
    const deadline = pod.spec?.activeDeadlineSeconds;
    const started = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
    if (deadline !== undefined && started !== undefined && this.d.clock.now() - started >= deadline * 1000) {
      await this.killPod(pod, state, pod.spec?.terminationGracePeriodSeconds ?? 30);
      state = await this.podState(pod);
      const status = this.status(pod, state, true);
      status.phase = 'Failed';
      status.reason = 'DeadlineExceeded';
      status.message = 'Pod was active on the node longer than the specified deadline';
      this.d.event?.(pod, 'Normal', 'DeadlineExceeded', status.message);
      return { status, resyncMs: this.cfg.resyncMs, terminal: true, state };
    }

    const actions = computePodActions(pod, state, {
      now: this.d.clock.now(),
      backoff: this.backoff,
      probes: this.d.probes,
      backoffResetMs: this.cfg.backoffResetMs,
    });
    if (
      actions.killPod &&
      (state.sandboxes.some((s) => s.ready) || state.containers.some((c) => c.state === 'running'))
    ) {
      await this.killPod(pod, state, pod.spec?.terminationGracePeriodSeconds ?? 30);
    }
    if (actions.killPod && !actions.createSandbox) {
      state = await this.podState(pod);
      this.d.probes.syncPod(pod, state, () => this.podIp(uid));
      return { status: this.status(pod, state, true), resyncMs: this.cfg.resyncMs, terminal: true, state };
    }

    let sandboxId = actions.sandboxId;
    const sandboxConfig = this.sandboxConfig(pod, actions.sandboxAttempt);
    if (actions.createSandbox) {
      // Volumes first, as upstream's WaitForAttachAndMount: an unbound claim keeps the pod
      // ContainerCreating (FailedMount event) without making and tearing down a sandbox.
      try {
        await checkClaimVolumes(pod, this.volumeCtx(pod));
      } catch (e) {
        this.d.event?.(pod, 'Warning', 'FailedMount', (e as Error).message);
        state = await this.podState(pod);
        return {
          status: this.status(pod, state, false),
          resyncMs: this.cfg.shortResyncMs,
          terminal: false,
          state,
        };
      }
      try {
        sandboxId = await this.createSandbox(pod, sandboxConfig);
        waiting.delete('__sandbox');
      } catch (e) {
        this.d.log.warn({ pod: formatPod(pod), err: (e as Error).message }, 'creating pod sandbox failed');
        this.d.event?.(
          pod,
          'Warning',
          'FailedCreatePodSandBox',
          `Failed to create pod sandbox: ${(e as Error).message}`,
        );
        state = await this.podState(pod);
        return {
          status: this.status(pod, state, false),
          resyncMs: this.cfg.shortResyncMs,
          terminal: false,
          state,
        };
      }
    } else if (!this.podIps.get(uid) && sandboxId && this.d.cni) {
      const ip = await this.d.cni.cachedPodIp(sandboxId);
      if (ip) this.podIps.set(uid, ip);
    }
    if (!actions.createSandbox && sandboxId) {
      // Running pod: ConfigMap/Secret/downwardAPI volume contents follow their sources.
      await setUpVolumes(pod, this.podDir(uid), this.volumeCtx(pod), { refresh: true }).catch((e) => {
        this.d.log.warn({ pod: formatPod(pod), err: (e as Error).message }, 'refreshing volumes failed');
        this.d.event?.(pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${(e as Error).message}`);
      });
    }

    for (const k of actions.containersToKill) {
      this.d.log.info({ pod: formatPod(pod), container: k.name, reason: k.reason }, k.message);
      this.d.event?.(pod, 'Normal', 'Killing', k.message);
      const grace = this.probeGrace(pod, k.name) ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      await this.stopContainer(pod, k.id, k.name, grace, false);
    }

    for (const [name, message] of actions.backoff) {
      waiting.set(name, { reason: 'CrashLoopBackOff', message });
      // As upstream's kuberuntime manager (events.BackOffStartContainer); the recorder aggregates repeats.
      this.d.event?.(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${name} in pod ${formatPod(pod)}`,
      );
    }
    if (actions.initToStart) {
      await this.startContainer(
        pod,
        sandboxId!,
        sandboxConfig,
        actions.initToStart.container,
        actions.initToStart.restartCount,
        true,
      );
    }
    await Promise.all(
      actions.containersToStart.map((s) =>
        this.startContainer(pod, sandboxId!, sandboxConfig, s.container, s.restartCount, false),
      ),
    );

    state = await this.podState(pod);
    for (const c of containersToRemove(state)) await this.d.cri.removeContainer(c.id).catch(() => undefined);
    this.d.probes.syncPod(pod, state, () => this.podIp(uid));
    const pendingWaits = [...waiting.values()].some((w) => w.reason !== '');
    return {
      status: this.status(pod, state, false),
      resyncMs: pendingWaits || actions.backoff.size ? this.cfg.shortResyncMs : this.cfg.resyncMs,
      terminal: false,
      state,
    };
  }

  private terminationFile(uid: string, name: string, restartCount: number): string {
    return join(this.podDir(uid), 'containers', name, `${restartCount}.termination-log`);
  }

  /**
   * The runtime state with termination messages filled in for exited containers (upstream: the
   * terminationMessagePath file, at most 4096 bytes; with FallbackToLogsOnError and a failure,
   * the last 80 lines / 2048 bytes of the log).
   */
  private async podState(pod: Pod): Promise<RuntimePodState> {
    const uid = pod.metadata.uid!;
    const state = await getRuntimePodState(this.d.cri, uid, this.stateCache);
    for (const c of state.containers) {
      if (c.state !== 'exited' || c.message) continue;
      const known = this.messages.get(c.id);
      if (known !== undefined) {
        c.message = known;
        continue;
      }
      const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
        (x) => x.name === c.name,
      );
      let msg = await readFile(this.terminationFile(uid, c.name, c.restartCount), 'utf8')
        .then((t) => t.slice(0, 4096))
        .catch(() => '');
      if (!msg && c.exitCode !== 0 && spec?.terminationMessagePolicy === 'FallbackToLogsOnError') {
        const logPath =
          c.logPath && c.logPath.startsWith('/')
            ? c.logPath
            : join(this.podLogDir(pod), c.logPath || `${c.name}/${c.restartCount}.log`);
        const text = await readFile(logPath, 'utf8').catch(() => '');
        msg = renderLogs(text, { tailLines: 80 });
        if (Buffer.byteLength(msg) > 2048) msg = Buffer.from(msg).subarray(-2048).toString('utf8');
      }
      this.messages.set(c.id, msg);
      c.message = msg;
    }
    return state;
  }

  private learnIp(uid: string, state: RuntimePodState) {
    const sb = state.sandboxes.find((s) => s.ready);
    if (sb?.ip) this.podIps.set(uid, sb.ip);
  }

  /** Computes the API status of the pod from a runtime state. */
  status(pod: Pod, state: RuntimePodState, terminal: boolean): PodStatus {
    const uid = pod.metadata.uid!;
    const ip = this.podIp(uid);
    const sbReady = state.sandboxes[0]?.ready === true && (ip !== '' || pod.spec?.hostNetwork === true);
    return computePodStatus(pod, state, {
      now: this.d.clock.now(),
      podIps: pod.spec?.hostNetwork ? [this.cfg.nodeIp] : ip ? [ip] : [],
      hostIp: this.cfg.nodeIp,
      runtimeName: this.cfg.runtimeName,
      waiting: this.waitingOf(uid),
      ready: (id, c) => this.d.probes.ready(id, c),
      started: (id, c) => this.d.probes.started(id, c),
      sandboxReady: sbReady,
      podIsTerminal: terminal,
    });
  }

  private probeGrace(pod: Pod, name: string): number | undefined {
    const c = pod.spec?.containers.find((x) => x.name === name);
    return c?.livenessProbe?.terminationGracePeriodSeconds ?? c?.startupProbe?.terminationGracePeriodSeconds;
  }

  /** RunPodSandbox, then CNI (unless the runtime already reports an IP), then volumes and DNS files. */
  private async createSandbox(pod: Pod, config: PodSandboxConfig): Promise<string> {
    const uid = pod.metadata.uid!;
    const dir = this.podDir(uid);
    await mkdir(dir, { recursive: true });
    await mkdir(this.podLogDir(pod), { recursive: true });
    const id = await this.d.cri.runPodSandbox(config);
    try {
      if (pod.spec?.hostNetwork) {
        this.podIps.set(uid, this.cfg.nodeIp);
      } else {
        const st = await this.d.cri.podSandboxStatus(id, true);
        let ip = st.status.network?.ip ?? '';
        if (!ip) {
          if (!this.d.cni)
            throw new PodConfigError('NetworkNotReady', 'runtime reported no pod IP and CNI is disabled');
          const netns = netnsFromInfo(st.info);
          if (!netns)
            throw new PodConfigError(
              'NetworkNotReady',
              `runtime reported no network namespace for sandbox ${id}`,
            );
          ip = await this.d.cni.setUpPod(
            id,
            netns,
            { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid },
            (config.portMappings ?? []).map((m) => ({
              hostPort: m.hostPort,
              containerPort: m.containerPort,
              protocol: m.protocol === Protocol.UDP ? 'udp' : m.protocol === Protocol.SCTP ? 'sctp' : 'tcp',
              ...(m.hostIp ? { hostIP: m.hostIp } : {}),
            })),
          );
        }
        this.podIps.set(uid, ip);
      }
      await this.writeDnsFiles(pod);
      await setUpVolumes(pod, dir, this.volumeCtx(pod));
    } catch (e) {
      await this.teardownSandbox(id, true).catch(() => undefined);
      throw e;
    }
    this.d.event?.(pod, 'Normal', 'SandboxReady', `Pod sandbox ${id} ready with IP ${this.podIp(uid)}`);
    return id;
  }

  private async writeDnsFiles(pod: Pod) {
    const dir = this.podDir(pod.metadata.uid!);
    const ip = this.podIp(pod.metadata.uid!);
    await writeFile(join(dir, 'etc-hosts'), podHostsFile(pod, ip ? [ip] : [], this.cfg.clusterDomain));
    await writeFile(join(dir, 'resolv.conf'), formatResolvConf(this.dns(pod)));
  }

  private async ensureImage(pod: Pod, c: Container, sandboxConfig: PodSandboxConfig): Promise<void> {
    const image = c.image ?? '';
    const waiting = this.waitingOf(pod.metadata.uid!);
    const tag = image.includes('@') ? '' : (image.split('/').pop()!.split(':')[1] ?? 'latest');
    const policy = c.imagePullPolicy ?? (tag === 'latest' || tag === '' ? 'Always' : 'IfNotPresent');
    const present = await this.d.cri.imageStatus(image);
    if (present && policy !== 'Always') return;
    if (!present && policy === 'Never') {
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      waiting.set(c.name, { reason: 'ErrImageNeverPull', message: msg });
      throw new PodConfigError('ErrImageNeverPull', msg);
    }
    // A present image whose last pull failed recently (no registry reachable) is used as is for
    // 5 minutes instead of trying the registry again for every container start.
    const failedAt = this.pullFailures.get(image);
    if (present && failedAt !== undefined && this.d.clock.now() - failedAt < 300_000) return;
    const key = `${pod.metadata.uid}/${image}`;
    if (this.imageBackoff.isInBackOffSince(key, this.d.clock.now())) {
      const msg = `Back-off pulling image "${image}"`;
      waiting.set(c.name, { reason: 'ImagePullBackOff', message: msg });
      // As upstream's image puller (events.BackOffPullImage) and pod worker.
      this.d.event?.(pod, 'Normal', 'BackOff', msg);
      this.d.event?.(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      throw new PodConfigError('ImagePullBackOff', msg);
    }
    try {
      this.d.event?.(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
      await this.d.cri.pullImage(image, sandboxConfig);
      this.imageBackoff.reset(key);
      this.pullFailures.delete(image);
      this.d.event?.(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}"`);
    } catch (e) {
      if (present) {
        // "Always" without a reachable registry: the local image stands in.
        this.pullFailures.set(image, this.d.clock.now());
        this.d.log.warn({ image, err: (e as Error).message }, 'pull failed; using the image already present');
        return;
      }
      this.imageBackoff.next(key, this.d.clock.now());
      const msg = `Failed to pull image "${image}": ${(e as Error).message}`;
      waiting.set(c.name, { reason: 'ErrImagePull', message: msg });
      this.d.event?.(pod, 'Warning', 'Failed', msg);
      this.d.event?.(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      throw new PodConfigError('ErrImagePull', msg);
    }
  }

  /** Pull, resolve env and mounts, CreateContainer, StartContainer, postStart. Records waiting reasons on failure. */
  private async startContainer(
    pod: Pod,
    sandboxId: string,
    sandboxConfig: PodSandboxConfig,
    c: Container,
    restartCount: number,
    init: boolean,
  ): Promise<void> {
    const uid = pod.metadata.uid!;
    const waiting = this.waitingOf(uid);
    try {
      await this.ensureImage(pod, c, sandboxConfig);
    } catch {
      return;
    }
    let id: string;
    try {
      const ip = this.podIp(uid);
      const env = await resolveEnv(pod, c, this.d.objects, {
        hostIp: this.cfg.nodeIp,
        podIps: ip ? [ip] : [],
        node: this.d.node(),
      });
      const { command, args } = expandCommand(c, env);
      const dir = this.podDir(uid);
      const mounts = containerMounts(pod, c, dir);
      const has = (p: string) => mounts.some((m) => m.containerPath === p);
      if (!pod.spec?.hostNetwork && !has('/etc/hosts'))
        mounts.push(bindMount(join(dir, 'etc-hosts'), '/etc/hosts'));
      if (!has('/etc/resolv.conf')) mounts.push(bindMount(join(dir, 'resolv.conf'), '/etc/resolv.conf'));
      const termPath = c.terminationMessagePath ?? '/dev/termination-log';
      if (!has(termPath)) {
        const file = this.terminationFile(uid, c.name, restartCount);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, '');
        mounts.push(bindMount(file, termPath));
      }
      await mkdir(join(this.podLogDir(pod), c.name), { recursive: true });
      const config = containerConfig(pod, c, { restartCount, init, env, command, args, mounts });
      id = await this.d.cri.createContainer(sandboxId, config, sandboxConfig);
    } catch (e) {
      const reason = e instanceof PodConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
      waiting.set(c.name, { reason, message: (e as Error).message });
      this.d.event?.(pod, 'Warning', 'Failed', `Error: ${(e as Error).message}`);
      this.d.log.warn(
        { pod: formatPod(pod), container: c.name, err: (e as Error).message },
        'create container failed',
      );
      return;
    }
    this.d.event?.(pod, 'Normal', 'Created', `Created container ${c.name}`);
    try {
      await this.d.cri.startContainer(id);
    } catch (e) {
      waiting.set(c.name, { reason: 'RunContainerError', message: (e as Error).message });
      this.d.event?.(pod, 'Warning', 'Failed', `Error: ${(e as Error).message}`);
      await this.d.cri.removeContainer(id).catch(() => undefined);
      return;
    }
    waiting.delete(c.name);
    this.d.event?.(pod, 'Normal', 'Started', `Started container ${c.name}`);
    if (c.lifecycle?.postStart) {
      const err = await this.runHook(
        pod,
        c,
        id,
        c.lifecycle.postStart,
        pod.spec?.terminationGracePeriodSeconds ?? 30,
      );
      if (err) {
        this.d.event?.(pod, 'Warning', 'FailedPostStartHook', err);
        await this.stopContainer(pod, id, c.name, pod.spec?.terminationGracePeriodSeconds ?? 30, false);
      }
    }
  }

  /** Runs a lifecycle hook; resolves with an error message or undefined on success. */
  async runHook(
    pod: Pod,
    c: Container,
    containerId: string,
    h: LifecycleHandler,
    timeoutS: number,
  ): Promise<string | undefined> {
    const ip = this.podIp(pod.metadata.uid!);
    try {
      if (h.exec) {
        const r = await this.d.cri.execSync(containerId, h.exec.command ?? [], timeoutS);
        if (r.exitCode !== 0)
          return `command '${(h.exec.command ?? []).join(' ')}' exited with ${r.exitCode}: ${Buffer.from(r.stdout ?? []).toString()}${Buffer.from(r.stderr ?? []).toString()}`;
        return undefined;
      }
      if (h.httpGet) {
        const r = await httpProbe(
          h.httpGet,
          h.httpGet.host || ip,
          resolvePort(h.httpGet.port, c),
          timeoutS * 1000,
        );
        return r.result === 'success' ? undefined : r.message;
      }
      if (h.tcpSocket) {
        const r = await tcpProbe(h.tcpSocket.host || ip, resolvePort(h.tcpSocket.port, c), timeoutS * 1000);
        return r.result === 'success' ? undefined : r.message;
      }
      if (h.sleep) {
        await new Promise((res) =>
          this.d.clock.setTimeout(() => res(undefined), Math.min(h.sleep!.seconds, timeoutS) * 1000),
        );
        return undefined;
      }
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  }

  /** Runs preStop (when asked) within the grace period, then StopContainer with what remains. */
  private async stopContainer(
    pod: Pod,
    id: string,
    name: string,
    graceS: number,
    preStop: boolean,
  ): Promise<void> {
    const started = this.d.clock.now();
    const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
      (x) => x.name === name,
    );
    if (preStop && c?.lifecycle?.preStop) {
      const hook = this.runHook(pod, c, id, c.lifecycle.preStop, graceS);
      const timeout = new Promise<string>((res) =>
        this.d.clock.setTimeout(() => res('preStop hook timed out'), graceS * 1000),
      );
      const err = await Promise.race([hook, timeout]);
      if (err) this.d.event?.(pod, 'Warning', 'FailedPreStopHook', err);
    }
    const remaining = Math.max(
      this.cfg.minGraceSeconds,
      Math.ceil(graceS - (this.d.clock.now() - started) / 1000),
    );
    try {
      await this.d.cri.stopContainer(id, remaining);
    } catch (e) {
      this.d.log.warn({ container: name, err: (e as Error).message }, 'stop container failed');
    }
  }

  /**
   * Stops every running container (preStop hooks when `preStop`), tears down CNI and stops the
   * sandboxes. Idempotent.
   */
  async killPod(pod: Pod, state: RuntimePodState, graceS: number, preStop = false): Promise<void> {
    await Promise.all(
      state.containers
        .filter((c) => c.state === 'running' || c.state === 'created')
        .map((c) => this.stopContainer(pod, c.id, c.name, graceS, preStop)),
    );
    for (const sb of state.sandboxes) {
      if (!sb.ready) continue;
      await this.teardownSandbox(sb.id, false);
    }
    this.d.probes.removePod(pod.metadata.uid!);
  }

  /** CNI DEL (when the kubelet set up the network) and StopPodSandbox; RemovePodSandbox when `remove`. */
  private async teardownSandbox(id: string, remove: boolean): Promise<void> {
    if (this.d.cni) {
      try {
        const st = await this.d.cri.podSandboxStatus(id, true);
        const netns = netnsFromInfo(st.info) ?? '';
        if (await this.d.cni.hasCache(id)) await this.d.cni.tearDownPod(id, netns);
      } catch (e) {
        this.d.log.warn({ sandbox: id, err: (e as Error).message }, 'CNI teardown failed');
      }
    }
    await this.d.cri
      .stopPodSandbox(id)
      .catch((e) => this.d.log.warn({ sandbox: id, err: (e as Error).message }, 'stop sandbox failed'));
    if (remove) await this.d.cri.removePodSandbox(id).catch(() => undefined);
  }

  /** Removes everything of a pod that no longer exists: sandboxes, containers, volumes, logs, state. */
  async removePod(uid: string, pod?: Pod): Promise<void> {
    const state = await getRuntimePodState(this.d.cri, uid, this.stateCache);
    if (pod) await this.killPod(pod, state, 0);
    for (const sb of state.sandboxes) await this.teardownSandbox(sb.id, true);
    await tearDownVolumes(this.podDir(uid)).catch(() => undefined);
    await rm(this.podDir(uid), { recursive: true, force: true }).catch(() => undefined);
    if (pod) await rm(this.podLogDir(pod), { recursive: true, force: true }).catch(() => undefined);
    this.podIps.delete(uid);
    this.stateCache.forget(uid);
    for (const c of state.containers) this.messages.delete(c.id);
    this.waiting.delete(uid);
    this.backoff.resetPrefix(`${uid}/`);
    this.imageBackoff.resetPrefix(`${uid}/`);
    this.d.probes.removePod(uid);
  }

  /** Removes a sandbox found in the runtime that belongs to no known pod (orphan cleanup). */
  async removeOrphanSandbox(id: string): Promise<void> {
    await this.teardownSandbox(id, true);
  }
}
