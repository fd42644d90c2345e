/**
 * The kubelet: registers the Node, renews its Lease, watches the pods bound to it
 * (fieldSelector spec.nodeName=<node>), runs one serialized worker per pod that drives CRI (and
 * CNI), relists the runtime every second to notice container changes (the PLEG role), writes pod
 * status through the pods/status subresource when it changes, finishes graceful deletion and
 * cleans up orphaned sandboxes.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type {
  ConfigMap,
  KubeObject,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodStatus,
  Secret,
} from '@keelson/api';
import { Gauge, type Registry } from 'prom-client';
import {
  createMetricsRegistry,
  EventRecorder,
  healthHandler,
  isGone,
  isNotFound,
  serveHealth,
  type Clientset,
  type HealthHandlerOptions,
  type HealthServer,
  type WatchHandle,
} from '@keelson/client';
import { ContainerState, PodSandboxState } from './cri/cri-api';
import { CniManager, defaultConfList } from './cni/cni';
import type { CriRuntime } from './cri/runtime';
import { GrpcCriRuntime } from './cri/grpc-runtime';
import { ConfigError } from './errors';
import { readMachineInfo, type MachineInfo } from './node/node-info';
import { NodeManager, type NodeManagerOptions } from './node/node-manager';
import { formatPod } from './pod/actions';
import { parseResolvConf, type ResolvConf } from './pod/dns';
import type { NodeAllocatable, ObjectSource } from './pod/env';
import { KUBELET_MANAGED_LABEL, KUBELET_NODE_LABEL, POD_UID_LABEL } from './pod/labels';
import { PodSyncer } from './pod/pod-sync';
import { getRuntimePodState, type RuntimePodState } from './pod/runtime-state';
import { statusEqual } from './pod/status';
import { ProbeManager } from './prober/manager';
import { runProbe } from './prober/probe';
import { KubeletServer } from './server/server';
import { realClock, type Clock } from './util/clock';
import { createLogger, type Logger } from './util/log';
import { parseQuantity } from './util/quantity';

/** Options of {@link startKubelet} (the keelson-kubelet flags). */
export interface KubeletOptions {
  /** Node name (--node-name). */
  nodeName: string;
  /** CRI endpoint, e.g. "unix:///run/keelson/cri.sock" (--container-runtime-endpoint). Ignored when `runtime` is given. */
  containerRuntimeEndpoint?: string;
  /** A CriRuntime to use instead of dialing the endpoint (tests, embedding). */
  runtime?: CriRuntime;
  /** Pod CIDR, e.g. "10.244.1.0/24" (--pod-cidr); default: the Node's spec.podCIDR. */
  podCidr?: string;
  /** Cluster DNS server IPs (--cluster-dns). */
  clusterDns?: string[];
  /** Cluster domain (--cluster-domain), default "cluster.local". */
  clusterDomain?: string;
  /** Kubelet state root (--root-dir). */
  rootDir: string;
  /** Node IP (--node-ip): status.addresses InternalIP and status.hostIP of pods. Default: first non-internal IPv4. */
  nodeIp?: string;
  /** Hostname address; default os.hostname(). */
  hostname?: string;
  /** HTTP port (--port), default 10250; 0 picks a free port. */
  port?: number;
  /** HTTP bind address (--address), default "0.0.0.0". */
  address?: string;
  /** CNI configuration directory (--cni-conf-dir), default `<rootDir>/cni/net.d`. */
  cniConfDir?: string;
  /** CNI plugin directories (--cni-bin-dir), default ["/usr/lib/cni", "/opt/cni/bin"]. */
  cniBinDirs?: string[];
  /** Bridge for the default CNI config (--cni-bridge), default "kbr-" + a hash of the node name. */
  cniBridge?: string;
  /** Never run CNI (the runtime must report pod IPs, e.g. containerd with its own CNI). */
  disableCni?: boolean;
  /**
   * Cgroup every pod sandbox is placed under (--cgroup-root; sent as LinuxPodSandboxConfig
   * cgroup_parent, cgroupfs path such as "/keelson-abc/node1"). Default '': the runtime's choice.
   */
  cgroupRoot?: string;
  /** Container logs root (--pod-logs-dir), default `<rootDir>/pod-logs`. */
  podLogsDir?: string;
  /** capacity.pods (--max-pods), default 110. */
  maxPods?: number;
  /** Extra node labels (--node-labels k=v,...). */
  nodeLabels?: Record<string, string>;
  /** Reserved resources (--system-reserved + --kube-reserved), e.g. { cpu: "100m", memory: "100Mi" }. */
  reserved?: Record<string, string>;
  /** Lease renew interval ms (--node-lease-renew-interval), default 10 000. */
  leaseRenewMs?: number;
  /** Node status compute interval ms, default 10 000. */
  nodeStatusUpdateMs?: number;
  /** Max time between node status writes ms, default 60 000. */
  nodeStatusReportMs?: number;
  /** CrashLoopBackOff base delay ms (--crashloop-backoff-base), default 10 000; max 300 000. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Runtime relist interval ms (PLEG), default 1000. */
  relistMs?: number;
  /** Periodic pod resync ms, default 10 000. */
  resyncMs?: number;
  /** Host resolv.conf for dnsPolicy Default, default "/etc/resolv.conf". */
  resolvConf?: string;
  /** Skip the HTTP server. */
  disableServer?: boolean;
  /** --healthz-port: port of the separate /healthz server (upstream default 10248); undefined or 0: none. */
  healthzPort?: number;
  /** --healthz-bind-address (default 127.0.0.1). */
  healthzBindAddress?: string;
  /** Registry for the kubelet's metrics (default: a new one with the process metrics). */
  registry?: Registry;
  clock?: Clock;
  logger?: Logger;
}

/** A running kubelet. */
export interface KubeletHandle {
  /** Stops watches, loops and the HTTP server; pods keep running unless `removePods`. */
  stop(opts?: { removePods?: boolean }): Promise<void>;
  /** The HTTP server port (after start), 0 when disabled. */
  readonly port: number;
  /** The healthz server's port (after start), 0 when disabled. */
  readonly healthzPort: number;
  readonly kubelet: Kubelet;
}

function firstIPv4(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** A bridge name ≤ 15 chars unique per node name. */
export function defaultBridgeName(nodeName: string): string {
  let h = 0;
  for (const ch of nodeName) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `kbr-${h.toString(36)}`.slice(0, 15);
}

class PodWorker {
  private running = false;
  private dirty = false;
  private timer: unknown;
  done?: Promise<void>;
  constructor(
    private readonly k: Kubelet,
    readonly uid: string,
  ) {}

  trigger() {
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    this.done = this.loop();
  }

  private async loop() {
    try {
      do {
        this.dirty = false;
        this.k.clock.clearTimeout(this.timer);
        const next = await this.k.syncOne(this.uid).catch((e) => {
          this.k.log.warn({ uid: this.uid, err: (e as Error).message }, 'pod sync failed');
          return 2000;
        });
        if (next > 0 && !this.k.stopped) this.timer = this.k.clock.setTimeout(() => this.trigger(), next);
      } while (this.dirty && !this.k.stopped);
    } finally {
      this.running = false;
    }
  }

  cancel() {
    this.k.clock.clearTimeout(this.timer);
  }
}

/** The node agent. Create with {@link startKubelet}. */
export class Kubelet {
  readonly clock: Clock;
  readonly log: Logger;
  readonly cri: CriRuntime;
  readonly syncer: PodSyncer;
  readonly probes: ProbeManager;
  readonly nodeManager: NodeManager;
  /** Pods bound to this node, by uid (as last seen from the apiserver). */
  readonly pods = new Map<string, Pod>();
  private readonly lastStatus = new Map<string, PodStatus>();
  private readonly workers = new Map<string, PodWorker>();
  private readonly removed = new Map<string, Pod>();
  private readonly terminated = new Set<string>();
  private readonly fingerprints = new Map<string, string>();
  private watch?: WatchHandle;
  private relistTimer: unknown;
  private orphanTimer: unknown;
  private synced = false;
  stopped = false;
  private runtimeName = 'keelson';
  private runtimeVersion = '';
  private machine: MachineInfo;
  private cni?: CniManager;
  private server?: KubeletServer;
  private healthz?: HealthServer;
  /** Time of the last successful PLEG relist (ms, clock time); 0 before the first. */
  private lastRelist = 0;
  private runningPods = 0;
  private containersByState = new Map<string, number>();
  /**
   * The kubelet's health and metrics (served on the --healthz-port server and on the main server):
   * check `syncloop` (the PLEG relist ran within the last minute, as upstream's syncloop check)
   * and the metrics `kubelet_running_pods` and `kubelet_running_containers{container_state}`.
   */
  readonly health: HealthHandlerOptions & { registry: Registry };
  private readonly nodeOpts: NodeManagerOptions;
  private readonly recorder: EventRecorder;
  readonly opts: Required<Pick<KubeletOptions, 'nodeName' | 'rootDir' | 'clusterDomain' | 'port'>> &
    KubeletOptions;
  readonly nodeIp: string;

  constructor(
    opts: KubeletOptions,
    readonly cs: Clientset,
  ) {
    if (!opts.nodeName) throw new ConfigError('--node-name is required');
    if (!opts.rootDir) throw new ConfigError('--root-dir is required');
    if (!opts.runtime && !opts.containerRuntimeEndpoint)
      throw new ConfigError('--container-runtime-endpoint is required');
    this.opts = { clusterDomain: 'cluster.local', port: 10250, ...opts };
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger();
    this.nodeIp = opts.nodeIp ?? firstIPv4();
    const registry = opts.registry ?? createMetricsRegistry();
    const counts = () => ({ pods: this.runningPods, containers: this.containersByState });
    new Gauge({
      name: 'kubelet_running_pods',
      help: 'Number of pods that have a running pod sandbox',
      registers: [registry],
      collect() {
        this.set(counts().pods);
      },
    });
    new Gauge({
      name: 'kubelet_running_containers',
      help: 'Number of containers currently running',
      labelNames: ['container_state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [state, n] of counts().containers) this.set({ container_state: state }, n);
      },
    });
    this.health = {
      registry,
      checks: [
        {
          name: 'syncloop',
          check: () => {
            const age = this.clock.now() - this.lastRelist;
            if (this.lastRelist && age > Math.max(60_000, 10 * (this.opts.relistMs ?? 1000)))
              throw new Error(`sync loop took too long: last relist ${Math.round(age / 1000)}s ago`);
          },
        },
      ],
    };
    this.cri = opts.runtime ?? new GrpcCriRuntime(opts.containerRuntimeEndpoint!);
    this.recorder = new EventRecorder(cs, { component: 'kubelet', host: opts.nodeName });
    this.machine = readMachineInfo(opts.rootDir);
    let hostResolv: ResolvConf = { nameservers: [], searches: [], options: [] };
    try {
      hostResolv = parseResolvConf(readFileSync(opts.resolvConf ?? '/etc/resolv.conf', 'utf8'));
    } catch {
      /* none */
    }
    if (!opts.disableCni) {
      this.cni = new CniManager(
        opts.cniConfDir ?? join(opts.rootDir, 'cni', 'net.d'),
        join(opts.rootDir, 'cni', 'cache'),
        opts.cniBinDirs,
      );
    }
    this.probes = new ProbeManager(
      (p, t) => runProbe(this.cri, p, t),
      this.clock,
      (e) => {
        const pod = this.pods.get(e.podUid);
        if (pod && e.result === 'failure') {
          const kind = e.type === 'liveness' ? 'Liveness' : e.type === 'readiness' ? 'Readiness' : 'Startup';
          this.event(pod, 'Warning', 'Unhealthy', `${kind} probe failed: ${e.message}`);
        }
        this.workers.get(e.podUid)?.trigger();
      },
    );
    const objects: ObjectSource = {
      configMap: (ns, name) => this.getOrUndefined<ConfigMap>('configmaps', ns, name),
      secret: (ns, name) => this.getOrUndefined<Secret>('secrets', ns, name),
      persistentVolumeClaim: (ns, name) =>
        this.getOrUndefined<PersistentVolumeClaim>('persistentvolumeclaims', ns, name),
      persistentVolume: (name) => this.getOrUndefined<PersistentVolume>('persistentvolumes', '', name),
    };
    this.syncer = new PodSyncer(
      {
        rootDir: opts.rootDir,
        podLogsDir: opts.podLogsDir ?? join(opts.rootDir, 'pod-logs'),
        nodeName: opts.nodeName,
        nodeIp: this.nodeIp,
        clusterDns: opts.clusterDns ?? [],
        clusterDomain: this.opts.clusterDomain,
        hostResolv,
        runtimeName: this.runtimeName,
        minGraceSeconds: 2,
        backoffResetMs: 600_000,
        shortResyncMs: 1000,
        resyncMs: opts.resyncMs ?? 10_000,
        cgroupParent: opts.cgroupRoot,
      },
      {
        cri: this.cri,
        cni: this.cni,
        clock: this.clock,
        log: this.log,
        objects,
        probes: this.probes,
        node: () => this.allocatable(),
        serviceAccountToken: (ns, sa, audience, exp, pod) => this.requestToken(ns, sa, audience, exp, pod),
        event: (pod, type, reason, message) => this.event(pod, type, reason, message),
      },
      opts.backoffInitialMs ?? 10_000,
      opts.backoffMaxMs ?? 300_000,
    );
    this.nodeOpts = {
      nodeName: opts.nodeName,
      nodeIp: this.nodeIp,
      hostname: opts.hostname ?? os.hostname(),
      podCidr: opts.podCidr,
      port: this.opts.port,
      maxPods: opts.maxPods ?? 110,
      labels: opts.nodeLabels ?? {},
      reserved: opts.reserved ?? {},
      leaseRenewMs: opts.leaseRenewMs ?? 10_000,
      leaseDurationSeconds: 40,
      statusUpdateMs: opts.nodeStatusUpdateMs ?? 10_000,
      statusReportMs: opts.nodeStatusReportMs ?? 60_000,
    };
    this.nodeManager = new NodeManager(
      cs,
      this.nodeOpts,
      () => (this.machine = readMachineInfo(opts.rootDir)),
      () => this.runtimeHealth(),
      this.clock,
      this.log,
    );
  }

  private allocatable(): NodeAllocatable {
    const a = this.nodeManager.current?.status?.allocatable;
    return {
      milliCpu: a?.cpu ? Math.round(parseQuantity(a.cpu) * 1000) : this.machine.cpus * 1000,
      memoryBytes: a?.memory ? parseQuantity(a.memory) : this.machine.memoryBytes,
      ephemeralStorageBytes: a?.['ephemeral-storage']
        ? parseQuantity(a['ephemeral-storage'])
        : this.machine.fsCapacityBytes,
    };
  }

  private async getOrUndefined<T extends KubeObject>(
    resource: string,
    ns: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.cs.resource<T>(resource).get(ns, name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async requestToken(
    ns: string,
    sa: string,
    audience: string | undefined,
    exp: number,
    pod: Pod,
  ): Promise<string | undefined> {
    const res = await this.cs
      .resource('serviceaccounts')
      .createSubresource<{ status?: { token?: string } }>(ns, sa, 'token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds: exp,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      });
    return res.status?.token;
  }

  private async runtimeHealth() {
    try {
      const v = await this.cri.version();
      this.runtimeName = v.runtimeName || 'keelson';
      this.runtimeVersion = v.runtimeVersion;
      this.syncer.cfg.runtimeName = this.runtimeName;
      return { runtimeName: this.runtimeName, runtimeVersion: this.runtimeVersion, notReadyReason: '' };
    } catch (e) {
      return {
        runtimeName: this.runtimeName,
        runtimeVersion: this.runtimeVersion,
        notReadyReason: `container runtime is down: ${(e as Error).message}`,
      };
    }
  }

  /** Records a core/v1 Event about a pod (best effort, aggregated; client-go tools/record semantics). */
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, type, reason, message);
  }

  /** Starts everything; resolves once the Node is registered and the pod watch is running. */
  async start(): Promise<void> {
    await mkdir(this.opts.rootDir, { recursive: true });
    await this.runtimeHealth();
    if (!this.opts.disableServer) {
      this.server = new KubeletServer(
        this,
        this.opts.address ?? '0.0.0.0',
        this.opts.port,
        healthHandler(this.health),
      );
      // the Node advertises the port actually bound (--port 0 picks a free one)
      this.nodeOpts.port = await this.server.listen();
    }
    if (this.opts.healthzPort)
      this.healthz = await serveHealth({
        host: this.opts.healthzBindAddress ?? '127.0.0.1',
        port: this.opts.healthzPort,
        ...this.health,
      });
    await this.nodeManager.register();
    this.nodeManager.start();
    const podCidr = this.opts.podCidr ?? this.nodeManager.current?.spec?.podCIDR;
    if (this.cni) {
      if (!podCidr)
        this.log.warn({}, 'no pod CIDR (--pod-cidr or Node spec.podCIDR); CNI config not written');
      else {
        await this.cni.ensureConfig(
          defaultConfList({
            podCidr,
            bridge: this.opts.cniBridge ?? defaultBridgeName(this.opts.nodeName),
            ipamDataDir: join(this.opts.rootDir, 'cni', 'networks'),
          }),
        );
      }
    }
    await this.listAndWatch();
    this.relist();
    this.orphanTimer = this.clock.setTimeout(() => void this.cleanupOrphans(), 2000);
  }

  /** The HTTP server port (0 when disabled). */
  get port(): number {
    return this.server?.port ?? 0;
  }

  /** The healthz server port (0 when disabled). */
  get healthzPort(): number {
    return this.healthz?.port ?? 0;
  }

  /**
   * Stops loops, watch and server. Pods keep running in the runtime unless `removePods` is set:
   * then every pod sandbox this kubelet manages is stopped and removed (CNI DEL included) first.
   */
  async stop(opts: { removePods?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    this.clock.clearTimeout(this.relistTimer);
    this.clock.clearTimeout(this.orphanTimer);
    this.nodeManager.stop();
    this.probes.stop();
    for (const w of this.workers.values()) w.cancel();
    await Promise.all([...this.workers.values()].map((w) => w.done?.catch(() => undefined)));
    if (opts.removePods) {
      // Teardown: every pod killed with grace 0, several at a time (each waits on runc and CNI).
      await inBatches([...this.pods], REMOVE_CONCURRENCY, ([uid, pod]) =>
        this.syncer.removePod(uid, pod).catch(() => undefined),
      );
      const left = await this.cri.listPodSandbox({ labelSelector: this.ownLabels() }).catch(() => []);
      await inBatches(left, REMOVE_CONCURRENCY, (sb) =>
        this.syncer.removeOrphanSandbox(sb.id).catch(() => undefined),
      );
    }
    await this.server?.close();
    await this.healthz?.close();
    this.cri.close();
  }

  private async listAndWatch(): Promise<void> {
    const pods = this.cs.resource<Pod>('pods');
    const fieldSelector = `spec.nodeName=${this.opts.nodeName}`;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const list = await pods.list(undefined, { fieldSelector });
        const seen = new Set<string>();
        for (const p of list.items) {
          seen.add(p.metadata.uid!);
          this.upsert(p);
        }
        for (const uid of [...this.pods.keys()]) if (!seen.has(uid)) this.forget(uid);
        this.synced = true;
        this.watch = pods.watch(
          undefined,
          { fieldSelector, resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true },
          {
            onEvent: (ev) => {
              if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.upsert(ev.object);
              else if (ev.type === 'DELETED') this.forget(ev.object.metadata.uid!);
            },
            onClose: (err) => {
              if (this.stopped) return;
              if (err && !isGone(err)) this.log.warn({ err: err.message }, 'pod watch closed');
              this.clock.setTimeout(() => void this.listAndWatch(), err ? 1000 : 0);
            },
          },
        );
        return;
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'listing pods failed; retrying');
        await new Promise((r) =>
          this.clock.setTimeout(() => r(undefined), Math.min(5000, 200 * 2 ** attempt)),
        );
      }
    }
  }

  private upsert(p: Pod) {
    const uid = p.metadata.uid!;
    const old = this.pods.get(uid);
    this.pods.set(uid, p);
    // our own status writes come back as MODIFIED events: no resync for those
    if (old && sameDesired(old, p)) return;
    this.worker(uid).trigger();
  }

  private forget(uid: string) {
    const p = this.pods.get(uid);
    if (!p) return;
    this.pods.delete(uid);
    this.removed.set(uid, p);
    this.worker(uid).trigger();
  }

  private worker(uid: string): PodWorker {
    let w = this.workers.get(uid);
    if (!w) this.workers.set(uid, (w = new PodWorker(this, uid)));
    return w;
  }

  /** One sync of one pod; resolves with ms until the next periodic sync (0: none). @internal */
  async syncOne(uid: string): Promise<number> {
    if (this.stopped) return 0;
    const pod = this.pods.get(uid);
    if (!pod) {
      const gone = this.removed.get(uid);
      await this.syncer.removePod(uid, gone);
      this.removed.delete(uid);
      this.lastStatus.delete(uid);
      this.terminated.delete(uid);
      this.fingerprints.delete(uid);
      this.workers.get(uid)?.cancel();
      this.workers.delete(uid);
      if (gone) this.log.info({ pod: formatPod(gone) }, 'pod removed');
      return 0;
    }
    const view: Pod = { ...pod, status: this.lastStatus.get(uid) ?? pod.status };
    if (pod.metadata.deletionTimestamp) {
      if (this.terminated.has(uid)) return 0;
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      let state = await getRuntimePodState(this.cri, uid, this.syncer.stateCache);
      await this.syncer.killPod(view, state, grace, true);
      state = await getRuntimePodState(this.cri, uid, this.syncer.stateCache);
      const status = this.syncer.status(view, state, true);
      await this.writeStatus(view, status);
      try {
        await this.cs.resource<Pod>('pods').delete(pod.metadata.namespace, pod.metadata.name!, {
          gracePeriodSeconds: 0,
          preconditions: { uid },
        });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      this.terminated.add(uid);
      this.log.info({ pod: formatPod(pod) }, 'pod terminated');
      return 0;
    }
    const res = await this.syncer.syncPod(view);
    await this.writeStatus(view, res.status);
    this.fingerprints.set(uid, fingerprint(res.state));
    return res.resyncMs;
  }

  private async writeStatus(pod: Pod, status: PodStatus): Promise<void> {
    const uid = pod.metadata.uid!;
    const prev = this.lastStatus.get(uid) ?? this.pods.get(uid)?.status;
    if (prev && statusEqual(prev, status)) {
      this.lastStatus.set(uid, status);
      return;
    }
    try {
      await this.cs
        .resource<Pod>('pods')
        .patch(pod.metadata.namespace, pod.metadata.name!, 'merge', { status }, { subresource: 'status' });
      this.lastStatus.set(uid, status);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }

  /** The latest status the kubelet computed for a pod (what /pods reports). */
  statusOf(uid: string): PodStatus | undefined {
    return this.lastStatus.get(uid);
  }

  /** PLEG: relist the runtime and resync pods whose containers changed. */
  private relist() {
    const tick = async () => {
      if (this.stopped) return;
      try {
        const [cs, sbs] = await Promise.all([
          this.cri.listContainers({ labelSelector: this.ownLabels() }),
          this.cri.listPodSandbox({ labelSelector: this.ownLabels() }),
        ]);
        this.lastRelist = this.clock.now();
        this.runningPods = sbs.filter((s) => s.state === PodSandboxState.SANDBOX_READY).length;
        const byState = new Map<string, number>();
        for (const c of cs) {
          const st =
            c.state === ContainerState.CONTAINER_RUNNING
              ? 'running'
              : c.state === ContainerState.CONTAINER_CREATED
                ? 'created'
                : c.state === ContainerState.CONTAINER_EXITED
                  ? 'exited'
                  : 'unknown';
          byState.set(st, (byState.get(st) ?? 0) + 1);
        }
        this.containersByState = byState;
        const byUid = new Map<string, string[]>();
        for (const c of cs) {
          const uid = c.labels[POD_UID_LABEL] ?? '';
          (byUid.get(uid) ?? byUid.set(uid, []).get(uid)!).push(`c${c.id}:${c.state}`);
        }
        for (const s of sbs) {
          const uid = s.labels[POD_UID_LABEL] ?? '';
          (byUid.get(uid) ?? byUid.set(uid, []).get(uid)!).push(`s${s.id}:${s.state}`);
        }
        for (const [uid, parts] of byUid) {
          const fp = parts.sort().join(',');
          const old = this.fingerprints.get(uid);
          if (old !== undefined && old !== fp && this.pods.has(uid)) {
            this.fingerprints.set(uid, fp);
            this.workers.get(uid)?.trigger();
          }
        }
      } catch (e) {
        this.log.debug({ err: (e as Error).message }, 'relist failed');
      }
      if (!this.stopped)
        this.relistTimer = this.clock.setTimeout(() => void tick(), this.opts.relistMs ?? 1000);
    };
    this.relistTimer = this.clock.setTimeout(() => void tick(), this.opts.relistMs ?? 1000);
  }

  /** Removes sandboxes of pods the apiserver no longer has (e.g. deleted while the kubelet was down). */
  async cleanupOrphans(): Promise<number> {
    let n = 0;
    if (this.synced && !this.stopped) {
      try {
        const sbs = await this.cri.listPodSandbox({ labelSelector: this.ownLabels() });
        for (const sb of sbs) {
          const uid = sb.labels[POD_UID_LABEL] ?? '';
          if (this.pods.has(uid) || this.workers.has(uid)) continue;
          this.log.info({ sandbox: sb.id, uid }, 'removing orphaned sandbox');
          await this.syncer.removeOrphanSandbox(sb.id);
          n++;
        }
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'orphan cleanup failed');
      }
    }
    if (!this.stopped) this.orphanTimer = this.clock.setTimeout(() => void this.cleanupOrphans(), 30_000);
    return n;
  }

  /** Runtime state of a pod (for the HTTP server). */
  runtimeState(uid: string): Promise<RuntimePodState> {
    return getRuntimePodState(this.cri, uid, this.syncer.stateCache);
  }

  /** Labels selecting the sandboxes and containers this kubelet manages. */
  private ownLabels(): Record<string, string> {
    return { [KUBELET_MANAGED_LABEL]: 'true', [KUBELET_NODE_LABEL]: this.opts.nodeName };
  }

  /** Directory holding a pod's container logs. */
  podLogDir(pod: Pod): string {
    return this.syncer.podLogDir(pod);
  }

  /** Finds a pod by namespace/name among this node's pods. */
  findPod(namespace: string, name: string): Pod | undefined {
    for (const p of this.pods.values())
      if (p.metadata.namespace === namespace && p.metadata.name === name) return p;
    return undefined;
  }

  /** Waits until every pod worker is idle (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.done));
  }
}

/** True when two versions of a pod differ only in status and bookkeeping metadata. */
function sameDesired(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = p.metadata;
    return JSON.stringify([meta, p.spec]);
  };
  return strip(a) === strip(b);
}

function fingerprint(state: RuntimePodState): string {
  const parts: string[] = [];
  const stateNum = { created: 0, running: 1, exited: 2, unknown: 3 } as const;
  for (const c of state.containers) parts.push(`c${c.id}:${stateNum[c.state]}`);
  for (const s of state.sandboxes) parts.push(`s${s.id}:${s.ready ? 0 : 1}`);
  return parts.sort().join(',');
}

/**
 * Starts a kubelet with the given clientset (in-process embedding, e.g. by the cluster app).
 * Resolves once the Node is registered and pods are being watched. Throws {@link ConfigError}
 * for missing options.
 */
export async function startKubelet(opts: KubeletOptions, clientset: Clientset): Promise<KubeletHandle> {
  const k = new Kubelet(opts, clientset);
  try {
    await k.start();
  } catch (e) {
    await k.stop().catch(() => undefined);
    throw e;
  }
  return {
    stop: (o) => k.stop(o),
    get port() {
      return k.port;
    },
    get healthzPort() {
      return k.healthzPort;
    },
    kubelet: k,
  };
}

/** How many pods `stop({ removePods: true })` tears down at once. */
const REMOVE_CONCURRENCY = 8;

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inBatches<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
