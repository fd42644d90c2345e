import type { ContainerConfig, LinuxContainerResources, Mount as CriMount } from '../cri-api';
import { MountPropagation, NamespaceMode } from '../cri-api';
import type { ImageConfig } from '../images/oci-types';
import { invalid } from '../errors';

/** The subset of the OCI runtime-spec (config.json, runtime-spec v1.0.2) this runtime writes. */
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[]; ambient: string[] };
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: Array<{ destination: string; type: string; source: string; options?: string[] }>;
  linux: {
    namespaces: Array<{ type: string; path?: string }>;
    cgroupsPath: string;
    resources: OciResources;
    maskedPaths: string[];
    readonlyPaths: string[];
    sysctl?: Record<string, string>;
    rootfsPropagation?: string;
  };
  annotations?: Record<string, string>;
}

/** OCI `linux.resources` (runtime-spec config-linux.md), the parts mapped from CRI. */
export interface OciResources {
  devices: Array<{ allow: boolean; type?: string; major?: number; minor?: number; access: string }>;
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
}

/** The namespaces and files a pod sandbox gives its containers. */
export interface SandboxContext {
  /** Bind-mounted network namespace file; undefined for host-network pods. */
  netnsPath?: string;
  /** Bind-mounted IPC namespace file; undefined for host-IPC pods. */
  ipcPath?: string;
  /** Bind-mounted UTS namespace file; undefined for host-network pods (they share the host's). */
  utsPath?: string;
  /** Host PID namespace for the pod (NamespaceMode.NODE). */
  hostPid: boolean;
  /** Pod-wide PID namespace file, joined by containers whose pid mode is POD (shareProcessNamespace). */
  pidPath?: string;
  /** resolv.conf written from the sandbox DNSConfig, mounted at /etc/resolv.conf unless the container mounts one. */
  resolvConf?: string;
  /** File holding the pod hostname, mounted at /etc/hostname unless the container mounts one. */
  hostnameFile?: string;
}

/** Capabilities Docker and containerd grant by default (containerd `oci.defaultUnixCaps`). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const ALL_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
];

const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Default mounts every container gets (the runc/containerd defaults). */
function defaultMounts(ro: boolean) {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', ro ? 'ro' : 'ro'],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ];
}

/**
 * The process arguments Kubernetes runs (Pod spec "command and args" rules): with no command,
 * the image Entrypoint followed by the container args (or, without args, the image Cmd); with a
 * command, command + args.
 * @throws CriError INVALID_ARGUMENT when the result is empty.
 */
export function processArgs(config: Pick<ContainerConfig, 'command' | 'args'>, image: ImageConfig): string[] {
  const ic = image.config ?? {};
  let argv: string[];
  if (config.command.length > 0) argv = [...config.command, ...config.args];
  else argv = [...(ic.Entrypoint ?? []), ...(config.args.length > 0 ? config.args : (ic.Cmd ?? []))];
  if (argv.length === 0)
    throw invalid('container has no command: neither the config nor the image names one');
  return argv;
}

/** Image env overridden by container envs (same variable name: the container wins). */
export function mergeEnv(
  imageEnv: string[],
  envs: Array<{ key: string; value: string | Uint8Array }>,
): string[] {
  const out = new Map<string, string>();
  for (const e of imageEnv) {
    const i = e.indexOf('=');
    out.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
  }
  for (const e of envs)
    out.set(e.key, typeof e.value === 'string' ? e.value : Buffer.from(e.value).toString('utf8'));
  if (!out.has('PATH')) out.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  return [...out].map(([k, v]) => `${k}=${v}`);
}

/**
 * Resolves the user a container runs as: CRI run_as_user/run_as_group first, else the image
 * `User` (`uid`, `uid:gid`, or a name looked up in the rootfs /etc/passwd via `lookup`).
 * @throws CriError INVALID_ARGUMENT for an unknown user name.
 */
export function resolveUser(
  config: ContainerConfig,
  image: ImageConfig,
  lookup: (name: string) => { uid: number; gid: number } | undefined,
): { uid: number; gid: number; additionalGids?: number[] } {
  const sc = config.linux?.securityContext;
  let uid = 0;
  let gid = 0;
  const imageUser = image.config?.User ?? '';
  if (sc?.runAsUser) {
    uid = Number(sc.runAsUser.value);
  } else if (sc?.runAsUsername || imageUser) {
    const [u, g] = (sc?.runAsUsername || imageUser).split(':');
    if (/^\d+$/.test(u)) uid = Number(u);
    else {
      const hit = lookup(u);
      if (!hit) throw invalid(`user "${u}" not found in the image's /etc/passwd`);
      uid = hit.uid;
      gid = hit.gid;
    }
    if (g !== undefined && /^\d+$/.test(g)) gid = Number(g);
  }
  if (sc?.runAsGroup) gid = Number(sc.runAsGroup.value);
  const additionalGids = sc?.supplementalGroups?.length ? sc.supplementalGroups.map(Number) : undefined;
  return { uid, gid, additionalGids };
}

/**
 * Maps CRI LinuxContainerResources to OCI linux.resources: cpu shares/quota/period (µs),
 * cpuset, memory limit (bytes). Zero means "unset" in CRI and is left out.
 */
export function ociResources(r: LinuxContainerResources | undefined): OciResources {
  const out: OciResources = {
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rwm' },
    ],
  };
  if (!r) return out;
  if (r.memoryLimitInBytes > 0n) out.memory = { limit: Number(r.memoryLimitInBytes) };
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.cpuShares > 0n) cpu.shares = Number(r.cpuShares);
  if (r.cpuQuota > 0n) cpu.quota = Number(r.cpuQuota);
  if (r.cpuPeriod > 0n) cpu.period = Number(r.cpuPeriod);
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;
  return out;
}

function propagationOption(p: MountPropagation): string {
  if (p === MountPropagation.PROPAGATION_BIDIRECTIONAL) return 'rshared';
  if (p === MountPropagation.PROPAGATION_HOST_TO_CONTAINER) return 'rslave';
  return 'rprivate';
}

/** Input of {@link buildSpec}. */
export interface SpecInput {
  config: ContainerConfig;
  image: ImageConfig;
  /** The mounted overlay root filesystem. */
  rootfs: string;
  sandbox: SandboxContext;
  /** cgroup path relative to each hierarchy root, e.g. `/kubepods/pod<uid>/<container id>`. */
  cgroupsPath: string;
  lookupUser: (name: string) => { uid: number; gid: number } | undefined;
  /** Extra annotations (e.g. CRI sandbox id) recorded in config.json. */
  annotations?: Record<string, string>;
  /**
   * Lowest oom_score_adj the runtime may set (its own, like containerd's restrict_oom_score_adj):
   * lowering below the parent's needs CAP_SYS_RESOURCE, which this machine refuses even to root.
   */
  minOomScoreAdj?: number;
}

/**
 * Builds the OCI config.json for a CRI container: namespaces (joins the sandbox's network, IPC
 * and UTS namespace files, and its PID namespace when shared; otherwise own mount and PID
 * namespaces), cgroup path and resources, CRI mounts
 * as bind mounts (in the order given; later ones win on the same path), default mounts,
 * capabilities (containerd's defaults, adjusted by add/drop, all when privileged).
 * `tty` sets `process.terminal` (the monitor then gives the OCI runtime a pseudo-terminal).
 * @throws CriError INVALID_ARGUMENT for an empty command or unknown user.
 */
export function buildSpec(input: SpecInput): OciSpec {
  const { config, image, sandbox } = input;
  const sc = config.linux?.securityContext;
  const privileged = sc?.privileged ?? false;
  let caps = privileged ? [...ALL_CAPABILITIES] : [...DEFAULT_CAPABILITIES];
  const norm = (c: string) =>
    c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`;
  const add = (sc?.capabilities?.addCapabilities ?? []).map(norm);
  const drop = (sc?.capabilities?.dropCapabilities ?? []).map(norm);
  if (add.includes('CAP_ALL')) caps = [...ALL_CAPABILITIES];
  else caps.push(...add.filter((c) => !caps.includes(c)));
  if (drop.includes('CAP_ALL')) caps = add.filter((c) => c !== 'CAP_ALL');
  else caps = caps.filter((c) => !drop.includes(c));
  const ambient = (sc?.capabilities?.addAmbientCapabilities ?? []).map(norm);

  const mounts: OciSpec['mounts'] = defaultMounts(false);
  const criMounts: CriMount[] = config.mounts ?? [];
  const mounted = new Set(criMounts.map((m) => m.containerPath));
  if (sandbox.resolvConf && !mounted.has('/etc/resolv.conf')) {
    mounts.push({
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: sandbox.resolvConf,
      options: ['rbind', 'rprivate', 'rw'],
    });
  }
  if (sandbox.hostnameFile && !mounted.has('/etc/hostname')) {
    mounts.push({
      destination: '/etc/hostname',
      type: 'bind',
      source: sandbox.hostnameFile,
      options: ['rbind', 'rprivate', 'rw'],
    });
  }
  for (const m of criMounts) {
    if (!m.containerPath.startsWith('/'))
      throw invalid(`mount container_path "${m.containerPath}" must be absolute`);
    if (!m.hostPath) throw invalid(`mount at "${m.containerPath}" has no host_path`);
    mounts.push({
      destination: m.containerPath,
      type: 'bind',
      source: m.hostPath,
      options: ['rbind', propagationOption(m.propagation), m.readonly ? 'ro' : 'rw'],
    });
  }

  const namespaces: OciSpec['linux']['namespaces'] = [{ type: 'mount' }];
  const nsOpts = sc?.namespaceOptions;
  if (nsOpts?.pid === NamespaceMode.POD && sandbox.pidPath)
    namespaces.push({ type: 'pid', path: sandbox.pidPath });
  else if (nsOpts?.pid !== NamespaceMode.NODE) namespaces.push({ type: 'pid' });
  if (sandbox.netnsPath) namespaces.push({ type: 'network', path: sandbox.netnsPath });
  if (sandbox.ipcPath) namespaces.push({ type: 'ipc', path: sandbox.ipcPath });
  if (sandbox.utsPath) namespaces.push({ type: 'uts', path: sandbox.utsPath });

  const resources = ociResources(config.linux?.resources);
  const requestedOom = Number(config.linux?.resources?.oomScoreAdj ?? 0);
  const oomScoreAdj = requestedOom ? Math.max(requestedOom, input.minOomScoreAdj ?? -1000) : 0;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: config.tty,
      user: resolveUser(config, image, input.lookupUser),
      args: processArgs(config, image),
      env: mergeEnv(image.config?.Env ?? [], config.envs ?? []),
      cwd: config.workingDir || image.config?.WorkingDir || '/',
      capabilities: {
        bounding: caps,
        effective: caps,
        permitted: caps,
        ambient: ambient.filter((c) => caps.includes(c)),
      },
      noNewPrivileges: sc?.noNewPrivs ?? false,
      ...(oomScoreAdj ? { oomScoreAdj } : {}),
    },
    root: { path: input.rootfs, readonly: sc?.readonlyRootfs ?? false },
    mounts,
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources: privileged ? { ...resources, devices: [{ allow: true, access: 'rwm' }] } : resources,
      maskedPaths: privileged ? [] : [...(sc?.maskedPaths?.length ? sc.maskedPaths : MASKED_PATHS)],
      readonlyPaths: privileged ? [] : [...(sc?.readonlyPaths?.length ? sc.readonlyPaths : READONLY_PATHS)],
    },
    annotations: input.annotations,
  };
}
