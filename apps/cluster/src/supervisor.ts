/**
 * The supervisor process `keelson up` leaves running: it runs the control plane in-process and
 * one child process per node (`keelson _node`), restarting a crashed child with exponential
 * backoff (1 s doubling to 60 s) and logging it. SIGTERM/SIGINT stop everything; when
 * `<data-dir>/stopping` exists (written by `keelson down`) nodes also remove their pods, proxy
 * rules and host networking.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import type { Logger } from 'pino';
import { startControlPlane, type ControlPlaneOptions } from './control-plane';
import type { ClusterPaths } from './paths';
import { readState, updateState, writeState, type ClusterState } from './state';
import { teardownBridge, teardownNodeNetwork } from './host';
import { selfCommand } from './self';
import { startPodRoutes, watchStateNodes } from './node-watch';

/** Options of {@link runSupervisor}. */
export interface SupervisorOptions {
  paths: ClusterPaths;
  state: ClusterState;
  controlPlane: Omit<ControlPlaneOptions, 'paths' | 'log'>;
  log: Logger;
  /** Extra args for `keelson _node` (e.g. --oci-runtime). */
  nodeArgs: string[];
}

/** SIGTERM, SIGKILL after 5 minutes (nodes removing their pods); resolves on exit. */
function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise<void>((done) => {
    const t = setTimeout(() => c.kill('SIGKILL'), 300_000);
    c.once('exit', () => {
      clearTimeout(t);
      done();
    });
    c.kill('SIGTERM');
  });
}

/** Runs until SIGTERM; resolves when everything stopped. */
export async function runSupervisor(opts: SupervisorOptions): Promise<void> {
  const { paths, log } = opts;
  const cp = await startControlPlane({ ...opts.controlPlane, paths, log });
  const state: ClusterState = {
    ...opts.state,
    supervisorPid: process.pid,
    apiserver: { url: cp.apiserver.url, grpcAddress: cp.apiserver.grpcAddress },
  };
  writeState(paths.state, state);

  let stopping = false;
  const children = new Map<string, ChildProcess>();
  const start = (nodeName: string, attempt: number) => {
    if (stopping) return;
    const node = state.nodes.find((n) => n.name === nodeName);
    if (!node) return; // removed by `keelson node remove` while a restart was pending
    const out = openSync(paths.log(`node-${nodeName}`), 'a');
    // A node with its own network namespace runs its agents inside it. nsenter joins only the
    // network namespace; `ip netns exec` would also remount /sys and hide the cgroup mounts.
    const argv = selfCommand(['_node', '--data-dir', paths.dataDir, '--name', nodeName, ...opts.nodeArgs]);
    const [cmd, ...args] = node.netns
      ? ['nsenter', `--net=/var/run/netns/${node.netns}`, '--', ...argv]
      : argv;
    const child = spawn(cmd, args, { stdio: ['ignore', out, out] });
    children.set(nodeName, child);
    node.pid = child.pid;
    updateState(paths.state, (st) => {
      const n = st.nodes.find((x) => x.name === nodeName);
      if (n) n.pid = child.pid;
    });
    const startedAt = Date.now();
    child.on('exit', (code, signal) => {
      children.delete(nodeName);
      if (stopping || !state.nodes.some((n) => n.name === nodeName)) return;
      // A node that ran for a minute restarts from the first backoff step again.
      const next = Date.now() - startedAt > 60_000 ? 0 : attempt + 1;
      const delay = Math.min(60_000, 1000 * 2 ** next);
      const isStopped = () =>
        readState(paths.state)?.nodes.find((n) => n.name === nodeName)?.stopped === true;
      if (isStopped()) {
        // `keelson node stop`: wait for `keelson node start`.
        log.warn({ node: nodeName, code, signal }, 'node stopped by keelson node stop');
        const poll = setInterval(() => {
          if (stopping) return clearInterval(poll);
          if (!isStopped()) {
            clearInterval(poll);
            start(nodeName, 0);
          }
        }, 1000);
        return;
      }
      log.warn({ node: nodeName, code, signal, restartInMs: delay }, 'node agents exited; restarting');
      setTimeout(() => start(nodeName, next), delay);
    });
  };
  for (const n of state.nodes) start(n.name, 0);
  // `keelson node add|remove` change state.json and send SIGHUP.
  const nodeWatch = watchStateNodes(
    paths,
    state.nodes,
    {
      add(n) {
        state.nodes.push(n);
        start(n.name, 0);
      },
      async remove(n) {
        state.nodes = state.nodes.filter((x) => x.name !== n.name);
        const c = children.get(n.name);
        if (c) await stopChild(c);
      },
    },
    log,
  );
  // Host-gw routes to the pod CIDRs of nodes that joined from other machines.
  const podRoutes = startPodRoutes(
    cp.clientset,
    (name) => (readState(paths.state)?.nodes ?? state.nodes).some((n) => n.name === name),
    log,
  );

  await new Promise<void>((resolve) => {
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      log.info('stopping');
      nodeWatch.stop();
      podRoutes.stop();
      await Promise.all([...children.values()].map(stopChild));
      await cp.stop();
      if (existsSync(`${paths.dataDir}/stopping`)) {
        for (const n of state.nodes) if (!n.netns) teardownBridge(n.bridge, state.serviceCIDR);
        if (state.nodes.some((n) => n.netns)) teardownNodeNetwork(state.id, state.nodes, state.serviceCIDR);
      }
      resolve();
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });
}
