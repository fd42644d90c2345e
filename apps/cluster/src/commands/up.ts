/**
 * `keelson up`: checks the host, builds the local images, starts the supervisor in the
 * background and returns once every node is Ready and cluster DNS answers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { buildBusyboxImage, buildNodeImage } from '@keelson/cri-runtime';
import { ClusterPaths } from '../paths';
import { isAlive as alive, readState, writeState, type ClusterState, type NodeState } from '../state';
import { formatChecks, hostClusterBridges, runChecks } from '../doctor';
import { selfCommand } from '../self';
import { getJson, readyNodes, resolveA } from '../wait';
import { CliError } from '../errors';
import { HOST_BRIDGE_IP } from '../host';
import { componentEndpoints } from '../endpoints';
import { ensureTokens, type ClusterTokens } from '../tokens';

/** The `keelson node join` command line for another machine (as `kubeadm token create --print-join-command`). */
export function joinCommandLine(apiUrl: string, token: string): string {
  return `keelson node join --server ${apiUrl} --token ${token}`;
}
import { checkStoreReplicas, planStoreMembers } from '../store-members';
import { containerdLayout, ensurePauseImage, pauseImageDir } from '../containerd';

/** Flags of `keelson up`. */
export interface UpOptions {
  dataDir: string;
  nodes: number;
  ociRuntime: 'auto' | 'crun' | 'runc';
  proxyMode: 'nftables' | 'iptables';
  apiPort: number;
  grpcPort: number;
  timeoutSeconds: number;
  nodeMonitorGracePeriod?: string;
  /** Every component as its own process from its package's bin. */
  split?: boolean;
  defaultUnreachableTolerationSeconds?: number;
  defaultNotReadyTolerationSeconds?: number;
  /**
   * An IPv4 address of this host the apiserver listens on and advertises (kubeconfig, the
   * `kubernetes` Service, the join command) instead of the cluster bridge's, so other machines
   * can reach it.
   */
  advertiseAddress?: string;
  /** Container runtime of every node: keelson-cri (default) or a containerd per node. */
  runtime?: 'keelson' | 'containerd';
  /** Store members: 1 (the single store of the layout, default) or 3/5 Raft members, each its own process. */
  storeReplicas?: number;
}

export const CLUSTER_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/12';
export const DNS_SERVICE_IP = '10.96.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';

/** A short id derived from the data dir, stable across restarts (names of bridges and nft tables). */
export function clusterIdFor(dataDir: string): string {
  return createHash('sha256').update(dataDir).digest('hex').slice(0, 6);
}

/** Most nodes a local cluster gets (pod CIDRs 10.244.1-200.0/24, node addresses 10.250.0.11-210). */
export const MAX_NODES = 200;

/**
 * The node list for N nodes. One node runs in the host's network namespace, named after the
 * host, with pod CIDR 10.244.0.0/24 and its bridge gateway as node IP. Several nodes each get a
 * network namespace `kn-<id>-<i>` with address 10.250.0.<10+i> on the host bridge and pod CIDR
 * 10.244.<i>.0/24 (DESIGN.md, "Local multi-node on one machine").
 */
export function planNodes(id: string, count: number): NodeState[] {
  if (count < 1 || count > MAX_NODES) throw new CliError(`--nodes must be between 1 and ${MAX_NODES}`);
  if (count === 1) {
    const name =
      hostname()
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .replace(/^-+|-+$/g, '') || 'keelson-node';
    return [{ name, ip: '10.244.0.1', podCIDR: '10.244.0.0/24', bridge: `kb-${id}` }];
  }
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    return {
      name: `node${i}`,
      netns: `kn-${id}-${i}`,
      ip: `10.250.0.${10 + i}`,
      podCIDR: `10.244.${i}.0/24`,
      bridge: `kb-${id}`,
    };
  });
}

/** Where the control plane listens and DNS is published: the pod bridge gateway (one node) or the host bridge (several). */
export function controlPlaneAddresses(nodes: NodeState[]): { bindAddress: string; dnsAddress: string } {
  // The apiserver listens on an address of a bridge the cluster owns, so pods reach it through the
  // `kubernetes` Service as well as the host does (never on the host's outside interfaces).
  return nodes.length === 1 && !nodes[0].netns
    ? { bindAddress: nodes[0].ip, dnsAddress: nodes[0].ip }
    : { bindAddress: HOST_BRIDGE_IP, dnsAddress: HOST_BRIDGE_IP };
}

/** True when `ip` is an IPv4 address on one of this host's interfaces. */
export function isLocalIPv4(ip: string): boolean {
  return Object.values(networkInterfaces()).some((addrs) =>
    (addrs ?? []).some((a) => a.family === 'IPv4' && a.address === ip),
  );
}

/** Parses "10s", "2m", "500ms", or a bare number of seconds, into ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new CliError(`invalid duration "${text}": want e.g. 40s, 2m, 500ms`);
  const n = Number(m[1]);
  return Math.round(n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000));
}

/** Runs `keelson up`. @throws CliError with a one-line reason */
export async function up(opts: UpOptions): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const existing = readState(paths.state);
  if (existing && alive(existing.supervisorPid)) {
    console.log(
      `keelson is already running (pid ${existing.supervisorPid}).\nexport KUBECONFIG=${paths.kubeconfig}`,
    );
    return;
  }
  checkStoreReplicas(opts.storeReplicas ?? 1);
  if (opts.runtime === 'containerd') {
    const found = ['containerd', 'ctr', 'containerd-shim-runc-v2'].filter(
      (b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0,
    );
    if (found.length < 3)
      throw new CliError('--runtime containerd needs containerd (run: apt-get install -y containerd)');
  }
  const checks = runChecks();
  const missing = checks.filter((c) => c.required && !c.ok);
  if (missing.length) {
    console.error(formatChecks(checks));
    throw new CliError(
      `host is not ready: ${missing.map((c) => c.name).join(', ')} (run: ${missing.find((c) => c.fix)?.fix ?? 'keelson doctor'})`,
    );
  }
  // Another cluster's bridge on the addresses this one takes would capture its pod traffic.
  const clash = hostClusterBridges(clusterIdFor(paths.dataDir)).find((b) =>
    b.addresses.some((a) => a.startsWith('10.244.') || a.startsWith(`${HOST_BRIDGE_IP}/`)),
  );
  if (clash)
    throw new CliError(
      `bridge ${clash.name} (${clash.addresses.join(', ')}) of another keelson cluster is on this host and takes this cluster's addresses: take that cluster down (keelson down --data-dir <its dir>), or if it is gone, remove the bridge (run: ip link del ${clash.name})`,
    );
  const nodeMonitorGracePeriodMs = opts.nodeMonitorGracePeriod
    ? parseDuration(opts.nodeMonitorGracePeriod)
    : undefined;
  mkdirSync(paths.logs, { recursive: true });
  rmSync(join(paths.dataDir, 'stopping'), { force: true });
  const id = clusterIdFor(paths.dataDir);
  const nodes = planNodes(id, opts.nodes);
  if (opts.advertiseAddress !== undefined && !isLocalIPv4(opts.advertiseAddress))
    throw new CliError(`--advertise-address ${opts.advertiseAddress} is not an IPv4 address of this host`);
  const storeMembers = await planStoreMembers(paths, opts.storeReplicas ?? 1);

  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {percentage}% | {step}', hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const interactive = process.stdout.isTTY;
  const steps = [
    'building images',
    'starting control plane',
    'waiting for apiserver',
    'waiting for nodes',
    'waiting for DNS',
    'ready',
  ];
  let done = 0;
  const step = (i: number) => {
    done = i;
    if (interactive) bar.update(Math.round((i / (steps.length - 1)) * 100), { step: steps[i] });
    else console.log(`- ${steps[i]}`);
  };
  if (interactive) bar.start(100, 0, { step: steps[0] });
  let tokens: ClusterTokens | undefined;
  let apiUrl = '';
  try {
    step(0);
    if (!existsSync(join(paths.images, 'busybox', 'index.json')))
      await buildBusyboxImage(join(paths.images, 'busybox'));
    if (!existsSync(join(paths.images, 'node', 'index.json')))
      await buildNodeImage(join(paths.images, 'node'));
    if (opts.runtime === 'containerd') await ensurePauseImage(pauseImageDir(paths.dataDir));

    step(1);
    tokens = ensureTokens(paths.tokens);
    const addrs = controlPlaneAddresses(nodes);
    if (opts.advertiseAddress) addrs.bindAddress = opts.advertiseAddress;
    const state: ClusterState = {
      id,
      dataDir: paths.dataDir,
      apiserver: {
        url: `http://${addrs.bindAddress}:${opts.apiPort}`,
        grpcAddress: `${addrs.bindAddress}:${opts.grpcPort}`,
      },
      dnsAddress: addrs.dnsAddress,
      clusterCIDR: CLUSTER_CIDR,
      serviceCIDR: SERVICE_CIDR,
      proxyMode: opts.proxyMode,
      split: opts.split,
      nodes,
      ...(storeMembers ? { store: { members: storeMembers } } : {}),
      ...(opts.runtime === 'containerd' ? { runtime: 'containerd' as const } : {}),
      startedAt: new Date().toISOString(),
      endpoints: componentEndpoints(`http://${addrs.bindAddress}:${opts.apiPort}`, nodes, (n) =>
        opts.runtime === 'containerd' ? containerdLayout(paths.node(n)).socket : paths.criSocket(n),
      ),
    };
    writeState(paths.state, state);
    const out = openSync(paths.log('supervisor'), 'a');
    const args = [
      '_run',
      '--data-dir',
      paths.dataDir,
      '--api-port',
      String(opts.apiPort),
      '--grpc-port',
      String(opts.grpcPort),
      '--oci-runtime',
      opts.ociRuntime,
    ];
    if (nodeMonitorGracePeriodMs)
      args.push('--node-monitor-grace-period-ms', String(nodeMonitorGracePeriodMs));
    if (opts.defaultUnreachableTolerationSeconds !== undefined)
      args.push('--default-unreachable-toleration-seconds', String(opts.defaultUnreachableTolerationSeconds));
    if (opts.defaultNotReadyTolerationSeconds !== undefined)
      args.push('--default-not-ready-toleration-seconds', String(opts.defaultNotReadyTolerationSeconds));
    const [cmd, ...rest] = selfCommand(args);
    const child = spawn(cmd, rest, { detached: true, stdio: ['ignore', out, out] });
    child.unref();

    apiUrl = state.apiserver.url;
    const deadline = Date.now() + opts.timeoutSeconds * 1000;
    const until = async (what: string, cond: () => Promise<boolean>) => {
      while (!(await cond())) {
        if (!alive(child.pid))
          throw new CliError(`the supervisor exited while ${what}; see ${paths.log('supervisor')}`);
        if (Date.now() > deadline) throw new CliError(`timed out ${what}; see ${paths.logs}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    step(2);
    await until(
      'waiting for the apiserver',
      async () => (await getJson(`${state.apiserver.url}/readyz`)) !== undefined,
    );
    step(3);
    await until(
      'waiting for nodes to be Ready',
      async () => (await readyNodes(state.apiserver.url, tokens?.admin)).length >= nodes.length,
    );
    step(4);
    await until(
      'waiting for cluster DNS',
      async () => (await resolveA(state.dnsAddress, `kubernetes.default.svc.${CLUSTER_DOMAIN}`)).length > 0,
    );
    step(5);
  } finally {
    if (interactive) bar.stop();
  }
  void done;
  console.log(
    `Cluster is up: ${nodes.length} node(s) Ready. Use it with:\nexport KUBECONFIG=${paths.kubeconfig}\n` +
      `Join another machine with (run there as root):\n${joinCommandLine(apiUrl, tokens!.join)}`,
  );
}

/** Reads a file or returns '' (for log tails in errors). */
export function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export { writeState };
