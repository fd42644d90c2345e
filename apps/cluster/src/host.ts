/**
 * Host networking the cluster owns: the node bridge with its gateway address (pods' default
 * route, the node IP in host mode), a route keeping the Service range on the machine, and the
 * kernel settings kube-proxy needs. Everything is named per cluster and removed by teardown.
 */
import { execFileSync } from 'node:child_process';

const run = (args: string[]) => execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const tryRun = (args: string[]) => {
  try {
    return run(args);
  } catch {
    return undefined;
  }
};

/** Creates (or keeps) a bridge with `gatewayCidr` (e.g. "10.244.0.1/24") and routes the service range to it. */
export function setupBridge(bridge: string, gatewayCidr: string, serviceCIDR: string): void {
  if (tryRun(['ip', 'link', 'show', bridge]) === undefined) run(['ip', 'link', 'add', bridge, 'type', 'bridge']);
  const addrs = run(['ip', '-4', 'addr', 'show', 'dev', bridge]);
  if (!addrs.includes(` ${gatewayCidr} `) && !addrs.includes(` ${gatewayCidr}\n`)) {
    tryRun(['ip', 'addr', 'add', gatewayCidr, 'dev', bridge]);
  }
  run(['ip', 'link', 'set', bridge, 'up']);
  // Host-originated traffic to a VIP must stay local (PLATFORM.md).
  tryRun(['ip', 'route', 'replace', serviceCIDR, 'dev', bridge]);
  run(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  tryRun(['modprobe', 'br_netfilter']);
  tryRun(['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
}

/** Removes the route and the bridge (veths of pods go with their namespaces). */
export function teardownBridge(bridge: string, serviceCIDR: string): void {
  tryRun(['ip', 'route', 'del', serviceCIDR, 'dev', bridge]);
  tryRun(['ip', 'link', 'del', bridge]);
}

/** True when the process runs as root. */
export const isRoot = () => process.getuid?.() === 0;
