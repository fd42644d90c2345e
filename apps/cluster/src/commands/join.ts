/**
 * `keelson node join --server URL --token T`: runs one node's agents (keelson runtime, kubelet,
 * kube-proxy) on this machine, in its own network namespace, as a node of the cluster at URL
 * (as `kubeadm join` with a bootstrap token). It checks the token and finds the gRPC address in
 * the `kube-public/cluster-info` ConfigMap, writes `<data-dir>/kubeconfig` with the token, picks
 * a pod CIDR (the flag, or the first 10.244.N.0/24 no Node uses), sets up its pod bridge and
 * routes each other Node's pod CIDR via its InternalIP (host-gw). Runs in the foreground (or
 * `--detach`ed) with its own state.json; SIGTERM/SIGINT or `keelson down --data-dir DIR` leaves
 * the cluster: pods, proxy rules, routes and bridge removed, the Node deleted.
 *
 * `keelson node join-command`: prints that command for the local cluster (as
 * `kubeadm token create --print-join-command`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isIPv4 } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { GRPC_EXTENSION_NAME, writeKubeconfig } from '@keelson/apiserver';
import { clientsetFromKubeconfig, type Clientset } from '@keelson/client';
import { buildBusyboxImage, buildNodeImage } from '@keelson/cri-runtime';
import { ClusterPaths } from '../paths';
import { isAlive, readState, writeState, type ClusterState, type NodeState } from '../state';
import { setupBridge, teardownBridge } from '../host';
import { startNodeAgent } from '../node-agent';
import { startPodRoutes } from '../node-watch';
import { componentLogger } from '../logger';
import { selfCommand } from '../self';
import { readTokens } from '../tokens';
import { CliError } from '../errors';
import { validateNodeName, waitNodeReady } from './node-lifecycle';
import {
  tail,
  CLUSTER_CIDR,
  CLUSTER_DOMAIN,
  DNS_SERVICE_IP,
  SERVICE_CIDR,
  clusterIdFor,
  joinCommandLine,
} from './up';

/** Flags of `keelson node join`. */
export interface JoinOptions {
  /** The apiserver's REST URL, e.g. http://10.250.0.1:6443. */
  server: string;
  /** A join (bootstrap) token of the cluster. */
  token: string;
  dataDir: string;
  /** Default: this host's name, lowercased into a DNS-1123 subdomain. */
  nodeName?: string;
  /** Default: the source address this machine uses to reach the server. */
  nodeIp?: string;
  /** A /24 such as 10.244.7.0/24. Default: the first 10.244.N.0/24 (N ≥ 1) no Node uses. */
  podCidr?: string;
  ociRuntime: 'auto' | 'crun' | 'runc';
  proxyMode: 'nftables' | 'iptables';
  timeoutSeconds: number;
  /** Run in the background and return once the Node is Ready. */
  detach?: boolean;
}

/** This host's name as a node name. */
function hostNodeName(): string {
  return (
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'keelson-node'
  );
}

/** The source address the kernel picks to reach `ip` (`ip -j route get`). */
function sourceAddressFor(ip: string): string {
  try {
    const routes = JSON.parse(execFileSync('ip', ['-j', 'route', 'get', ip], { encoding: 'utf8' })) as Array<{
      prefsrc?: string;
    }>;
    if (routes[0]?.prefsrc) return routes[0].prefsrc;
  } catch {
    /* below */
  }
  throw new CliError(`no route to ${ip} from this machine; pass --node-ip`);
}

/** The first 10.244.N.0/24 (N = 1..254) not in `used`. */
export function nextFreePodCidr(used: Set<string>): string {
  for (let n = 1; n <= 254; n++) if (!used.has(`10.244.${n}.0/24`)) return `10.244.${n}.0/24`;
  throw new CliError('no free pod CIDR in 10.244.0.0/16; pass --pod-cidr');
}

/**
 * Checks the server and the token, and reads the gRPC address from `kube-public/cluster-info`.
 * @throws CliError: server unreachable, token refused (401), no cluster-info
 */
export async function discover(server: string, token: string): Promise<{ grpcAddress: string }> {
  try {
    await fetch(`${server}/version`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new CliError(
      `cannot reach the apiserver at ${server}: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`,
    );
  }
  const res = await fetch(`${server}/api/v1/namespaces/kube-public/configmaps/cluster-info`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  });
  if (res.status === 401)
    throw new CliError(
      `the apiserver at ${server} refused the token (401 Unauthorized); get a valid one with keelson node join-command on the cluster's machine`,
    );
  if (!res.ok)
    throw new CliError(`the apiserver at ${server} has no kube-public/cluster-info (HTTP ${res.status})`);
  const cm = (await res.json()) as { data?: { kubeconfig?: string } };
  const kc = parseYaml(cm.data?.kubeconfig ?? '') as {
    clusters?: Array<{ cluster?: { extensions?: Array<{ name: string; extension?: { server?: string } }> } }>;
  };
  const grpc = kc?.clusters?.[0]?.cluster?.extensions?.find((e) => e.name === GRPC_EXTENSION_NAME)?.extension
    ?.server;
  if (!grpc) throw new CliError(`kube-public/cluster-info at ${server} names no gRPC address`);
  // The gRPC port from cluster-info, on the host the user reached the REST API by.
  const port = grpc.slice(grpc.lastIndexOf(':') + 1);
  return { grpcAddress: `${new URL(server).hostname}:${port}` };
}

/** Runs `keelson node join`. @throws CliError with a one-line reason */
export async function nodeJoin(opts: JoinOptions): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const existing = readState(paths.state);
  if (existing && isAlive(existing.supervisorPid))
    throw new CliError(
      `keelson already runs from ${paths.dataDir} (pid ${existing.supervisorPid}); use another --data-dir or keelson down`,
    );
  let url: URL;
  try {
    url = new URL(opts.server);
  } catch {
    throw new CliError(`--server: invalid URL "${opts.server}" (want e.g. http://10.250.0.1:6443)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`--server: want an http(s) URL, got "${opts.server}"`);
  if (!opts.token) throw new CliError('--token is empty');
  const server = url.origin;
  if (opts.podCidr !== undefined && !/^(\d{1,3}\.){3}0\/24$/.test(opts.podCidr))
    throw new CliError(`--pod-cidr must be a /24 such as 10.244.7.0/24, got "${opts.podCidr}"`);
  if (opts.nodeIp !== undefined && !isIPv4(opts.nodeIp))
    throw new CliError(`--node-ip must be an IPv4 address, got "${opts.nodeIp}"`);
  const { grpcAddress } = await discover(server, opts.token);

  if (opts.detach) return detach(opts, paths);

  mkdirSync(paths.logs, { recursive: true });
  await writeKubeconfig(paths.kubeconfig, { url: server, grpcAddress, token: opts.token });
  const cs = clientsetFromKubeconfig(paths.kubeconfig);
  const nodes = (await cs.resource('nodes').list()).items as Array<{
    metadata: { name?: string };
    spec?: { podCIDR?: string };
  }>;
  const name = opts.nodeName ?? hostNodeName();
  validateNodeName(
    name,
    nodes.map((n) => n.metadata.name ?? ''),
  );
  const usedCidrs = new Set(nodes.map((n) => n.spec?.podCIDR ?? '').filter(Boolean));
  if (opts.podCidr && usedCidrs.has(opts.podCidr))
    throw new CliError(`--pod-cidr ${opts.podCidr} is already used by another node`);
  const podCIDR = opts.podCidr ?? nextFreePodCidr(usedCidrs);
  const serverIp = isIPv4(url.hostname) ? url.hostname : (await lookup(url.hostname, { family: 4 })).address;
  const nodeIp = opts.nodeIp ?? sourceAddressFor(serverIp);
  const id = clusterIdFor(paths.dataDir);
  const node: NodeState = { name, ip: nodeIp, podCIDR, bridge: `kb-${id}` };
  const state: ClusterState = {
    id,
    dataDir: paths.dataDir,
    supervisorPid: process.pid,
    apiserver: { url: server, grpcAddress },
    dnsAddress: '',
    clusterCIDR: CLUSTER_CIDR,
    serviceCIDR: SERVICE_CIDR,
    proxyMode: opts.proxyMode,
    nodes: [{ ...node, pid: process.pid }],
    startedAt: new Date().toISOString(),
  };
  const log = componentLogger(`node-${name}-events`, paths.log(`node-${name}-events`));
  if (!existsSync(join(paths.images, 'busybox', 'index.json')))
    await buildBusyboxImage(join(paths.images, 'busybox'));
  if (!existsSync(join(paths.images, 'node', 'index.json'))) await buildNodeImage(join(paths.images, 'node'));

  writeState(paths.state, state);
  setupBridge(node.bridge, `${podCIDR.replace(/\.0\/24$/, '.1')}/24`, SERVICE_CIDR);
  let agent: Awaited<ReturnType<typeof startNodeAgent>> | undefined;
  let routes: { stop(): void } | undefined;
  let leaving: Promise<void> | undefined;
  const leave = () =>
    (leaving ??= (async () => {
      routes?.stop();
      await agent?.stop(true).catch((e) => log.warn({ err: String(e) }, 'agent stop'));
      await deleteNode(cs, name);
      cs.close();
      teardownBridge(node.bridge, SERVICE_CIDR);
      rmSync(paths.state, { force: true });
    })());
  process.once('SIGTERM', () => void leave().then(() => process.exit(0)));
  process.once('SIGINT', () => void leave().then(() => process.exit(0)));
  try {
    agent = await startNodeAgent({
      paths,
      node,
      clusterId: id,
      clusterCIDR: CLUSTER_CIDR,
      dnsServiceIP: DNS_SERVICE_IP,
      clusterDomain: CLUSTER_DOMAIN,
      proxyMode: opts.proxyMode,
      ociRuntime: opts.ociRuntime,
      log,
    });
    routes = startPodRoutes(cs, (n) => n === name, log);
    await waitNodeReady(cs, name, opts.timeoutSeconds * 1000, `see ${paths.log(`kubelet-${name}`)}`);
  } catch (err) {
    await leave();
    throw err;
  }
  writeFileSync(join(paths.dataDir, 'joined'), name);
  console.log(
    `node ${name} joined ${server} (${nodeIp}, pod CIDR ${podCIDR}) and is Ready; ` +
      `stop it with Ctrl-C or keelson down --data-dir ${paths.dataDir}`,
  );
}

/** Deletes this machine's Node object (best effort: the cluster may be gone). */
async function deleteNode(cs: Clientset, name: string): Promise<void> {
  await cs
    .resource('nodes')
    .delete(undefined, name)
    .catch(() => undefined);
}

/** `--detach`: runs the join in the background (log in the data dir) and returns once the Node is Ready. */
async function detach(opts: JoinOptions, paths: ClusterPaths): Promise<void> {
  mkdirSync(paths.logs, { recursive: true });
  rmSync(join(paths.dataDir, 'joined'), { force: true });
  const args = ['node', 'join', '--server', opts.server, '--token', opts.token, '--data-dir', paths.dataDir];
  if (opts.nodeName) args.push('--node-name', opts.nodeName);
  if (opts.nodeIp) args.push('--node-ip', opts.nodeIp);
  if (opts.podCidr) args.push('--pod-cidr', opts.podCidr);
  args.push(
    '--oci-runtime',
    opts.ociRuntime,
    '--proxy-mode',
    opts.proxyMode,
    '--timeout',
    String(opts.timeoutSeconds),
  );
  const logFile = paths.log('join');
  const out = openSync(logFile, 'a');
  const [cmd, ...rest] = selfCommand(args);
  const child = spawn(cmd, rest, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  const end = Date.now() + (opts.timeoutSeconds + 120) * 1000;
  while (!existsSync(join(paths.dataDir, 'joined'))) {
    if (!isAlive(child.pid)) throw new CliError(`node join failed: ${tail(logFile, 1) || `see ${logFile}`}`);
    if (Date.now() > end) throw new CliError(`node join timed out; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(tail(logFile, 1));
}

/** Runs `keelson node join-command`: prints the join command line of the local cluster. */
export function joinCommand(opts: { dataDir: string }): void {
  const paths = new ClusterPaths(opts.dataDir);
  const state = readState(paths.state);
  if (!state || !existsSync(paths.tokens))
    throw new CliError(`keelson is not running (no cluster in ${paths.dataDir}; start one with keelson up)`);
  console.log(joinCommandLine(state.apiserver.url, readTokens(paths.tokens).join));
}
