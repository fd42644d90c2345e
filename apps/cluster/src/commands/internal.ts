/**
 * The hidden subcommands `keelson up` starts: `_run` (the supervisor with the control plane) and
 * `_node` (one node's agents). Not for users.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterPaths } from '../paths';
import { readState, updateState } from '../state';
import { componentLogger } from '../logger';
import { runSupervisor } from '../supervisor';
import { startNodeAgent } from '../node-agent';
import { setupBridge, setupNodeNetwork, teardownBridge, teardownNodeNetwork } from '../host';
import { runSplit } from '../split';
import { startStoreCluster, type RunningStoreCluster } from '../store-cluster';
import { CLUSTER_DOMAIN, DNS_SERVICE_IP, controlPlaneAddresses } from './up';
import { CliError } from '../errors';
import { removePodsMarker, startPodRoutes, watchStateNodes } from '../node-watch';
import { clientsetFromKubeconfig } from '@keelson/client';

/** `_run`: sets up host networking, runs the supervisor until SIGTERM. */
export async function runCommand(opts: {
  dataDir: string;
  apiPort: number;
  grpcPort: number;
  ociRuntime: string;
  nodeMonitorGracePeriodMs?: number;
  defaultUnreachableTolerationSeconds?: number;
  defaultNotReadyTolerationSeconds?: number;
}): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  mkdirSync(paths.logs, { recursive: true });
  const state = readState(paths.state);
  if (!state) throw new CliError(`no cluster state in ${paths.state}`);
  const log = componentLogger('supervisor', paths.log('supervisor-events'));
  // SIGHUP means "state.json changed" (`keelson node add|remove`), never "exit".
  process.on('SIGHUP', () => undefined);
  for (const n of state.nodes)
    if (!n.netns) setupBridge(n.bridge, `${n.ip}/${n.podCIDR.split('/')[1]}`, state.serviceCIDR);
  if (state.nodes.some((n) => n.netns)) setupNodeNetwork(state.id, state.nodes, state.serviceCIDR);
  // The address `up` chose (the bridge's, or --advertise-address); it stays put as nodes come and go.
  const bindAddress = new URL(state.apiserver.url).hostname || controlPlaneAddresses(state.nodes).bindAddress;
  // `--store-replicas N`: the Raft members first, in either layout; stopped last.
  let store: RunningStoreCluster | undefined;
  if (state.store?.members.length) {
    updateState(paths.state, (s) => (s.supervisorPid = process.pid));
    store = await startStoreCluster({ paths, members: state.store.members, log });
  }
  if (state.split) {
    updateState(paths.state, (s) => (s.supervisorPid = process.pid));
    const split = await runSplit({
      paths,
      state,
      log,
      bindAddress,
      apiPort: opts.apiPort,
      grpcPort: opts.grpcPort,
      ociRuntime: opts.ociRuntime,
      nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs,
      defaultNotReadyTolerationSeconds: opts.defaultNotReadyTolerationSeconds,
      defaultUnreachableTolerationSeconds: opts.defaultUnreachableTolerationSeconds,
    });
    const nodeWatch = watchStateNodes(
      paths,
      state.nodes,
      {
        add: (n) => {
          state.nodes.push(n);
          return split.addNode(n);
        },
        remove: (n) => {
          state.nodes = state.nodes.filter((x) => x.name !== n.name);
          return split.removeNode(n.name);
        },
      },
      log,
    );
    const clientset = clientsetFromKubeconfig(paths.kubeconfig);
    const podRoutes = startPodRoutes(
      clientset,
      (name) => (readState(paths.state)?.nodes ?? state.nodes).some((n) => n.name === name),
      log,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    nodeWatch.stop();
    podRoutes.stop();
    clientset.close();
    await split.stop();
    await store?.stop();
    if (existsSync(join(paths.dataDir, 'stopping'))) {
      for (const n of state.nodes) if (!n.netns) teardownBridge(n.bridge, state.serviceCIDR);
      if (state.nodes.some((n) => n.netns)) teardownNodeNetwork(state.id, state.nodes, state.serviceCIDR);
    }
    process.exit(0);
  }
  await runSupervisor({
    paths,
    // Re-read: the store members' PIDs were recorded meanwhile.
    state: readState(paths.state) ?? state,
    log,
    nodeArgs: ['--oci-runtime', opts.ociRuntime],
    controlPlane: {
      bindAddress,
      apiPort: opts.apiPort,
      grpcPort: opts.grpcPort,
      serviceCIDR: state.serviceCIDR,
      dnsServiceIP: DNS_SERVICE_IP,
      dnsListenIP: state.dnsAddress,
      clusterDomain: CLUSTER_DOMAIN,
      nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs,
      defaultUnreachableTolerationSeconds: opts.defaultUnreachableTolerationSeconds,
      defaultNotReadyTolerationSeconds: opts.defaultNotReadyTolerationSeconds,
      storage: store?.storage,
    },
  });
  await store?.stop();
  process.exit(0);
}

/** `_node`: runs one node's agents until SIGTERM. */
export async function nodeCommand(opts: {
  dataDir: string;
  name: string;
  ociRuntime: 'auto' | 'crun' | 'runc';
}): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const state = readState(paths.state);
  const node = state?.nodes.find((n) => n.name === opts.name);
  if (!state || !node) throw new CliError(`node ${opts.name} is not part of the cluster in ${paths.dataDir}`);
  const log = componentLogger(`node-${node.name}-events`, paths.log(`node-${node.name}-events`));
  const agent = await startNodeAgent({
    paths,
    node,
    clusterId: state.id,
    clusterCIDR: state.clusterCIDR,
    dnsServiceIP: DNS_SERVICE_IP,
    clusterDomain: CLUSTER_DOMAIN,
    proxyMode: state.proxyMode,
    ociRuntime: opts.ociRuntime,
    runtime: state.runtime,
    log,
  });
  const stop = async () => {
    const removePods =
      existsSync(join(paths.dataDir, 'stopping')) || existsSync(removePodsMarker(paths, node.name));
    await agent.stop(removePods);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
