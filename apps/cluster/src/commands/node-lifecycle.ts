/**
 * `keelson node add NAME` and `keelson node remove NAME`: local nodes joining and leaving a
 * running cluster.
 *
 * add: the next free index i gets network namespace `kn-<id>-<i>`, address 10.250.0.<10+i> on
 * the host bridge `kh-<id>` (created if the cluster so far was one host-namespace node), pod
 * CIDR 10.244.<i>.0/24 and routes; the node is appended to state.json and the supervisor (told by
 * SIGHUP, or its 2 s poll) starts its agents; returns once the Node is Ready.
 *
 * remove: as `kubectl drain` then `kubectl delete node`: cordon, evict its pods (each with its
 * own grace period; DaemonSet and mirror pods are left, as `--ignore-daemonsets`), stop its
 * agents with pod removal (the kubelet removes its pods, kube-proxy its rules), remove its
 * namespace, veth and route, delete the Node and its Lease, drop it from state.json.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isDNS1123Subdomain, type KubeObject } from '@keelson/api';
import { clientsetFromKubeconfig, isNotFound, isTooManyRequests, type Clientset } from '@keelson/client';
import { ClusterPaths } from '../paths';
import { isAlive, readState, updateState, type ClusterState, type NodeState } from '../state';
import {
  hostBridgeName,
  listNetns,
  setupBridge,
  setupNodeNetwork,
  teardownBridge,
  teardownOneNode,
} from '../host';
import { removedMarker, removePodsMarker } from '../node-watch';
import { removeCgroups } from './down';
import { MAX_NODES } from './up';
import { CliError } from '../errors';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The running cluster's state, or a CliError saying it is not running. */
function runningState(paths: ClusterPaths): ClusterState {
  const state = readState(paths.state);
  if (!state || !isAlive(state.supervisorPid))
    throw new CliError(`keelson is not running (no cluster in ${paths.dataDir}; start one with keelson up)`);
  return state;
}

/** True when the Node's Ready condition is True. */
export function isNodeReady(node: KubeObject | undefined): boolean {
  const conds = ((node as { status?: { conditions?: Array<{ type: string; status: string }> } })?.status
    ?.conditions ?? []) as Array<{ type: string; status: string }>;
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Polls until the Node `name` is Ready. @throws CliError after `timeoutMs` */
export async function waitNodeReady(
  cs: Clientset,
  name: string,
  timeoutMs: number,
  hint: string,
  alive?: () => boolean,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const node = await cs
      .resource('nodes')
      .get(undefined, name)
      .catch(() => undefined);
    if (isNodeReady(node)) return;
    if (alive && !alive()) throw new CliError(`node ${name} stopped before it was Ready; ${hint}`);
    if (Date.now() > end)
      throw new CliError(`node ${name} is not Ready after ${Math.round(timeoutMs / 1000)}s; ${hint}`);
    await sleep(500);
  }
}

/**
 * Validates a new node name: a DNS-1123 subdomain (as Node names are) not used by any node.
 * @throws CliError with a one-line reason
 */
export function validateNodeName(name: string, taken: string[]): void {
  const errs = isDNS1123Subdomain(name);
  if (errs.length) throw new CliError(`invalid node name "${name}": ${errs[0]}`);
  if (taken.includes(name)) throw new CliError(`a node named "${name}" already exists`);
}

/**
 * The next free local node slot: the smallest i in 1..MAX_NODES whose namespace `kn-<id>-<i>`
 * does not exist and whose pod CIDR 10.244.<i>.0/24 no node uses.
 * @throws CliError when all are taken
 */
export function nextLocalNode(
  id: string,
  name: string,
  usedPodCIDRs: Set<string>,
  usedNetns: Set<string>,
): NodeState {
  for (let i = 1; i <= MAX_NODES; i++) {
    const podCIDR = `10.244.${i}.0/24`;
    const netns = `kn-${id}-${i}`;
    if (usedPodCIDRs.has(podCIDR) || usedNetns.has(netns)) continue;
    return { name, netns, ip: `10.250.0.${10 + i}`, podCIDR, bridge: `kb-${id}` };
  }
  throw new CliError(`no free node slot: a local cluster has at most ${MAX_NODES} nodes`);
}

/** Runs `keelson node add NAME`. @throws CliError for a bad or taken name, a stopped cluster, a node not Ready in time */
export async function nodeAdd(opts: {
  dataDir: string;
  name: string;
  timeoutSeconds: number;
}): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const state = runningState(paths);
  validateNodeName(
    opts.name,
    state.nodes.map((n) => n.name),
  );
  const cs = clientsetFromKubeconfig(paths.kubeconfig);
  try {
    const existing = (await cs.resource('nodes').list()).items as Array<
      KubeObject & { spec?: { podCIDR?: string } }
    >;
    validateNodeName(
      opts.name,
      existing.map((n) => n.metadata.name ?? ''),
    );
    const node = nextLocalNode(
      state.id,
      opts.name,
      new Set([
        ...state.nodes.map((n) => n.podCIDR),
        ...existing.map((n) => n.spec?.podCIDR ?? '').filter(Boolean),
      ]),
      new Set([...state.nodes.map((n) => n.netns ?? ''), ...listNetns()]),
    );
    // A node dir left by an earlier node of the same name (its runtime state) starts afresh.
    rmSync(paths.node(node.name), { recursive: true, force: true });
    setupNodeNetwork(state.id, [node], state.serviceCIDR);
    // setupNodeNetwork routed the Service range to the host bridge; a host-namespace node keeps it.
    for (const n of state.nodes)
      if (!n.netns) setupBridge(n.bridge, `${n.ip}/${n.podCIDR.split('/')[1]}`, state.serviceCIDR);
    updateState(paths.state, (s) => s.nodes.push(node));
    try {
      process.kill(state.supervisorPid!, 'SIGHUP');
    } catch {
      /* it polls state.json too */
    }
    await waitNodeReady(
      cs,
      node.name,
      opts.timeoutSeconds * 1000,
      `see keelson logs kubelet-${node.name} --data-dir ${paths.dataDir}`,
    );
    console.log(`node ${node.name} added (${node.ip}, pod CIDR ${node.podCIDR}) and Ready`);
  } finally {
    cs.close();
  }
}

type Pod = KubeObject & {
  metadata: {
    ownerReferences?: Array<{ kind: string; controller?: boolean }>;
    annotations?: Record<string, string>;
  };
  spec?: { terminationGracePeriodSeconds?: number };
};

/**
 * Cordons and drains a node as `kubectl drain --ignore-daemonsets --delete-emptydir-data`:
 * every pod on it except DaemonSet and mirror pods is evicted (pods/eviction; retried while a
 * PodDisruptionBudget refuses with 429), then waits until they are gone (each terminates with its
 * own grace period).
 * @throws CliError when pods remain after `timeoutMs`
 */
export async function drainNode(cs: Clientset, name: string, timeoutMs: number): Promise<number> {
  await cs.resource('nodes').patch(undefined, name, 'merge', { spec: { unschedulable: true } });
  const pods = cs.resource('pods');
  const onNode = async () =>
    ((await pods.list(undefined, { fieldSelector: `spec.nodeName=${name}` })).items as Pod[]).filter(
      (p) =>
        !(p.metadata.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet' && o.controller) &&
        !p.metadata.annotations?.['kubernetes.io/config.mirror'],
    );
  const end = Date.now() + timeoutMs;
  const toEvict = await onNode();
  for (const p of toEvict) {
    for (;;) {
      try {
        await pods.createSubresource(p.metadata.namespace, p.metadata.name!, 'eviction', {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
        });
        break;
      } catch (err) {
        if (isNotFound(err)) break;
        if (!isTooManyRequests(err) || Date.now() > end) throw err;
        await sleep(5000); // as kubectl drain: a disruption budget allows it later
      }
    }
  }
  const uids = new Set(toEvict.map((p) => p.metadata.uid));
  for (;;) {
    const left = (await onNode()).filter((p) => uids.has(p.metadata.uid));
    if (!left.length) return toEvict.length;
    if (Date.now() > end)
      throw new CliError(
        `node ${name}: ${left.length} pod(s) still terminating (${left.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')})`,
      );
    await sleep(500);
  }
}

/** Runs `keelson node remove NAME`. @throws CliError for an unknown, last or host-namespace node */
export async function nodeRemove(opts: {
  dataDir: string;
  name: string;
  timeoutSeconds: number;
}): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const state = runningState(paths);
  const node = state.nodes.find((n) => n.name === opts.name);
  if (!node)
    throw new CliError(
      `no local node named "${opts.name}" (local nodes: ${state.nodes.map((n) => n.name).join(', ')}; a joined node leaves with keelson down on its machine and kubectl delete node)`,
    );
  if (state.nodes.length === 1)
    throw new CliError(`cannot remove node ${node.name}: it is the cluster's last node (use keelson down)`);
  if (!node.netns)
    throw new CliError(
      `cannot remove node ${node.name}: it runs in the host's network namespace, whose bridge carries the control plane's address`,
    );
  const timeoutMs = opts.timeoutSeconds * 1000;
  const cs = clientsetFromKubeconfig(paths.kubeconfig);
  try {
    const evicted = await drainNode(cs, node.name, timeoutMs);
    // Its agents stop, removing what is left (DaemonSet pods, sandboxes) and their proxy rules.
    rmSync(removedMarker(paths, node.name), { force: true });
    mkdirSync(paths.node(node.name), { recursive: true });
    writeFileSync(removePodsMarker(paths, node.name), String(Date.now()));
    updateState(paths.state, (s) => (s.nodes = s.nodes.filter((n) => n.name !== node.name)));
    try {
      process.kill(state.supervisorPid!, 'SIGHUP');
    } catch {
      /* it polls state.json too */
    }
    const end = Date.now() + Math.max(timeoutMs, 330_000);
    while (!existsSync(removedMarker(paths, node.name))) {
      if (!isAlive(state.supervisorPid)) break;
      if (Date.now() > end)
        throw new CliError(`node ${node.name}: its agents did not stop; see keelson logs supervisor`);
      await sleep(300);
    }
    if (isAlive(node.pid)) process.kill(node.pid!, 'SIGKILL');
    teardownOneNode(node);
    const after = readState(paths.state) ?? state;
    if (!after.nodes.some((n) => n.netns)) {
      // Back to one host-namespace node: the host bridge goes, the node's pod bridge keeps the Service route.
      teardownBridge(hostBridgeName(state.id), state.serviceCIDR);
      for (const n of after.nodes)
        if (!n.netns) setupBridge(n.bridge, `${n.ip}/${n.podCIDR.split('/')[1]}`, state.serviceCIDR);
    }
    await cs
      .resource('nodes')
      .delete(undefined, node.name)
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    await cs
      .resource('leases')
      .delete('kube-node-lease', node.name)
      .catch(() => undefined);
    removeCgroups(`keelson-${state.id}/${node.name}`);
    rmSync(paths.node(node.name), { recursive: true, force: true });
    console.log(`node ${node.name} drained (${evicted} pod(s) evicted) and removed`);
  } finally {
    cs.close();
  }
}
