import { spawn, ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, isAbsolute, join } from 'node:path';
import {
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerState,
  ContainerStats,
  ContainerStatus,
  LinuxContainerResources,
  NamespaceMode,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxState,
  PodSandboxStats,
  PodSandboxStatusResponse,
  Signal,
} from './cri-api';
import { alreadyExists, CommandError, CriError, invalid, notFound, precondition } from './errors';
import { run } from './exec';
import { ImageStore, StoredImage } from './images/store';
import { buildSpec, ociResources } from './oci/spec';
import { chooseRuntime, OciRuntime, OciRuntimeName } from './oci/runtime';
import { MONITOR_SOURCE } from './monitor/monitor-source';
import {
  createNamespaces,
  destroyNamespaces,
  netDev,
  podIp,
  startPidHolder,
  stopPidHolder,
} from './namespaces';
import { memoryCgroupDir, readUsage, removeCgroup } from './cgroups';
import { status as grpcStatus } from '@grpc/grpc-js';

/** Where monitors put their Attach stdin sockets (see KeelsonRuntime.attachSocket). */
const ATTACH_SOCKET_DIR = '/run/keelson-cri';
/** Options of {@link KeelsonRuntime}. */
export interface RuntimeOptions {
  /** State directory: images, sandboxes, containers, OCI runtime state. Created if missing. */
  root: string;
  /** OCI runtime: `auto` (crun if it can run here, else runc; default), `runc` or `crun`. */
  ociRuntime?: 'auto' | OciRuntimeName;
  /** Directory for network namespace files (default `/var/run/netns`, where `ip netns` looks). */
  netnsDir?: string;
  /** cgroup path under which pods without a `cgroup_parent` get their cgroup (default `/keelson`). */
  cgroupRoot?: string;
  /** Node binary that runs container monitors (default `process.execPath`). */
  nodePath?: string;
  /** Informational messages (runtime choice, recoveries). */
  log?: (msg: string) => void;
  /** Idle container monitors kept pre-started so StartContainer skips Node.js boot (default 2; 0 disables). */
  monitorPool?: number;
}

interface SandboxRecord {
  id: string;
  /** Unique name: `<name>_<namespace>_<uid>_<attempt>` (CRI sandbox name reservation). */
  name: string;
  createdAt: number;
  state: 'ready' | 'notready';
  config: unknown;
  runtimeHandler: string;
  netns?: string;
  ipc?: string;
  uts?: string;
  hostNetwork: boolean;
  hostPid: boolean;
  /** Pod-wide PID namespace file (shareProcessNamespace), and its holder process. */
  pidNs?: string;
  pidHolder?: number;
  cgroupParent: string;
  ownCgroup: boolean;
  resolvConf?: string;
  hostnameFile?: string;
}

interface ContainerRecord {
  id: string;
  sandboxId: string;
  name: string;
  createdAt: number;
  config: unknown;
  /** Image as the request named it. */
  image: string;
  imageId: string;
  /** `repo@digest` if known, else the image id: what CRI image_ref reports. */
  imageRef: string;
  logPath: string;
  cgroupsPath: string;
  runtime: OciRuntimeName;
  stopRequested?: boolean;
  layers: string[];
}

interface ExitInfo {
  exitCode: number;
  finishedAt: number;
  oomKilled: boolean;
  started: boolean;
  /** Stopped while still CREATED (StopContainer before StartContainer): no reason is reported. */
  neverStarted?: boolean;
  message: string;
}

const MONITOR_VANISHED = 'err the container monitor exited without a report';
const NS_PER_MS = 1_000_000;
const now = () => Date.now() * NS_PER_MS;
/** ns as stored (a JS number, ~256 ns precision) → CRI int64. */
const big = (n: number | undefined) => BigInt(Math.trunc(n ?? 0));
const u64 = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? undefined : { value: BigInt(Math.trunc(n)) };
const newId = () => randomBytes(32).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function matchLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(selector ?? {})) if (labels[k] !== v) return false;
  return true;
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process's oom_score_adj (children may not go lower without CAP_SYS_RESOURCE). */
function ownOomScoreAdj(): number {
  try {
    return Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

const SIGNAL_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(Signal)) {
  if (typeof v === 'number' && k.startsWith('SIGNAL_SIG')) SIGNAL_NAMES[v] = k.slice('SIGNAL_SIG'.length);
}

/**
 * The CRI runtime.v1 implementation: pod sandboxes as persistent namespace files, containers run
 * by an OCI runtime (runc/crun) under a per-container monitor process, root filesystems as
 * overlayfs over unpacked image layers, state in `<root>` so a restarted runtime finds its
 * sandboxes and running containers again. Method names and semantics follow the CRI
 * RuntimeService/ImageService RPCs (k8s.io/cri-api runtime.v1); errors are {@link CriError}s.
 *
 * Layout of `<root>`: `images/` (OCI layout + unpacked layers), `sandboxes/<id>/sandbox.json`
 * (+ ipc, uts namespace files, resolv.conf, hostname), `containers/<id>/` (container.json,
 * config.json bundle, rootfs/upper/work, monitor.json, started.json, exit.json, monitor.log),
 * `oci/<runc|crun>/` (the OCI runtime's --root), `monitor.cjs`.
 */
export class KeelsonRuntime {
  readonly images: ImageStore;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private oci!: OciRuntime;
  private readonly ociByName = new Map<OciRuntimeName, OciRuntime>();
  private readonly netnsDir: string;
  private readonly cgroupRoot: string;
  private readonly nodePath: string;
  private readonly log: (msg: string) => void;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly podIps = new Map<string, string>();
  /** Why `auto` did not pick crun, when it did not. */
  runtimeNote?: string;
  /** Pre-started idle monitors (see monitor-source.ts), so StartContainer skips Node.js boot. */
  private readonly idle: Array<{ child: ChildProcess; control: Socket }> = [];
  private closed = false;

  constructor(readonly opts: RuntimeOptions) {
    this.images = new ImageStore(join(opts.root, 'images'));
    this.netnsDir = opts.netnsDir ?? '/var/run/netns';
    this.cgroupRoot = opts.cgroupRoot ?? '/keelson';
    this.nodePath = opts.nodePath ?? process.execPath;
    this.log = opts.log ?? (() => undefined);
  }

  /** The OCI runtime in use for new containers (`runc` or `crun`). */
  get ociRuntimeName(): OciRuntimeName {
    return this.oci.name;
  }

  /**
   * Creates the state directories, picks the OCI runtime (probing crun for `auto`), writes the
   * monitor script and reloads sandboxes and containers persisted by an earlier run.
   */
  async init(): Promise<void> {
    const root = this.opts.root;
    for (const d of ['sandboxes', 'containers', 'oci']) await mkdir(join(root, d), { recursive: true });
    await this.images.init();
    const choice = await chooseRuntime(this.opts.ociRuntime ?? 'auto');
    this.runtimeNote = choice.note;
    if (choice.note) this.log(choice.note);
    this.oci = this.ociFor(choice.name);
    await writeFile(join(root, 'monitor.cjs'), MONITOR_SOURCE);
    for (const id of readdirSync(join(root, 'sandboxes'))) {
      try {
        const rec = JSON.parse(
          readFileSync(join(root, 'sandboxes', id, 'sandbox.json'), 'utf8'),
        ) as SandboxRecord;
        if (rec.state === 'ready' && rec.netns && !existsSync(rec.netns)) rec.state = 'notready';
        this.sandboxes.set(rec.id, rec);
      } catch {
        this.log(`ignoring unreadable sandbox state ${id}`);
      }
    }
    for (const id of readdirSync(join(root, 'containers'))) {
      try {
        const rec = JSON.parse(
          readFileSync(join(root, 'containers', id, 'container.json'), 'utf8'),
        ) as ContainerRecord;
        this.containers.set(rec.id, rec);
      } catch {
        this.log(`ignoring unreadable container state ${id}`);
      }
    }
    this.refill();
    if (this.sandboxes.size || this.containers.size) {
      this.log(`recovered ${this.sandboxes.size} sandboxes, ${this.containers.size} containers from ${root}`);
    }
  }

  /** Number of idle monitors kept ready (RuntimeOptions.monitorPool, default 2). */
  private get poolSize(): number {
    return this.opts.monitorPool ?? 2;
  }

  private spawnMonitor(args: string[]): { child: ChildProcess; control: Socket } {
    const child = spawn(this.nodePath, [join(this.opts.root, 'monitor.cjs'), ...args], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      cwd: this.opts.root,
    });
    child.on('error', () => undefined);
    const control = child.stdio[3] as Socket;
    control.on('error', () => undefined);
    return { child, control };
  }

  private refill(): void {
    while (!this.closed && this.idle.length < this.poolSize) {
      const m = this.spawnMonitor(['--idle']);
      m.child.unref();
      m.control.unref();
      m.child.once('exit', () => {
        const i = this.idle.indexOf(m);
        if (i >= 0) this.idle.splice(i, 1);
      });
      this.idle.push(m);
    }
  }

  /** A monitor ready to run the container described by `cfgPath`: an idle one if any, else a new one. */
  private takeMonitor(cfgPath: string, fresh = false): { child: ChildProcess; control: Socket } {
    let m = fresh ? undefined : this.idle.shift();
    while (m && m.child.exitCode !== null) m = this.idle.shift();
    if (m) {
      m.control.write(`${cfgPath}\n`);
      m.control.ref();
    } else {
      m = this.spawnMonitor([cfgPath]);
    }
    setImmediate(() => this.refill());
    return m;
  }

  /** Stops the idle monitors (running containers and their monitors are not touched). */
  close(): void {
    this.closed = true;
    for (const m of this.idle.splice(0)) m.control.destroy();
  }

  private ociFor(name: OciRuntimeName): OciRuntime {
    let r = this.ociByName.get(name);
    if (!r) {
      r = new OciRuntime(name, join(this.opts.root, 'oci', name));
      this.ociByName.set(name, r);
    }
    return r;
  }

  /** Serializes operations on one object id (sandbox or container). */
  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  private sandboxDir(id: string): string {
    return join(this.opts.root, 'sandboxes', id);
  }

  private containerDir(id: string): string {
    return join(this.opts.root, 'containers', id);
  }

  /**
   * The unix socket a container's monitor feeds stdin from (Attach). Not in the container's
   * directory: a socket path is limited to 107 bytes and a deep runtime root plus a 64-hex id
   * exceeds it; `/run/keelson-cri/<hash of root>/` is short, root-only and per runtime.
   */
  private attachSocket(id: string): string {
    const rootHash = createHash('sha256').update(this.opts.root).digest('hex').slice(0, 12);
    return join(ATTACH_SOCKET_DIR, rootHash, `${id.slice(0, 32)}.sock`);
  }

  private async saveSandbox(rec: SandboxRecord): Promise<void> {
    const f = join(this.sandboxDir(rec.id), 'sandbox.json');
    await writeFile(`${f}.tmp`, JSON.stringify(rec));
    await rename(`${f}.tmp`, f);
  }

  private async saveContainer(rec: ContainerRecord): Promise<void> {
    const f = join(this.containerDir(rec.id), 'container.json');
    await writeFile(`${f}.tmp`, JSON.stringify(rec));
    await rename(`${f}.tmp`, f);
  }

  /** Finds a sandbox by full id or unique id prefix. @throws CriError NOT_FOUND */
  private sandbox(id: string): SandboxRecord {
    if (!id) throw invalid('pod sandbox id is empty');
    const exact = this.sandboxes.get(id);
    if (exact) return exact;
    const hits = [...this.sandboxes.values()].filter((s) => s.id.startsWith(id));
    if (hits.length === 1) return hits[0];
    throw notFound(`pod sandbox "${id}" not found`);
  }

  /** Finds a container by full id or unique id prefix. @throws CriError NOT_FOUND */
  private container(id: string): ContainerRecord {
    if (!id) throw invalid('container id is empty');
    const exact = this.containers.get(id);
    if (exact) return exact;
    const hits = [...this.containers.values()].filter((c) => c.id.startsWith(id));
    if (hits.length === 1) return hits[0];
    throw notFound(`container "${id}" not found`);
  }

  // ---------------------------------------------------------------- sandboxes

  /**
   * CRI RunPodSandbox: validates the config, reserves the name, creates the network, IPC and UTS
   * namespaces (network: `<netnsDir>/keelson-<id[:16]>`, absent for host-network pods), writes
   * resolv.conf from DNSConfig and the hostname file. On any failure everything made so far is
   * removed. @returns the new sandbox id (64 hex).
   * @throws CriError INVALID_ARGUMENT (missing metadata fields), ALREADY_EXISTS (name in use).
   */
  async runPodSandbox(config: PodSandboxConfig | undefined, runtimeHandler = ''): Promise<string> {
    if (!config) throw invalid('RunPodSandbox: config is required');
    const md = config.metadata;
    if (!md?.name || !md.namespace || !md.uid) {
      throw invalid('RunPodSandbox: config.metadata needs name, namespace and uid');
    }
    if (runtimeHandler && !['runc', 'crun', 'keelson'].includes(runtimeHandler)) {
      throw invalid(
        `RunPodSandbox: unknown runtime handler "${runtimeHandler}" (this runtime offers "", runc, crun)`,
      );
    }
    if (config.logDirectory && !isAbsolute(config.logDirectory)) {
      throw invalid(`RunPodSandbox: log_directory "${config.logDirectory}" must be an absolute path`);
    }
    const name = `${md.name}_${md.namespace}_${md.uid}_${md.attempt}`;
    return this.locked(`sandbox-name:${name}`, async () => {
      const taken = [...this.sandboxes.values()].find((s) => s.name === name);
      if (taken) throw alreadyExists(`pod sandbox name "${name}" is reserved for ${taken.id}`);
      const id = newId();
      const dir = this.sandboxDir(id);
      const nsOpts = config.linux?.securityContext?.namespaceOptions;
      const hostNetwork = nsOpts?.network === NamespaceMode.NODE;
      const hostIpc = nsOpts?.ipc === NamespaceMode.NODE;
      const ownCgroup = !config.linux?.cgroupParent;
      const rec: SandboxRecord = {
        id,
        name,
        createdAt: now(),
        state: 'ready',
        config: PodSandboxConfig.toJSON(config),
        runtimeHandler,
        netns: hostNetwork ? undefined : join(this.netnsDir, `keelson-${id.slice(0, 16)}`),
        ipc: hostIpc ? undefined : join(dir, 'ns-ipc'),
        uts: hostNetwork ? undefined : join(dir, 'ns-uts'),
        hostNetwork,
        hostPid: nsOpts?.pid === NamespaceMode.NODE,
        cgroupParent: config.linux?.cgroupParent || `${this.cgroupRoot}/pod-${id.slice(0, 16)}`,
        ownCgroup,
      };
      await mkdir(dir, { recursive: true });
      try {
        const hostname = config.hostname || md.name;
        if (!hostNetwork) {
          rec.hostnameFile = join(dir, 'hostname');
          await writeFile(rec.hostnameFile, `${hostname}\n`);
        }
        const dns = config.dnsConfig;
        if (dns && (dns.servers.length || dns.searches.length || dns.options.length)) {
          rec.resolvConf = join(dir, 'resolv.conf');
          const lines = [
            ...(dns.searches.length ? [`search ${dns.searches.join(' ')}`] : []),
            ...dns.servers.map((s) => `nameserver ${s}`),
            ...(dns.options.length ? [`options ${dns.options.join(' ')}`] : []),
          ];
          await writeFile(rec.resolvConf, `${lines.join('\n')}\n`);
        }
        const sysctls = config.linux?.sysctls ?? {};
        for (const k of Object.keys(sysctls)) {
          if (!/^[a-z0-9_.-]+$/i.test(k)) throw invalid(`RunPodSandbox: invalid sysctl name "${k}"`);
        }
        await createNamespaces({ net: rec.netns, ipc: rec.ipc, uts: rec.uts }, hostname, sysctls);
        if (nsOpts?.pid === NamespaceMode.POD) {
          rec.pidNs = join(dir, 'ns-pid');
          rec.pidHolder = await startPidHolder(rec.pidNs);
        }
        await this.saveSandbox(rec);
      } catch (e) {
        if (rec.pidHolder) stopPidHolder(rec.pidHolder);
        await destroyNamespaces({ net: rec.netns, ipc: rec.ipc, uts: rec.uts, pid: rec.pidNs });
        await rm(dir, { recursive: true, force: true });
        if (e instanceof CriError) throw e;
        if (e instanceof CommandError && e.exitCode === 2) {
          // The namespace script exits 2 when a sysctl cannot be written (unknown or not namespaced).
          throw invalid(
            `RunPodSandbox: sysctls ${JSON.stringify(config.linux?.sysctls ?? {})} rejected: ${e.stderr.trim()}`,
          );
        }
        throw new CriError(grpcStatus.INTERNAL, `RunPodSandbox: ${(e as Error).message}`);
      }
      this.sandboxes.set(id, rec);
      return id;
    });
  }

  /**
   * CRI StopPodSandbox: kills every container of the sandbox (SIGKILL, no grace period: the
   * kubelet stops containers gracefully before) and removes its namespaces; the sandbox becomes
   * NOTREADY. Idempotent. Run CNI DEL before this: the network namespace is gone afterwards.
   * @throws CriError NOT_FOUND for an unknown id.
   */
  async stopPodSandbox(id: string): Promise<void> {
    const sb = this.sandbox(id);
    await this.locked(sb.id, async () => {
      for (const c of [...this.containers.values()].filter((c) => c.sandboxId === sb.id)) {
        await this.stopContainer(c.id, 0);
      }
      this.podIps.delete(sb.id);
      if (sb.pidHolder) stopPidHolder(sb.pidHolder);
      await destroyNamespaces({ net: sb.netns, ipc: sb.ipc, uts: sb.uts, pid: sb.pidNs });
      if (sb.state !== 'notready') {
        sb.state = 'notready';
        await this.saveSandbox(sb);
      }
    });
  }

  /**
   * CRI RemovePodSandbox: stops the sandbox if needed, removes all its containers, its state and
   * (when the runtime made it) its cgroup. Idempotent: an unknown id is not an error.
   */
  async removePodSandbox(id: string): Promise<void> {
    let sb: SandboxRecord;
    try {
      sb = this.sandbox(id);
    } catch (e) {
      if (e instanceof CriError && e.code === grpcStatus.NOT_FOUND) return;
      throw e;
    }
    await this.stopPodSandbox(sb.id);
    await this.locked(sb.id, async () => {
      for (const c of [...this.containers.values()].filter((c) => c.sandboxId === sb.id)) {
        await this.removeContainer(c.id);
      }
      if (sb.ownCgroup) await removeCgroup(sb.cgroupParent);
      await rm(this.sandboxDir(sb.id), { recursive: true, force: true });
      this.sandboxes.delete(sb.id);
    });
  }

  private toPodSandbox(sb: SandboxRecord): PodSandbox {
    const config = PodSandboxConfig.fromJSON(sb.config);
    return {
      id: sb.id,
      metadata: config.metadata,
      state: sb.state === 'ready' ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY,
      createdAt: big(sb.createdAt),
      labels: config.labels,
      annotations: config.annotations,
      runtimeHandler: sb.runtimeHandler,
    };
  }

  /**
   * CRI PodSandboxStatus. `network.ip` is read from `eth0` in the sandbox's network namespace
   * (whatever CNI configured; empty before). With `verbose`, `info["info"]` is JSON shaped like
   * containerd's: `{ pid: 0, netNamespacePath, runtimeSpec: { linux: { namespaces: [{type:
   * "network", path}, ...] } }, ... }` — the network namespace file is also always under
   * `info["netNamespacePath"]` when verbose.
   * @throws CriError NOT_FOUND
   */
  async podSandboxStatus(id: string, verbose = false): Promise<PodSandboxStatusResponse> {
    const sb = this.sandbox(id);
    const config = PodSandboxConfig.fromJSON(sb.config);
    const nsOpts = config.linux?.securityContext?.namespaceOptions;
    let ip = '';
    if (sb.state === 'ready' && sb.netns) {
      // CNI assigns the address once; after it shows up, answer from memory (the kubelet asks often).
      ip = this.podIps.get(sb.id) ?? (await podIp(sb.netns));
      if (ip) this.podIps.set(sb.id, ip);
    }
    const info: Record<string, string> = {};
    if (verbose) {
      const namespaces = [
        ...(sb.pidNs ? [{ type: 'pid', path: sb.pidNs }] : []),
        ...(sb.netns ? [{ type: 'network', path: sb.netns }] : []),
        ...(sb.ipc ? [{ type: 'ipc', path: sb.ipc }] : []),
        ...(sb.uts ? [{ type: 'uts', path: sb.uts }] : []),
      ];
      info.info = JSON.stringify({
        pid: sb.pidHolder ?? 0,
        processStatus: sb.state === 'ready' ? 'running' : 'stopped',
        netNamespacePath: sb.netns ?? '',
        netNamespaceClosed: sb.state !== 'ready',
        runtimeHandler: sb.runtimeHandler,
        runtimeType: this.oci.name,
        cgroupParent: sb.cgroupParent,
        runtimeSpec: { linux: { namespaces, cgroupsPath: sb.cgroupParent } },
        config: sb.config,
      });
      info.netNamespacePath = sb.netns ?? '';
    }
    return {
      status: {
        id: sb.id,
        metadata: config.metadata,
        state: sb.state === 'ready' ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY,
        createdAt: big(sb.createdAt),
        network: { ip, additionalIps: [] },
        linux: {
          namespaces: {
            options: {
              network: sb.hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD,
              pid: nsOpts?.pid ?? NamespaceMode.CONTAINER,
              ipc: sb.ipc ? NamespaceMode.POD : NamespaceMode.NODE,
              targetId: '',
              usernsOptions: undefined,
            },
          },
        },
        labels: config.labels,
        annotations: config.annotations,
        runtimeHandler: sb.runtimeHandler,
      },
      info,
      containersStatuses: [],
      timestamp: big(now()),
    };
  }

  /** CRI ListPodSandbox with id (prefix), state and label filters. */
  listPodSandbox(filter?: PodSandboxFilter): PodSandbox[] {
    return [...this.sandboxes.values()]
      .map((s) => this.toPodSandbox(s))
      .filter((s) => !filter?.id || s.id.startsWith(filter.id))
      .filter((s) => !filter?.state || s.state === filter.state.state)
      .filter((s) => matchLabels(s.labels, filter?.labelSelector))
      .sort((a, b) => Number(a.createdAt - b.createdAt));
  }

  // ---------------------------------------------------------------- containers

  private lookupUser(rootfs: string) {
    return (name: string) => {
      try {
        for (const line of readFileSync(join(rootfs, 'etc/passwd'), 'utf8').split('\n')) {
          const f = line.split(':');
          if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
        }
      } catch {
        /* no passwd */
      }
      return undefined;
    };
  }

  /**
   * CRI CreateContainer: resolves the image (must be in the store), mounts an overlayfs root
   * (image layers as lowerdirs, per-container upper/work) at `<root>/containers/<id>/rootfs`,
   * writes the OCI bundle. Nothing runs until StartContainer. On failure nothing is left.
   * @returns the container id.
   * @throws CriError NOT_FOUND (sandbox, image), INVALID_ARGUMENT (config), FAILED_PRECONDITION
   *   (sandbox not ready), ALREADY_EXISTS (name reused in the sandbox).
   */
  async createContainer(
    sandboxId: string,
    config: ContainerConfig | undefined,
    sandboxConfig?: PodSandboxConfig,
  ): Promise<string> {
    const sb = this.sandbox(sandboxId);
    if (!config) throw invalid('CreateContainer: config is required');
    if (!config.metadata?.name) throw invalid('CreateContainer: config.metadata.name is required');
    if (!config.image?.image) throw invalid('CreateContainer: config.image.image is required');
    if (sb.state !== 'ready') throw precondition(`CreateContainer: pod sandbox ${sb.id} is not ready`);
    const img = await this.images.resolve(config.image.image);
    if (!img)
      throw notFound(
        `CreateContainer: image "${config.image.image}" not found in the image store (pull or import it first)`,
      );
    const sbConfig = sandboxConfig?.metadata ? sandboxConfig : PodSandboxConfig.fromJSON(sb.config);
    const name = `${config.metadata.name}_${sb.name}_${config.metadata.attempt}`;
    return this.locked(`container-name:${name}`, async () => {
      const taken = [...this.containers.values()].find((c) => c.name === name);
      if (taken) throw alreadyExists(`container name "${name}" is reserved for ${taken.id}`);
      const id = newId();
      const dir = this.containerDir(id);
      const rootfs = join(dir, 'rootfs');
      let mounted = false;
      try {
        for (const d of ['rootfs', 'upper', 'work']) await mkdir(join(dir, d), { recursive: true });
        const lower = await this.images.layerDirs(img);
        const opts = `lowerdir=${lower.join(':')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`;
        const m = await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, rootfs]);
        if (m.code !== 0)
          throw new CriError(
            grpcStatus.INTERNAL,
            `CreateContainer: overlay mount failed: ${m.stderr.toString().trim()}`,
          );
        mounted = true;
        for (const mnt of config.mounts) {
          if (mnt.hostPath && !existsSync(mnt.hostPath)) await mkdir(mnt.hostPath, { recursive: true });
        }
        const cgroupsPath = `${sb.cgroupParent}/${id}`;
        const spec = buildSpec({
          config,
          image: img.config,
          rootfs,
          sandbox: {
            netnsPath: sb.netns,
            ipcPath: sb.ipc,
            utsPath: sb.uts,
            hostPid: sb.hostPid,
            pidPath: sb.pidNs,
            resolvConf: sb.resolvConf,
            hostnameFile: sb.hostnameFile,
          },
          cgroupsPath,
          minOomScoreAdj: ownOomScoreAdj(),
          lookupUser: this.lookupUser(rootfs),
          annotations: {
            'io.kubernetes.cri.sandbox-id': sb.id,
            'io.kubernetes.cri.container-name': config.metadata!.name,
          },
        });
        await writeFile(join(dir, 'config.json'), JSON.stringify(spec, null, 1));
        const logDir = sbConfig.logDirectory;
        const logPath = config.logPath
          ? isAbsolute(config.logPath)
            ? config.logPath
            : logDir
              ? join(logDir, config.logPath)
              : ''
          : '';
        const rec: ContainerRecord = {
          id,
          sandboxId: sb.id,
          name,
          createdAt: now(),
          config: ContainerConfig.toJSON(config),
          image: config.image!.image,
          imageId: img.id,
          imageRef: img.repoDigests[0] ?? img.id,
          logPath,
          cgroupsPath,
          runtime: this.oci.name,
          layers: img.manifest.layers.map((l) => l.digest),
        };
        await this.saveContainer(rec);
        this.containers.set(id, rec);
        return id;
      } catch (e) {
        if (mounted) await run('umount', [rootfs]);
        await rm(dir, { recursive: true, force: true });
        throw e;
      }
    });
  }

  private readExit(id: string): ExitInfo | undefined {
    try {
      return JSON.parse(readFileSync(join(this.containerDir(id), 'exit.json'), 'utf8')) as ExitInfo;
    } catch {
      return undefined;
    }
  }

  private readStarted(id: string): { pid: number; startedAt: number } | undefined {
    try {
      return JSON.parse(readFileSync(join(this.containerDir(id), 'started.json'), 'utf8')) as {
        pid: number;
        startedAt: number;
      };
    } catch {
      return undefined;
    }
  }

  private monitorPid(id: string): number | undefined {
    try {
      return Number(readFileSync(join(this.containerDir(id), 'monitor.pid'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Current state of a container from its monitor's files. */
  private stateOf(c: ContainerRecord): {
    state: ContainerState;
    started?: { pid: number; startedAt: number };
    exit?: ExitInfo;
  } {
    const exit = this.readExit(c.id);
    const started = this.readStarted(c.id);
    if (exit) return { state: ContainerState.CONTAINER_EXITED, started, exit };
    if (started) {
      if (!alive(started.pid) && !alive(this.monitorPid(c.id))) {
        return {
          state: ContainerState.CONTAINER_EXITED,
          started,
          exit: {
            exitCode: 255,
            finishedAt: 0,
            oomKilled: false,
            started: true,
            message: 'container monitor is gone; exit status unknown',
          },
        };
      }
      return { state: ContainerState.CONTAINER_RUNNING, started };
    }
    if (existsSync(join(this.containerDir(c.id), 'monitor.pid')) && !alive(this.monitorPid(c.id))) {
      return {
        state: ContainerState.CONTAINER_EXITED,
        exit: {
          exitCode: 128,
          finishedAt: 0,
          oomKilled: false,
          started: false,
          message: 'container monitor died during start',
        },
      };
    }
    return { state: ContainerState.CONTAINER_CREATED };
  }

  /**
   * CRI StartContainer: starts the container monitor (`node <root>/monitor.cjs`, detached, its own
   * session), which runs `<oci runtime> run` with the container's stdout/stderr on pipes it reads
   * into the CRI log file. Returns once the container process exists.
   * @throws CriError NOT_FOUND, FAILED_PRECONDITION (not in CREATED state), UNKNOWN with the OCI
   *   runtime's error (the container is then EXITED with reason StartError, exit code 128).
   */
  async startContainer(id: string): Promise<void> {
    const c = this.container(id);
    await this.locked(c.id, async () => {
      const st = this.stateOf(c);
      if (
        st.state !== ContainerState.CONTAINER_CREATED ||
        existsSync(join(this.containerDir(c.id), 'monitor.pid'))
      ) {
        throw precondition(`StartContainer: container ${c.id} is ${ContainerState[st.state]}, not CREATED`);
      }
      const sb = this.sandboxes.get(c.sandboxId);
      if (!sb || sb.state !== 'ready')
        throw precondition(`StartContainer: pod sandbox ${c.sandboxId} is not ready`);
      const dir = this.containerDir(c.id);
      const oci = this.ociFor(c.runtime);
      const cfg = ContainerConfig.fromJSON(c.config);
      const monitorCfg = {
        id: c.id,
        dir,
        runtime: oci.bin,
        runtimeRoot: oci.root,
        bundle: dir,
        logPath: c.logPath,
        keep: oci.supportsKeep,
        memoryCgroup: memoryCgroupDir(c.cgroupsPath),
        tty: cfg.tty,
        stdin: cfg.stdin,
        stdinOnce: cfg.stdinOnce,
        attachSocket: this.attachSocket(c.id),
      };
      if (cfg.stdin) await mkdir(dirname(monitorCfg.attachSocket), { recursive: true, mode: 0o700 });
      await writeFile(join(dir, 'monitor.json'), JSON.stringify(monitorCfg));
      const launch = async (fresh: boolean) => {
        const { child, control } = this.takeMonitor(join(dir, 'monitor.json'), fresh);
        await writeFile(join(dir, 'monitor.pid'), String(child.pid));
        const line = await new Promise<string>((resolve) => {
          let buf = '';
          const timer = setTimeout(() => resolve('err timed out waiting for the container to start'), 60_000);
          control.on('data', (d: Buffer) => {
            buf += d.toString();
            if (buf.includes('\n')) {
              clearTimeout(timer);
              resolve(buf.split('\n')[0]);
            }
          });
          control.on('close', () => {
            clearTimeout(timer);
            resolve(buf.split('\n')[0] || MONITOR_VANISHED);
          });
          child.on('error', (e) => resolve(`err ${e.message}`));
        });
        control.destroy();
        child.unref();
        return line;
      };
      let line = await launch(false);
      // A pre-started monitor that died before it got the job (nothing ran): retry with a new one.
      if (line === MONITOR_VANISHED && !existsSync(join(dir, 'container.pid')) && !this.readExit(c.id)) {
        line = await launch(true);
      }
      // The report can be lost if the monitor exits at once (a container that ran and exited):
      // its files say what happened.
      if (!line.startsWith('ok ') && this.readExit(c.id)?.started) line = 'ok (exited)';
      if (!line.startsWith('ok ')) {
        if (!this.readExit(c.id)) {
          await writeFile(
            join(dir, 'exit.json'),
            JSON.stringify({
              exitCode: 128,
              finishedAt: now(),
              oomKilled: false,
              started: false,
              message: line.slice(4),
            }),
          );
        }
        throw new CriError(grpcStatus.UNKNOWN, `StartContainer ${c.id}: ${line.slice(4)}`);
      }
    });
  }

  private async waitExit(id: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      const c = this.containers.get(id);
      if (!c || this.stateOf(c).state !== ContainerState.CONTAINER_RUNNING) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(20, Math.max(1, deadline - Date.now())));
    }
  }

  private stopSignal(c: ContainerRecord): string {
    const cfg = ContainerConfig.fromJSON(c.config);
    if (cfg.stopSignal && SIGNAL_NAMES[cfg.stopSignal]) return SIGNAL_NAMES[cfg.stopSignal];
    return 'TERM';
  }

  /**
   * CRI StopContainer: sends the stop signal (config stop_signal, default SIGTERM), waits up to
   * `timeoutSec` seconds, then SIGKILL and waits for the exit. Idempotent for stopped containers.
   * @throws CriError NOT_FOUND
   */
  async stopContainer(id: string, timeoutSec: number): Promise<void> {
    const c = this.container(id);
    const st = this.stateOf(c);
    if (st.state !== ContainerState.CONTAINER_RUNNING) {
      if (
        st.state === ContainerState.CONTAINER_CREATED &&
        !existsSync(join(this.containerDir(c.id), 'monitor.pid'))
      ) {
        // Never started: record it as exited so that it cannot start later.
        await writeFile(
          join(this.containerDir(c.id), 'exit.json'),
          JSON.stringify({
            exitCode: 0,
            finishedAt: now(),
            oomKilled: false,
            started: false,
            neverStarted: true,
            message: 'stopped before it was started',
          }),
        ).catch(() => undefined);
      }
      return;
    }
    if (!c.stopRequested) {
      c.stopRequested = true;
      await this.saveContainer(c).catch(() => undefined);
    }
    const oci = this.ociFor(c.runtime);
    if (timeoutSec > 0) {
      await oci.kill(c.id, this.stopSignal(c));
      if (await this.waitExit(c.id, timeoutSec * 1000)) return;
    }
    await oci.kill(c.id, 'KILL');
    if (await this.waitExit(c.id, 10_000)) return;
    // Last resort: the container process by pid.
    if (st.started?.pid) {
      try {
        process.kill(st.started.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await this.waitExit(c.id, 5_000);
  }

  /**
   * CRI RemoveContainer: force-stops a running container, unmounts its root filesystem and
   * deletes its state (the log file stays: the kubelet owns it). Idempotent.
   */
  async removeContainer(id: string): Promise<void> {
    let c: ContainerRecord;
    try {
      c = this.container(id);
    } catch (e) {
      if (e instanceof CriError && e.code === grpcStatus.NOT_FOUND) return;
      throw e;
    }
    await this.stopContainer(c.id, 0);
    await this.locked(c.id, async () => {
      const dir = this.containerDir(c.id);
      // Give a just-exited monitor the moment it needs to delete the runtime state.
      for (let i = 0; i < 100 && alive(this.monitorPid(c.id)); i++) await sleep(20);
      await this.ociFor(c.runtime).delete(c.id);
      const rootfs = join(dir, 'rootfs');
      await run('umount', [rootfs]);
      if ((await run('mountpoint', ['-q', rootfs])).code === 0) await run('umount', ['-l', rootfs]);
      await removeCgroup(c.cgroupsPath);
      await rm(dir, { recursive: true, force: true });
      await rm(this.attachSocket(c.id), { force: true });
      // The directories go with their last socket.
      await rmdir(dirname(this.attachSocket(c.id)))
        .then(() => rmdir(ATTACH_SOCKET_DIR))
        .catch(() => undefined);
      this.containers.delete(c.id);
    });
  }

  /** The uid/gid/groups the container process runs as (from its OCI config), for ContainerStatus.user. */
  private containerUser(id: string): ContainerStatus['user'] {
    try {
      const spec = JSON.parse(readFileSync(join(this.containerDir(id), 'config.json'), 'utf8')) as {
        process: { user: { uid: number; gid: number; additionalGids?: number[] } };
      };
      const u = spec.process.user;
      return {
        linux: {
          uid: BigInt(u.uid),
          gid: BigInt(u.gid),
          supplementalGroups: (u.additionalGids ?? []).map(BigInt),
        },
      };
    } catch {
      return undefined;
    }
  }

  private toContainer(c: ContainerRecord): Container {
    const cfg = ContainerConfig.fromJSON(c.config);
    return {
      id: c.id,
      podSandboxId: c.sandboxId,
      metadata: cfg.metadata,
      image: {
        image: c.image,
        annotations: {},
        userSpecifiedImage: cfg.image?.userSpecifiedImage ?? '',
        runtimeHandler: '',
        imageRef: c.imageId,
      },
      imageRef: c.imageRef,
      state: this.stateOf(c).state,
      createdAt: big(c.createdAt),
      labels: cfg.labels,
      annotations: cfg.annotations,
      imageId: c.imageId,
    };
  }

  /** CRI ListContainers with id (prefix), state, sandbox id and label filters. */
  listContainers(filter?: ContainerFilter): Container[] {
    return [...this.containers.values()]
      .filter((c) => !filter?.id || c.id.startsWith(filter.id))
      .filter((c) => !filter?.podSandboxId || c.sandboxId.startsWith(filter.podSandboxId))
      .map((c) => this.toContainer(c))
      .filter((c) => !filter?.state || c.state === filter.state.state)
      .filter((c) => matchLabels(c.labels, filter?.labelSelector))
      .sort((a, b) => Number(a.createdAt - b.createdAt));
  }

  /**
   * CRI ContainerStatus. Reasons as the kubelet expects them: `Completed` (exit 0), `Error`
   * (non-zero), `OOMKilled` (the container's memory cgroup recorded an OOM kill; exit code 137),
   * `StartError` (the OCI runtime could not start it; exit code 128, message = its error).
   * Times in ns since the epoch; 0 when not reached.
   * @throws CriError NOT_FOUND
   */
  containerStatus(id: string, verbose = false): { status: ContainerStatus; info: Record<string, string> } {
    const c = this.container(id);
    const cfg = ContainerConfig.fromJSON(c.config);
    const st = this.stateOf(c);
    let reason = '';
    let message = '';
    let exitCode = 0;
    if (st.exit) {
      exitCode = st.exit.exitCode;
      message = st.exit.message ?? '';
      if (st.exit.neverStarted) reason = '';
      else if (!st.exit.started) reason = 'StartError';
      else if (st.exit.oomKilled) reason = 'OOMKilled';
      else if (exitCode === 0) reason = 'Completed';
      else reason = 'Error';
      if (st.exit.message && st.exit.started && st.exit.exitCode === 255) reason = 'Unknown';
    }
    const info: Record<string, string> = {};
    if (verbose) {
      info.info = JSON.stringify({
        sandboxID: c.sandboxId,
        pid: st.started?.pid ?? 0,
        monitorPid: this.monitorPid(c.id) ?? 0,
        runtimeType: c.runtime,
        cgroupsPath: c.cgroupsPath,
        bundle: this.containerDir(c.id),
        logPath: c.logPath,
      });
    }
    return {
      status: {
        id: c.id,
        metadata: cfg.metadata,
        state: st.state,
        createdAt: big(c.createdAt),
        startedAt: big(st.started?.startedAt),
        finishedAt: big(st.exit?.finishedAt || (st.exit ? now() : 0)),
        exitCode,
        image: {
          image: c.image,
          annotations: {},
          userSpecifiedImage: cfg.image?.userSpecifiedImage ?? '',
          runtimeHandler: '',
          imageRef: c.imageId,
        },
        imageRef: c.imageRef,
        reason,
        message,
        labels: cfg.labels,
        annotations: cfg.annotations,
        mounts: cfg.mounts,
        logPath: c.logPath,
        resources: { linux: cfg.linux?.resources, windows: undefined },
        imageId: c.imageId,
        user: this.containerUser(c.id),
        stopSignal: cfg.stopSignal,
      },
      info,
    };
  }

  /**
   * CRI UpdateContainerResources: applies cpu/memory settings to the running container's cgroup
   * (`<oci runtime> update --resources`) and records them in its status.
   * @throws CriError NOT_FOUND, FAILED_PRECONDITION when not running, UNKNOWN with the OCI error.
   */
  async updateContainerResources(id: string, resources: LinuxContainerResources | undefined): Promise<void> {
    const c = this.container(id);
    if (!resources) return;
    await this.locked(c.id, async () => {
      const st = this.stateOf(c);
      if (st.state === ContainerState.CONTAINER_RUNNING) {
        const r = ociResources(resources);
        const file = join(this.containerDir(c.id), 'update.json');
        await writeFile(file, JSON.stringify({ memory: r.memory, cpu: r.cpu }));
        try {
          await this.ociFor(c.runtime).update(c.id, file);
        } catch (e) {
          throw new CriError(grpcStatus.UNKNOWN, `UpdateContainerResources ${c.id}: ${(e as Error).message}`);
        }
      } else if (st.state !== ContainerState.CONTAINER_CREATED) {
        throw precondition(`UpdateContainerResources: container ${c.id} is not running`);
      }
      const cfg = ContainerConfig.fromJSON(c.config);
      cfg.linux = { ...(cfg.linux ?? { securityContext: undefined }), resources };
      c.config = ContainerConfig.toJSON(cfg);
      if (st.state === ContainerState.CONTAINER_CREATED) {
        const specFile = join(this.containerDir(c.id), 'config.json');
        const spec = JSON.parse(await readFile(specFile, 'utf8'));
        spec.linux.resources = { ...ociResources(resources), devices: spec.linux.resources.devices };
        await writeFile(specFile, JSON.stringify(spec, null, 1));
      }
      await this.saveContainer(c);
    });
  }

  /**
   * CRI ReopenContainerLog: asks the container's monitor (SIGUSR1) to reopen the log path, after
   * the kubelet rotated the file away; resolves once the new file exists.
   * @throws CriError NOT_FOUND, FAILED_PRECONDITION when not running.
   */
  async reopenContainerLog(id: string): Promise<void> {
    const c = this.container(id);
    if (this.stateOf(c).state !== ContainerState.CONTAINER_RUNNING) {
      throw precondition(`ReopenContainerLog: container ${c.id} is not running`);
    }
    const pid = this.monitorPid(c.id);
    if (!pid || !alive(pid)) throw precondition(`ReopenContainerLog: container ${c.id} has no monitor`);
    process.kill(pid, 'SIGUSR1');
    for (let i = 0; i < 100 && c.logPath && !existsSync(c.logPath); i++) await sleep(10);
  }

  /**
   * CRI ExecSync: runs `cmd` in the running container (`<oci runtime> exec`) and returns its
   * output and exit code. `timeoutSec` 0 means no limit.
   * @throws CriError NOT_FOUND, FAILED_PRECONDITION (not running), INVALID_ARGUMENT (empty cmd),
   *   DEADLINE_EXCEEDED when the timeout passes (the exec'd process is killed).
   */
  async execSync(
    id: string,
    cmd: string[],
    timeoutSec = 0,
  ): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
    const c = this.container(id);
    if (!cmd.length) throw invalid('ExecSync: cmd is empty');
    if (this.stateOf(c).state !== ContainerState.CONTAINER_RUNNING) {
      throw precondition(`ExecSync: container ${c.id} is not running`);
    }
    const oci = this.ociFor(c.runtime);
    const r = await run(oci.bin, oci.execArgs(c.id, cmd), {
      timeoutMs: timeoutSec > 0 ? timeoutSec * 1000 : undefined,
    });
    if (r.timedOut)
      throw new CriError(grpcStatus.DEADLINE_EXCEEDED, `ExecSync: command timed out after ${timeoutSec}s`);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code ?? 128 + 9 };
  }

  /** Argument vector (binary first) that execs `cmd` in a running container; used by the streaming server. */
  execCommand(id: string, cmd: string[], tty: boolean): string[] {
    const c = this.container(id);
    if (this.stateOf(c).state !== ContainerState.CONTAINER_RUNNING)
      throw precondition(`container ${c.id} is not running`);
    const oci = this.ociFor(c.runtime);
    return [oci.bin, ...oci.execArgs(c.id, cmd, { tty })];
  }

  /**
   * Verifies a container exists and is running; returns its log path (Attach reads output from
   * it) and, for containers created with `stdin`, the monitor's socket that feeds the stdin.
   */
  attachTarget(id: string): { id: string; logPath: string; stdinSocket?: string; tty: boolean } {
    const c = this.container(id);
    if (this.stateOf(c).state !== ContainerState.CONTAINER_RUNNING)
      throw precondition(`container ${c.id} is not running`);
    const cfg = ContainerConfig.fromJSON(c.config);
    const sock = this.attachSocket(c.id);
    return {
      id: c.id,
      logPath: c.logPath,
      stdinSocket: cfg.stdin && existsSync(sock) ? sock : undefined,
      tty: cfg.tty,
    };
  }

  /**
   * The network namespace file port-forwarding connects in (undefined for host-network pods).
   * @throws CriError NOT_FOUND, FAILED_PRECONDITION when the sandbox is not ready.
   */
  portForwardTarget(sandboxId: string): string | undefined {
    const sb = this.sandbox(sandboxId);
    if (sb.state !== 'ready') throw precondition(`pod sandbox ${sb.id} is not ready`);
    return sb.netns;
  }

  /** Whether the container is still running (streaming attach stops when it exits). */
  isRunning(id: string): boolean {
    const c = this.containers.get(id);
    return !!c && this.stateOf(c).state === ContainerState.CONTAINER_RUNNING;
  }

  // ---------------------------------------------------------------- stats

  private async writableLayerBytes(id: string): Promise<{ bytes: number; inodes: number }> {
    const upper = join(this.containerDir(id), 'upper');
    const b = await run('du', ['-s', '-B1', upper]);
    const i = await run('du', ['-s', '--inodes', upper]);
    return { bytes: parseInt(b.stdout.toString(), 10) || 0, inodes: parseInt(i.stdout.toString(), 10) || 0 };
  }

  /**
   * CRI ContainerStats: cgroup CPU (cumulative ns) and memory (working set, usage, RSS, faults)
   * and the writable layer's size. @throws CriError NOT_FOUND
   */
  async containerStats(id: string): Promise<ContainerStats> {
    const c = this.container(id);
    const cfg = ContainerConfig.fromJSON(c.config);
    const u = readUsage(c.cgroupsPath);
    const t = big(now());
    const w = await this.writableLayerBytes(c.id);
    const v = u64;
    return {
      attributes: { id: c.id, metadata: cfg.metadata, labels: cfg.labels, annotations: cfg.annotations },
      cpu: { timestamp: t, usageCoreNanoSeconds: v(u.cpuUsageNs), usageNanoCores: undefined, psi: undefined },
      memory: {
        timestamp: t,
        workingSetBytes: v(u.workingSetBytes),
        availableBytes:
          u.memoryLimitBytes !== undefined && u.workingSetBytes !== undefined
            ? v(Math.max(0, u.memoryLimitBytes - u.workingSetBytes))
            : undefined,
        usageBytes: v(u.memoryUsageBytes),
        rssBytes: v(u.rssBytes),
        pageFaults: v(u.pageFaults),
        majorPageFaults: v(u.majorPageFaults),
        psi: undefined,
      },
      writableLayer: {
        timestamp: t,
        fsId: { mountpoint: join(this.containerDir(c.id), 'upper') },
        usedBytes: v(w.bytes),
        inodesUsed: v(w.inodes),
      },
      swap: undefined,
      io: undefined,
    };
  }

  /** CRI ListContainerStats (running containers only, as containerd does) with id/sandbox/label filters. */
  async listContainerStats(filter?: {
    id: string;
    podSandboxId: string;
    labelSelector: Record<string, string>;
  }): Promise<ContainerStats[]> {
    const out: ContainerStats[] = [];
    for (const c of this.listContainers({
      id: filter?.id ?? '',
      podSandboxId: filter?.podSandboxId ?? '',
      labelSelector: filter?.labelSelector ?? {},
      state: { state: ContainerState.CONTAINER_RUNNING },
    })) {
      out.push(await this.containerStats(c.id));
    }
    return out;
  }

  /**
   * CRI PodSandboxStats: the pod cgroup's CPU/memory, process count, interface counters inside the
   * network namespace (default interface eth0), and per-container stats.
   * @throws CriError NOT_FOUND
   */
  async podSandboxStats(id: string): Promise<PodSandboxStats> {
    const sb = this.sandbox(id);
    const config = PodSandboxConfig.fromJSON(sb.config);
    const u = readUsage(sb.cgroupParent);
    const t = big(now());
    const v = u64;
    const ifs = sb.netns && sb.state === 'ready' ? await netDev(sb.netns) : [];
    const toIf = (i: (typeof ifs)[number]) => ({
      name: i.name,
      rxBytes: v(i.rxBytes),
      rxErrors: v(i.rxErrors),
      txBytes: v(i.txBytes),
      txErrors: v(i.txErrors),
    });
    const eth0 = ifs.find((i) => i.name === 'eth0');
    return {
      attributes: {
        id: sb.id,
        metadata: config.metadata,
        labels: config.labels,
        annotations: config.annotations,
      },
      linux: {
        cpu: {
          timestamp: t,
          usageCoreNanoSeconds: v(u.cpuUsageNs),
          usageNanoCores: undefined,
          psi: undefined,
        },
        memory: {
          timestamp: t,
          workingSetBytes: v(u.workingSetBytes),
          availableBytes: undefined,
          usageBytes: v(u.memoryUsageBytes),
          rssBytes: v(u.rssBytes),
          pageFaults: v(u.pageFaults),
          majorPageFaults: v(u.majorPageFaults),
          psi: undefined,
        },
        network: {
          timestamp: t,
          defaultInterface: eth0 ? toIf(eth0) : undefined,
          interfaces: ifs.filter((i) => i.name !== 'lo').map(toIf),
        },
        process: { timestamp: t, processCount: v(u.pids) },
        containers: await this.listContainerStats({ id: '', podSandboxId: sb.id, labelSelector: {} }),
        io: undefined,
      },
      windows: undefined,
    };
  }

  // ---------------------------------------------------------------- images

  /** Layer digests used by existing containers (kept when their image is removed). */
  layersInUse(): Set<string> {
    return new Set([...this.containers.values()].flatMap((c) => c.layers));
  }

  /** Resolves an image for CRI ImageStatus/ListImages filters. */
  resolveImage(ref: string): Promise<StoredImage | undefined> {
    return this.images.resolve(ref);
  }
}
