/**
 * `keelson down [--purge]`: stops the supervisor (which stops every node's pods, proxy rules and
 * the control plane), then removes what could remain: the bridge, the service route, the nft
 * table or iptables chains, the cluster's cgroups; `--purge` deletes the data dir too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterPaths } from '../paths';
import { isAlive as alive, readState } from '../state';
import { hostBridgeName, teardownBridge, teardownNodeNetwork } from '../host';
import { proxyTable } from '../node-agent';
import { containerdLayout, killStaleContainerd, sweepContainerd } from '../containerd';

/** Runs `keelson down`. */
export async function down(opts: { dataDir: string; purge: boolean }): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const state = readState(paths.state);
  if (!state) {
    if (opts.purge) rmSync(paths.dataDir, { recursive: true, force: true });
    console.log('keelson is not running');
    return;
  }
  if (existsSync(paths.dataDir)) writeFileSync(join(paths.dataDir, 'stopping'), String(Date.now()));
  if (alive(state.supervisorPid)) {
    process.kill(state.supervisorPid!, 'SIGTERM');
    const deadline = Date.now() + 420_000;
    while (alive(state.supervisorPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (alive(state.supervisorPid)) process.kill(state.supervisorPid!, 'SIGKILL');
  }
  // Node agents that outlived the supervisor (killed hard) are ended by their recorded PID.
  for (const n of state.nodes) if (alive(n.pid)) process.kill(n.pid!, 'SIGKILL');
  // Store members (`--store-replicas N`) likewise; the supervisor stops them last.
  for (const m of state.store?.members ?? []) if (alive(m.pid)) process.kill(m.pid!, 'SIGKILL');
  // `--runtime containerd`: a containerd that outlived its node agent, its shims, pods, mounts.
  if (state.runtime === 'containerd')
    for (const n of state.nodes) {
      const layout = containerdLayout(paths.node(n.name));
      await killStaleContainerd(layout);
      sweepContainerd(layout, `/keelson-${state.id}/${n.name}`);
    }
  for (const n of state.nodes) if (!n.netns) teardownBridge(n.bridge, state.serviceCIDR);
  if (state.nodes.some((n) => n.netns)) teardownNodeNetwork(state.id, state.nodes, state.serviceCIDR);
  // The host bridge of nodes added to a one-node cluster (`keelson node add`).
  teardownBridge(hostBridgeName(state.id), state.serviceCIDR);
  const run = (args: string[]) => {
    try {
      execFileSync(args[0], args.slice(1), { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  };
  run(['nft', 'delete', 'table', 'ip', proxyTable(state.id)]);
  removeCgroups(`keelson-${state.id}`);
  rmSync(join(paths.dataDir, 'stopping'), { force: true });
  rmSync(paths.state, { force: true });
  if (opts.purge) rmSync(paths.dataDir, { recursive: true, force: true });
  console.log(`keelson stopped${opts.purge ? ' and its data removed' : ''}`);
}

/** Removes the cluster's (empty) cgroup directories in every mounted hierarchy, deepest first. */
export function removeCgroups(name: string): void {
  const base = '/sys/fs/cgroup';
  if (!existsSync(base)) return;
  const roots = [join(base, name), ...readdirSync(base).map((h) => join(base, h, name))];
  const removeTree = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) removeTree(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch {
      /* busy or not a cgroup */
    }
  };
  for (const r of roots) removeTree(r);
}
