/**
 * Host networking the cluster owns, every name carrying the cluster id:
 * - a pod bridge per node with its gateway address (pods' default route; the node IP in host
 *   mode), a route keeping the Service range on the node, and the kernel settings kube-proxy needs;
 * - for local multi-node clusters (DESIGN.md): each node is a network namespace with an address
 *   on a host bridge, its own pod CIDR, and routes through the host to the other nodes' pods.
 * Teardown removes all of it.
 */
import { execFileSync } from 'node:child_process';
import { removeIdlePortmapChains } from '@keelson/kubelet';
import type { NodeState } from './state';

const run = (args: string[]) =>
  execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const tryRun = (args: string[]) => {
  try {
    return run(args);
  } catch {
    return undefined;
  }
};
const inNs = (netns: string | undefined, args: string[]) =>
  netns ? ['ip', 'netns', 'exec', netns, ...args] : args;

/** Host side of the node network of a multi-node cluster. */
export const HOST_BRIDGE_IP = '10.250.0.1';
export const hostBridgeName = (id: string) => `kh-${id}`;
const hostVeth = (id: string, index: number) => `kv${id}n${index}`;
/** The host-side veth of a namespaced node: numbered after its namespace `kn-<id>-<i>` (i - 1), so names stay put when nodes come and go. */
const nodeVeth = (id: string, n: NodeState) => hostVeth(id, Number(n.netns!.split('-').pop()) - 1);

/**
 * Creates (or keeps) the pod bridge with `gatewayCidr` (e.g. "10.244.0.1/24") inside `netns`
 * (or the host's namespace) and routes the service range to it.
 */
export function setupBridge(bridge: string, gatewayCidr: string, serviceCIDR: string, netns?: string): void {
  if (tryRun(inNs(netns, ['ip', 'link', 'show', bridge])) === undefined)
    run(inNs(netns, ['ip', 'link', 'add', bridge, 'type', 'bridge']));
  const addrs = run(inNs(netns, ['ip', '-4', 'addr', 'show', 'dev', bridge]));
  if (!addrs.includes(` ${gatewayCidr} `))
    tryRun(inNs(netns, ['ip', 'addr', 'add', gatewayCidr, 'dev', bridge]));
  run(inNs(netns, ['ip', 'link', 'set', bridge, 'up']));
  // Host-originated traffic to a VIP must stay local (PLATFORM.md).
  tryRun(inNs(netns, ['ip', 'route', 'replace', serviceCIDR, 'dev', bridge]));
  run(inNs(netns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']));
  tryRun(['modprobe', 'br_netfilter']);
  tryRun(inNs(netns, ['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']));
}

/**
 * Removes the route and the bridge (veths of pods go with their namespaces), and the CNI portmap
 * chains hostPort pods left in this namespace once no mapping is in them.
 */
export function teardownBridge(bridge: string, serviceCIDR: string): void {
  tryRun(['ip', 'route', 'del', serviceCIDR, 'dev', bridge]);
  tryRun(['ip', 'link', 'del', bridge]);
  removeIdlePortmapChains();
}

/**
 * Builds the node network of a multi-node cluster: the host bridge, one namespace per node with a
 * veth onto it, the node's pod bridge inside, and routes so every pod CIDR is reachable from the
 * host and from every node (through the host).
 */
export function setupNodeNetwork(id: string, nodes: NodeState[], serviceCIDR: string): void {
  const hb = hostBridgeName(id);
  setupBridge(hb, `${HOST_BRIDGE_IP}/24`, serviceCIDR);
  nodes.forEach((n) => {
    if (!n.netns) return;
    if (
      !tryRun(['ip', 'netns', 'list'])
        ?.split('\n')
        .some((l) => l.split(' ')[0] === n.netns)
    )
      run(['ip', 'netns', 'add', n.netns]);
    run(['ip', '-n', n.netns, 'link', 'set', 'lo', 'up']);
    const hv = nodeVeth(id, n);
    if (tryRun(['ip', 'link', 'show', hv]) === undefined) {
      run(['ip', 'link', 'add', hv, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.netns]);
      run(['ip', 'link', 'set', hv, 'master', hb, 'up']);
      run(['ip', '-n', n.netns, 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
    }
    run(['ip', 'link', 'set', hv, 'up']);
    run(['ip', '-n', n.netns, 'link', 'set', 'eth0', 'up']);
    tryRun(['ip', '-n', n.netns, 'route', 'replace', 'default', 'via', HOST_BRIDGE_IP]);
    setupBridge(n.bridge, `${n.podCIDR.replace(/\.0\/24$/, '.1')}/24`, serviceCIDR, n.netns);
    tryRun(['ip', 'route', 'replace', n.podCIDR, 'via', n.ip]);
  });
}

/** Removes the node namespaces, the routes to their pod CIDRs and the host bridge. */
export function teardownNodeNetwork(id: string, nodes: NodeState[], serviceCIDR: string): void {
  for (const n of nodes) {
    if (!n.netns) continue;
    tryRun(['ip', 'route', 'del', n.podCIDR]);
    tryRun(['ip', 'netns', 'del', n.netns]);
  }
  teardownBridge(hostBridgeName(id), serviceCIDR);
}

/** Cuts a node off the network (its host-side veth down) or reconnects it. */
export function setNodeLink(id: string, node: NodeState, up: boolean): void {
  run(['ip', 'link', 'set', nodeVeth(id, node), up ? 'up' : 'down']);
}

/**
 * Removes one namespaced node's network: the host route to its pod CIDR and its namespace (the
 * veth pair and its pod bridge go with it). The host bridge stays.
 */
export function teardownOneNode(node: NodeState): void {
  if (!node.netns) return;
  tryRun(['ip', 'route', 'del', node.podCIDR, 'via', node.ip]);
  tryRun(['ip', 'netns', 'del', node.netns]);
}

/** Names of the network namespaces on this host (`ip netns list`). */
export function listNetns(): string[] {
  return (tryRun(['ip', 'netns', 'list']) ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

/**
 * Host-gw routing to a pod CIDR of a node on another machine: `ip route replace <podCIDR> via
 * <nodeIP>` (in `netns`, or this namespace). Returns false when the kernel refuses it (e.g. the
 * node address is not on a directly connected network; traffic then follows the default route).
 */
export function routePodCidr(podCIDR: string, via: string, netns?: string): boolean {
  return tryRun(inNs(netns, ['ip', 'route', 'replace', podCIDR, 'via', via])) !== undefined;
}

/** Deletes a route added by {@link routePodCidr}. */
export function unroutePodCidr(podCIDR: string, netns?: string): void {
  tryRun(inNs(netns, ['ip', 'route', 'del', podCIDR]));
}

/** True when the process runs as root. */
export const isRoot = () => process.getuid?.() === 0;
