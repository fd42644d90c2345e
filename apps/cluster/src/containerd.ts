/**
 * `keelson up --runtime containerd`: each node runs its own containerd 1.6 (Debian `containerd`,
 * CRI plugin) instead of keelson-cri. Everything of one node's containerd lives under
 * `<data-dir>/nodes/<node>/containerd/`: the generated config.toml, root, state, the gRPC socket
 * and the CNI config dir (the kubelet writes its bridge conflist there over the node's bridge
 * and pod CIDR; containerd runs the CNI plugins from /usr/lib/cni and reports the pod IP, so the
 * kubelet skips its own CNI step). There is no registry: a pause-equivalent image (busybox
 * running `sleep`) and the cluster's local images are imported with
 * `ctr -n k8s.io --address SOCK images import`. containerd runs in the node's network
 * namespace (the node agent process, or `nsenter --net=` in `--split`), supervised with backoff.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { stringify as stringifyToml } from 'smol-toml';
import { buildBusyboxImage } from '@keelson/cri-runtime';
import { GrpcCriRuntime } from '@keelson/kubelet';
import { Component } from './component';

/** The container runtime of every node (`keelson up --runtime`). */
export type NodeRuntime = 'keelson' | 'containerd';

/** The sandbox (pause) image containerd is configured with; built locally from busybox. */
export const PAUSE_IMAGE = 'docker.io/keelson/pause:1';

/** The files of one node's containerd. */
export interface ContainerdLayout {
  /** `<node dir>/containerd` */
  dir: string;
  config: string;
  /** The CRI / containerd gRPC unix socket. */
  socket: string;
  root: string;
  state: string;
  /** CNI configuration dir containerd reads (the kubelet writes its conflist here). */
  cniConfDir: string;
}

/** The layout under a node's directory. */
export function containerdLayout(nodeDir: string): ContainerdLayout {
  const dir = join(nodeDir, 'containerd');
  return {
    dir,
    config: join(dir, 'config.toml'),
    socket: join(dir, 'containerd.sock'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    cniConfDir: join(dir, 'net.d'),
  };
}

/**
 * containerd's config.toml (version 2) for one node: its own root, state, gRPC/ttrpc sockets and
 * opt dir; no debug or metrics listener; the CRI plugin with the local pause image, CNI from
 * /usr/lib/cni and the node's conf dir, the overlayfs snapshotter and runc v2 shims (binary
 * `crun` when asked). Source: containerd 1.6 docs/cri/config.md.
 */
export function containerdConfig(
  l: ContainerdLayout,
  opts: { ociRuntime?: 'auto' | 'crun' | 'runc'; sandboxImage?: string } = {},
): string {
  const runc: Record<string, unknown> = { runtime_type: 'io.containerd.runc.v2' };
  if (opts.ociRuntime === 'crun') runc.options = { BinaryName: 'crun' };
  return stringifyToml({
    version: 2,
    root: l.root,
    state: l.state,
    disabled_plugins: [
      'io.containerd.snapshotter.v1.btrfs',
      'io.containerd.snapshotter.v1.zfs',
      'io.containerd.snapshotter.v1.aufs',
      'io.containerd.snapshotter.v1.devmapper',
    ],
    grpc: { address: l.socket },
    ttrpc: { address: `${l.socket}.ttrpc` },
    debug: { address: '' },
    metrics: { address: '' },
    plugins: {
      'io.containerd.internal.v1.opt': { path: join(l.dir, 'opt') },
      'io.containerd.grpc.v1.cri': {
        sandbox_image: opts.sandboxImage ?? PAUSE_IMAGE,
        disable_apparmor: true,
        restrict_oom_score_adj: true,
        stream_server_address: '127.0.0.1',
        stream_server_port: '0',
        cni: { bin_dir: '/usr/lib/cni', conf_dir: l.cniConfDir },
        containerd: { snapshotter: 'overlayfs', default_runtime_name: 'runc', runtimes: { runc } },
      },
    },
  });
}

/** Where `keelson up` builds the pause image of a cluster (outside `images/`, which every runtime imports). */
export const pauseImageDir = (dataDir: string): string => join(dataDir, 'pause-image');

/** Builds the pause-equivalent image (busybox, Cmd `sleep 2147483647`) as an OCI layout in `dir` unless present. */
export async function ensurePauseImage(dir: string): Promise<void> {
  if (existsSync(join(dir, 'index.json'))) return;
  await buildBusyboxImage(dir, { ref: PAUSE_IMAGE, cmd: ['sleep', '2147483647'] });
}

/** The image name an OCI layout records (`io.containerd.image.name`, else `org.opencontainers.image.ref.name`). */
export function layoutImageName(layoutDir: string): string | undefined {
  return layoutImage(layoutDir)?.name;
}

/** Name and manifest (or index) digest of an OCI layout's first image. */
function layoutImage(layoutDir: string): { name?: string; digest?: string } | undefined {
  try {
    const index = JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8'));
    const m = index.manifests?.[0] ?? {};
    const a = m.annotations ?? {};
    return {
      name: a['io.containerd.image.name'] ?? a['org.opencontainers.image.ref.name'],
      digest: m.digest,
    };
  } catch {
    return undefined;
  }
}

const ctr = (socket: string, args: string[]) =>
  spawnSync('ctr', ['--address', socket, '-n', 'k8s.io', ...args], { encoding: 'utf8', timeout: 300_000 });

/**
 * Imports OCI images (layout directories or archives) into a containerd's k8s.io namespace,
 * skipping layouts whose image it already has under the same name and digest: a layout is
 * tarred to a temp file, then loaded with `ctr images import`.
 * @returns the names (or paths) imported
 * @throws Error with ctr's message when an import fails
 */
export function importIntoContainerd(socket: string, images: string[]): string[] {
  // `ctr images ls`: REF TYPE DIGEST SIZE PLATFORMS LABELS, one image a line after the header.
  const have = new Map(
    (ctr(socket, ['images', 'ls']).stdout ?? '')
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/))
      .map(([ref, , digest]) => [ref, digest] as const),
  );
  const imported: string[] = [];
  for (const path of images) {
    const isLayout = statSync(path).isDirectory();
    const { name, digest } = (isLayout && layoutImage(path)) || {};
    if (name && digest && have.get(name) === digest) continue;
    const tar = isLayout ? join(tmpdir(), `keelson-ctd-import-${process.pid}-${Date.now()}.tar`) : path;
    try {
      if (isLayout) {
        const t = spawnSync('tar', ['-cf', tar, '-C', path, '.'], { encoding: 'utf8' });
        if (t.status !== 0) throw new Error(`tar ${path}: ${t.stderr}`);
      }
      const r = ctr(socket, ['images', 'import', tar]);
      if (r.status !== 0) throw new Error(`ctr images import ${path}: ${(r.stderr ?? '').trim()}`);
      imported.push(name ?? path);
    } finally {
      if (isLayout) rmSync(tar, { force: true });
    }
  }
  return imported;
}

/**
 * Ends (SIGKILL) a containerd still running with this node's config, e.g. left by a node agent
 * that was killed (`keelson node stop`, a crash): found by `--config <its config.toml>` in
 * its command line. Its shims keep running, and the next containerd reconnects to them.
 */
export async function killStaleContainerd(layout: ContainerdLayout): Promise<void> {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('--config');
      if (/(^|\/)containerd$/.test(argv[0] ?? '') && i >= 0 && argv[i + 1] === layout.config)
        pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** Proxy containerd is given for registry requests: loopback port 9 (discard), closed, so pulls fail fast. */
export const NO_REGISTRY_PROXY = 'http://127.0.0.1:9';

/** A running, supervised containerd of one node. */
export interface RunningContainerd {
  layout: ContainerdLayout;
  /** `unix://<socket>` for the kubelet. */
  endpoint: string;
  /**
   * Stops containerd. With `removePods` (the node is torn down) first stops and removes every pod
   * sandbox through CRI, then ends this containerd's leftover shims and pod processes and unmounts
   * what remains under its directory.
   */
  stop(removePods: boolean): Promise<void>;
}

/** Options of {@link startContainerd}. */
export interface ContainerdOptions {
  /** Component name for logs, e.g. `containerd-node1`. */
  name: string;
  nodeDir: string;
  /** Cgroup the kubelet places pods under (for the leftover-process sweep), e.g. `/keelson-abc/node1`. */
  cgroupRoot: string;
  /** Local OCI layouts to import (busybox, node, the pause image, users' images). */
  images: string[];
  ociRuntime?: 'auto' | 'crun' | 'runc';
  /** argv prefix, e.g. `nsenter --net=/var/run/netns/X --` (split layout). */
  prefix?: string[];
  logFile: string;
  log: Logger;
}

/**
 * Writes the node's config.toml, starts containerd supervised (restarts with backoff), waits
 * until it answers, and imports the images.
 * @throws Error when containerd does not answer within 60 s or an image import fails
 */
export async function startContainerd(opts: ContainerdOptions): Promise<RunningContainerd> {
  const layout = containerdLayout(opts.nodeDir);
  await killStaleContainerd(layout);
  mkdirSync(layout.cniConfDir, { recursive: true });
  writeFileSync(layout.config, containerdConfig(layout, { ociRuntime: opts.ociRuntime }));
  const comp = new Component(
    opts.name,
    // No registry: image pulls go to a closed loopback proxy and fail at once, so containerd
    // never resolves or contacts a registry outside the machine.
    [
      ...(opts.prefix ?? []),
      'env',
      `HTTPS_PROXY=${NO_REGISTRY_PROXY}`,
      `HTTP_PROXY=${NO_REGISTRY_PROXY}`,
      'NO_PROXY=',
      'containerd',
      '--config',
      layout.config,
    ],
    opts.logFile,
    opts.log,
  );
  comp.start();
  const deadline = Date.now() + 60_000;
  while (ctr(layout.socket, ['version']).status !== 0) {
    if (Date.now() > deadline) {
      await comp.stop(10_000);
      throw new Error(`containerd of ${opts.name} did not answer on ${layout.socket}; see ${opts.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const imported = importIntoContainerd(layout.socket, opts.images);
  opts.log.info({ component: opts.name, imported }, 'containerd up');
  return {
    layout,
    endpoint: `unix://${layout.socket}`,
    async stop(removePods: boolean) {
      if (removePods) await removeAllSandboxes(`unix://${layout.socket}`, opts.log);
      await comp.stop(30_000);
      if (removePods) sweepContainerd(layout, opts.cgroupRoot);
    },
  };
}

/** StopPodSandbox + RemovePodSandbox for every sandbox containerd knows (those the kubelet left). */
export async function removeAllSandboxes(endpoint: string, log: Logger): Promise<void> {
  const cri = new GrpcCriRuntime(endpoint, 60_000);
  try {
    for (const sb of await cri.listPodSandbox()) {
      await cri
        .stopPodSandbox(sb.id)
        .catch((e) => log.warn({ sandbox: sb.id, err: String(e) }, 'stop sandbox'));
      await cri
        .removePodSandbox(sb.id)
        .catch((e) => log.warn({ sandbox: sb.id, err: String(e) }, 'remove sandbox'));
    }
  } catch (err) {
    log.warn({ err: String(err) }, 'listing sandboxes failed');
  } finally {
    cri.close();
  }
}

/**
 * What a stopped containerd may leave: its shims (found by `-address <socket>` in their
 * command line), processes in the node's pod cgroup, and mounts under its directory.
 */
export function sweepContainerd(layout: ContainerdLayout, cgroupRoot: string): void {
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('-address');
      if (/containerd-shim/.test(argv[0] ?? '') && i >= 0 && argv[i + 1] === layout.socket)
        kill(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  const procsUnder = (dir: string): number[] => {
    if (!existsSync(dir)) return [];
    const out: number[] = [];
    try {
      out.push(...readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
      for (const e of readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory()) out.push(...procsUnder(join(dir, e.name)));
    } catch {
      /* removed meanwhile */
    }
    return out;
  };
  for (const base of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory', '/sys/fs/cgroup'])
    for (const pid of procsUnder(join(base, cgroupRoot))) kill(pid);
  let mounts: string[] = [];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
      .filter((m): m is string => !!m && (m === layout.dir || m.startsWith(`${layout.dir}/`)));
  } catch {
    /* no /proc */
  }
  for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
}
