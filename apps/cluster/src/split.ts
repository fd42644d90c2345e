/**
 * `keelson up --split`: every component as its own process from its package's bin, talking over
 * the same gRPC and CRI sockets as in the default mode: keelson-store, keelson-apiserver
 * (storage `store:`), keelson-controller-manager, keelson-scheduler, keelson-dns, and per node
 * keelson-cri, keelson-kubelet and keelson-proxy (inside the node's network namespace, if any).
 * Crashed components restart with backoff (1 s doubling to 60 s); stop ends them in reverse order.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { createClientset } from '@keelson/client';
import { ensureClusterInfo, ensureDnsService } from './control-plane';
import { localImages, proxyTable } from './node-agent';
import type { ClusterPaths } from './paths';
import { updateState, type ClusterState, type NodeState } from './state';
import { CLUSTER_DOMAIN, DNS_SERVICE_IP } from './commands/up';
import {
  CONTROL_PLANE_HEALTH_HOST,
  CONTROLLER_MANAGER_PORT,
  DNS_HEALTH_PORT,
  DNS_METRICS_PORT,
  KUBELET_HEALTHZ_PORT,
  PROXY_HEALTHZ_PORT,
  PROXY_METRICS_PORT,
  SCHEDULER_PORT,
} from './endpoints';
import { removePodsMarker } from './node-watch';
import { ADMIN_USER, readTokens } from './tokens';
import { Component } from './component';
import { pauseImageDir, startContainerd } from './containerd';

/** argv running a package's bin: from source in a checkout, else its built file. */
export function binCommand(pkg: string, bin: string, args: string[]): string[] {
  const dir = dirname(require.resolve(`@keelson/${pkg}/package.json`));
  const src = join(dir, 'src/bin', `${bin}.ts`);
  if (existsSync(src))
    return [process.execPath, '--conditions=keelson-source', '--import', 'tsx', src, ...args];
  return [process.execPath, join(dir, 'dist/bin', `${bin}.js`), ...args];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** Options of {@link runSplit}. */
export interface SplitOptions {
  paths: ClusterPaths;
  state: ClusterState;
  bindAddress: string;
  apiPort: number;
  grpcPort: number;
  ociRuntime: string;
  nodeMonitorGracePeriodMs?: number;
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
  log: Logger;
  /** The apiserver's storage when the store runs elsewhere (`--store-replicas N`); default: a keelson-store process. */
  storage?: string;
}

/** Starts every component process; resolves with a stop function once the apiserver is ready. */
export async function runSplit(opts: SplitOptions): Promise<{
  stop(): Promise<void>;
  /** Starts a node added to state.json (`keelson node add`). */
  addNode(node: NodeState): Promise<void>;
  /** Stops a removed node's components, its pods and proxy rules removed. */
  removeNode(name: string): Promise<void>;
}> {
  const { paths, state, log } = opts;
  const controlPlane: Component[] = [];
  const nodes: Array<{ node: NodeState; parts: Array<Pick<Component, 'stop'>> }> = [];
  const comp = (name: string, argv: string[], onPid?: (pid?: number) => void) => {
    const c = new Component(name, argv, paths.log(name), log, (pid) => {
      onPid?.(pid);
      recordPid(name, pid);
    });
    c.start();
    return c;
  };
  const kubeconfig = paths.kubeconfig;
  // state.json endpoints carry each component's own pid (process names: "scheduler", "kubelet-<node>", "cri-<node>").
  const recordPid = (name: string, pid?: number) =>
    updateState(paths.state, (s) => {
      const ep = s.endpoints?.find((e) =>
        e.node ? `${e.name === 'runtime' ? 'cri' : e.name}-${e.node}` === name : e.name === name,
      );
      if (ep) ep.pid = pid;
    });

  let storage = opts.storage;
  if (!storage) {
    const storePort = await freePort();
    controlPlane.push(
      comp(
        'store',
        binCommand('store', 'keelson-store', [
          '--data-dir',
          paths.store,
          '--listen',
          `127.0.0.1:${storePort}`,
        ]),
      ),
    );
    await waitFor('keelson-store', () => tcpOpen(storePort));
    storage = `store:127.0.0.1:${storePort}`;
  }
  const apiArgs = [
    '--storage',
    storage,
    '--bind-address',
    opts.bindAddress,
    '--port',
    String(opts.apiPort),
    '--grpc-port',
    String(opts.grpcPort),
    '--kubeconfig-out',
    kubeconfig,
  ];
  const tokens = existsSync(paths.tokens) ? readTokens(paths.tokens) : undefined;
  if (tokens)
    apiArgs.push('--token-auth-file', paths.tokens, '--kubeconfig-user', ADMIN_USER, '--anonymous-local');
  if (opts.defaultNotReadyTolerationSeconds !== undefined)
    apiArgs.push('--default-not-ready-toleration-seconds', String(opts.defaultNotReadyTolerationSeconds));
  if (opts.defaultUnreachableTolerationSeconds !== undefined)
    apiArgs.push(
      '--default-unreachable-toleration-seconds',
      String(opts.defaultUnreachableTolerationSeconds),
    );
  controlPlane.push(comp('apiserver', binCommand('apiserver', 'keelson-apiserver', apiArgs)));
  const url = `http://${opts.bindAddress}:${opts.apiPort}`;
  await waitFor(
    'keelson-apiserver',
    async () => (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) })).ok,
  );
  const clientset = createClientset({
    grpcAddress: `${opts.bindAddress}:${opts.grpcPort}`,
    token: tokens?.admin,
  });
  try {
    await ensureDnsService(clientset, { dnsServiceIP: DNS_SERVICE_IP, dnsListenIP: state.dnsAddress });
    await ensureClusterInfo(clientset, { url, grpcAddress: `${opts.bindAddress}:${opts.grpcPort}` });
  } finally {
    clientset.close();
  }
  const cmArgs = [
    '--kubeconfig',
    kubeconfig,
    '--secure-port',
    String(CONTROLLER_MANAGER_PORT),
    '--bind-address',
    CONTROL_PLANE_HEALTH_HOST,
  ];
  // local-path volumes live in each node's data dir (removed by `keelson down --purge`)
  cmArgs.push('--local-path-storage-dir', join(paths.node('{node}'), 'storage'));
  if (opts.nodeMonitorGracePeriodMs !== undefined)
    cmArgs.push('--node-monitor-grace-period', `${opts.nodeMonitorGracePeriodMs}ms`);
  if (opts.defaultNotReadyTolerationSeconds !== undefined)
    cmArgs.push('--default-not-ready-toleration-seconds', String(opts.defaultNotReadyTolerationSeconds));
  if (opts.defaultUnreachableTolerationSeconds !== undefined)
    cmArgs.push('--default-unreachable-toleration-seconds', String(opts.defaultUnreachableTolerationSeconds));
  controlPlane.push(
    comp('controller-manager', binCommand('controllers', 'keelson-controller-manager', cmArgs)),
  );
  controlPlane.push(
    comp(
      'scheduler',
      binCommand('scheduler', 'keelson-scheduler', [
        '--kubeconfig',
        kubeconfig,
        '--secure-port',
        String(SCHEDULER_PORT),
        '--bind-address',
        CONTROL_PLANE_HEALTH_HOST,
      ]),
    ),
  );
  controlPlane.push(
    comp(
      'dns',
      binCommand('dns', 'keelson-dns', [
        '--kubeconfig',
        kubeconfig,
        '--listen',
        `${state.dnsAddress}:53`,
        '--cluster-domain',
        CLUSTER_DOMAIN,
        '--health-port',
        String(DNS_HEALTH_PORT),
        '--metrics-port',
        String(DNS_METRICS_PORT),
      ]),
    ),
  );

  const startNode = async (node: NodeState) => {
    const root = paths.node(node.name);
    const inNs = (argv: string[]) =>
      node.netns ? ['nsenter', `--net=/var/run/netns/${node.netns}`, '--', ...argv] : argv;
    const cgroupRoot = `/keelson-${state.id}/${node.name}`;
    const parts: Array<Pick<Component, 'stop'>> = [];
    let endpoint = `unix://${paths.criSocket(node.name)}`;
    const kubeletRuntimeArgs: string[] = [];
    if (state.runtime === 'containerd') {
      // The node's containerd, supervised, in its network namespace; removes its pods on down.
      const ctd = await startContainerd({
        name: `containerd-${node.name}`,
        nodeDir: root,
        cgroupRoot,
        images: [pauseImageDir(paths.dataDir), ...localImages(paths.images)],
        ociRuntime: opts.ociRuntime as 'auto' | 'crun' | 'runc',
        prefix: inNs([]),
        logFile: paths.log(`containerd-${node.name}`),
        log,
      });
      parts.push({ stop: () => ctd.stop(existsSync(join(paths.dataDir, 'stopping'))) });
      endpoint = ctd.endpoint;
      kubeletRuntimeArgs.push('--cni-conf-dir', ctd.layout.cniConfDir, '--cgroup-root', cgroupRoot);
    } else {
      const runtimeRoot = join(root, 'runtime');
      // Local images into the runtime's store before it serves (its bin's `import` subcommand).
      if (existsSync(paths.images)) {
        for (const image of readdirSync(paths.images)) {
          const [cmd, ...args] = binCommand('cri-runtime', 'keelson-cri', [
            '--root',
            runtimeRoot,
            'import',
            join(paths.images, image),
          ]);
          spawnSync(cmd, args, { stdio: 'ignore' });
        }
      }
      const socket = paths.criSocket(node.name);
      parts.push(
        comp(
          `cri-${node.name}`,
          inNs(
            binCommand('cri-runtime', 'keelson-cri', [
              '--root',
              runtimeRoot,
              '--listen',
              `unix://${socket}`,
              '--oci-runtime',
              opts.ociRuntime,
              '--cgroup-root',
              cgroupRoot,
            ]),
          ),
        ),
      );
      await waitFor(`CRI socket of ${node.name}`, async () => existsSync(socket));
    }
    parts.push(
      comp(
        `kubelet-${node.name}`,
        inNs(
          binCommand('kubelet', 'keelson-kubelet', [
            '--kubeconfig',
            kubeconfig,
            '--node-name',
            node.name,
            '--container-runtime-endpoint',
            endpoint,
            ...kubeletRuntimeArgs,
            '--root-dir',
            join(root, 'kubelet'),
            '--pod-cidr',
            node.podCIDR,
            '--cluster-dns',
            DNS_SERVICE_IP,
            '--cluster-domain',
            CLUSTER_DOMAIN,
            '--node-ip',
            node.ip,
            '--address',
            node.ip,
            '--port',
            '10250',
            '--healthz-port',
            String(KUBELET_HEALTHZ_PORT),
            '--healthz-bind-address',
            node.ip,
            '--cni-bridge',
            node.bridge,
            '--remove-pods-marker',
            join(paths.dataDir, 'stopping'),
            '--remove-pods-marker',
            removePodsMarker(paths, node.name),
          ]),
        ),
        (pid) =>
          updateState(paths.state, (s) => {
            const n = s.nodes.find((x) => x.name === node.name);
            if (n) n.pid = pid;
          }),
      ),
    );
    parts.push(
      comp(
        `proxy-${node.name}`,
        inNs(
          binCommand('kube-proxy', 'keelson-proxy', [
            '--kubeconfig',
            kubeconfig,
            '--proxy-mode',
            state.proxyMode,
            '--node-name',
            node.name,
            '--cluster-cidr',
            state.clusterCIDR,
            '--table',
            proxyTable(state.id),
            '--healthz-bind-address',
            `${node.ip}:${PROXY_HEALTHZ_PORT}`,
            '--metrics-bind-address',
            `${node.ip}:${PROXY_METRICS_PORT}`,
          ]),
        ),
      ),
    );
    nodes.push({ node, parts });
  };
  for (const node of state.nodes) await startNode(node);
  log.info({ components: controlPlane.length + nodes.length * 3 }, 'split mode: every component started');

  return {
    async stop() {
      const tearDown = existsSync(join(paths.dataDir, 'stopping'));
      // Nodes first: proxy, kubelet (removes its pods when tearing down), then the runtime.
      await Promise.all(nodes.map((n) => stopNode(n, tearDown, state)));
      for (const c of [...controlPlane].reverse()) await c.stop();
    },
    addNode: startNode,
    async removeNode(name: string) {
      const i = nodes.findIndex((n) => n.node.name === name);
      if (i < 0) return;
      const [n] = nodes.splice(i, 1);
      await stopNode(n, true, state);
    },
  };
}

/** Stops one node's components: proxy, kubelet (removing its pods when `tearDown`), runtime. */
async function stopNode(
  { node, parts }: { node: NodeState; parts: Array<Pick<Component, 'stop'>> },
  tearDown: boolean,
  state: ClusterState,
): Promise<void> {
  const [cri, kubelet, proxy] = parts;
  await proxy.stop();
  if (tearDown) {
    const argv = binCommand('kube-proxy', 'keelson-proxy', [
      '--cleanup',
      '--table',
      proxyTable(state.id),
      '--proxy-mode',
      state.proxyMode,
    ]);
    const [cmd, ...args] = node.netns
      ? ['nsenter', `--net=/var/run/netns/${node.netns}`, '--', ...argv]
      : argv;
    spawnSync(cmd, args, { stdio: 'ignore' });
  }
  await kubelet.stop(120_000);
  await cri.stop();
}
