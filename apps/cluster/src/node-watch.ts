/**
 * Nodes that come and go while a cluster runs:
 * - {@link watchStateNodes}: the supervisor notices nodes added to or removed from state.json
 *   (`keelson node add|remove` send SIGHUP; state.json is also polled every 2 s) and starts or
 *   stops their agents;
 * - {@link startPodRoutes}: host-gw style routing to the pod CIDRs of nodes on other machines
 *   (`ip route replace <podCIDR> via <InternalIP>`), kept in step with the Node objects.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clientset } from '@keelson/client';
import type { ClusterPaths } from './paths';
import { readState, type NodeState } from './state';
import { routePodCidr, unroutePodCidr } from './host';

/** Marker file: when it exists as a node's agents stop, they remove its pods and proxy rules (`node remove`). */
export const removePodsMarker = (paths: ClusterPaths, node: string) => join(paths.node(node), 'remove-pods');
/** Marker file the supervisor writes once a removed node's agents have all exited. */
export const removedMarker = (paths: ClusterPaths, node: string) => join(paths.node(node), 'removed');

/** Handlers of {@link watchStateNodes}; both may be async and are never run concurrently. */
export interface StateNodeHandlers {
  /** A node appeared in state.json: start its agents. */
  add(node: NodeState): void | Promise<void>;
  /** A node left state.json: stop its agents (they remove their pods when the marker exists). */
  remove(node: NodeState): void | Promise<void>;
}

/**
 * Watches state.json for nodes added or removed after start (SIGHUP or a 2 s poll). After
 * `remove` resolves, writes {@link removedMarker} for the node.
 * @param known the nodes already running
 * @returns stop(): ends the watch (no handler runs after it)
 */
export function watchStateNodes(
  paths: ClusterPaths,
  known: NodeState[],
  handlers: StateNodeHandlers,
  log: Logger,
): { stop(): void } {
  const running = new Map(known.map((n) => [n.name, n]));
  let stopped = false;
  let chain = Promise.resolve();
  const reconcile = () => {
    chain = chain.then(async () => {
      if (stopped) return;
      const state = readState(paths.state);
      if (!state) return;
      for (const n of state.nodes) {
        if (running.has(n.name)) continue;
        running.set(n.name, n);
        log.info({ node: n.name }, 'node added');
        await Promise.resolve(handlers.add(n)).catch((err) =>
          log.error({ node: n.name, err: String(err) }, 'node start failed'),
        );
      }
      for (const [name, n] of [...running]) {
        if (state.nodes.some((x) => x.name === name)) continue;
        running.delete(name);
        log.info({ node: name }, 'node removed');
        await Promise.resolve(handlers.remove(n)).catch((err) =>
          log.error({ node: name, err: String(err) }, 'node stop failed'),
        );
        if (existsSync(paths.node(name))) writeFileSync(removedMarker(paths, name), String(Date.now()));
      }
    });
  };
  const onHup = () => reconcile();
  process.on('SIGHUP', onHup);
  const timer = setInterval(reconcile, 2000);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      process.off('SIGHUP', onHup);
    },
  };
}

/** A Node's pod CIDR and InternalIP, if it has both. */
function nodeRoute(node: any): { podCIDR: string; ip: string } | undefined {
  const podCIDR: string | undefined = node?.spec?.podCIDR;
  const ip: string | undefined = (node?.status?.addresses ?? []).find(
    (a: { type: string }) => a.type === 'InternalIP',
  )?.address;
  return podCIDR && ip ? { podCIDR, ip } : undefined;
}

/**
 * Keeps `ip route replace <spec.podCIDR> via <InternalIP>` for every Node that `isLocal` does
 * not claim (nodes on other machines), in this network namespace, re-listing Nodes every
 * `intervalMs` (default 2000 ms); routes of Nodes that went away are deleted. A route the kernel
 * refuses (address not directly connected) is skipped: that traffic follows the default route.
 * @returns stop(): ends the loop and deletes the routes it added
 */
export function startPodRoutes(
  clientset: Clientset,
  isLocal: (nodeName: string) => boolean,
  log: Logger,
  intervalMs = 2000,
): { stop(): void } {
  const routes = new Map<string, { via: string; ok: boolean }>(); // by podCIDR
  let stopped = false;
  let busy = false;
  const sync = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const list = await clientset.resource('nodes').list();
      const want = new Map<string, string>();
      for (const node of list.items) {
        if (isLocal(node.metadata.name ?? '')) continue;
        const r = nodeRoute(node);
        if (r) want.set(r.podCIDR, r.ip);
      }
      if (stopped) return;
      for (const [cidr, via] of want) {
        if (routes.get(cidr)?.via === via) continue;
        const ok = routePodCidr(cidr, via);
        log.info(
          { podCIDR: cidr, via, ok },
          ok ? 'pod route added' : 'pod route not on-link; using default route',
        );
        routes.set(cidr, { via, ok });
      }
      for (const cidr of [...routes.keys()]) {
        if (want.has(cidr)) continue;
        if (routes.get(cidr)?.ok) unroutePodCidr(cidr);
        routes.delete(cidr);
        log.info({ podCIDR: cidr }, 'pod route removed');
      }
    } catch (err) {
      log.debug({ err: String(err) }, 'node list for pod routes failed');
    } finally {
      busy = false;
    }
  };
  void sync();
  const timer = setInterval(() => void sync(), intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const [cidr, r] of routes) if (r.ok) unroutePodCidr(cidr);
      routes.clear();
    },
  };
}
