/**
 * One node's agents in one process: the CRI runtime (its own gRPC server on a unix socket, as a
 * separate runtime would be), the kubelet talking to it over that socket, and kube-proxy.
 * Local images (busybox, node) are imported into the runtime before the kubelet starts.
 */
import { existsSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { clientsetFromKubeconfig, serveHealth, type HealthServer } from '@keelson/client';
import { startCriServer } from '@keelson/cri-runtime';
import { startKubelet } from '@keelson/kubelet';
import { startProxy } from '@keelson/kube-proxy';
import type { Logger } from 'pino';
import type { ClusterPaths } from './paths';
import type { NodeState } from './state';
import { componentLogger } from './logger';
import { KUBELET_HEALTHZ_PORT, KUBELET_PORT, PROXY_HEALTHZ_PORT, PROXY_METRICS_PORT } from './endpoints';
import { pauseImageDir, startContainerd, type RunningContainerd } from './containerd';

/** Options of {@link startNodeAgent}. */
export interface NodeAgentOptions {
  paths: ClusterPaths;
  node: NodeState;
  clusterId: string;
  clusterCIDR: string;
  dnsServiceIP: string;
  clusterDomain: string;
  proxyMode: 'nftables' | 'iptables';
  ociRuntime?: 'auto' | 'crun' | 'runc';
  /** `containerd`: a containerd of this node (spawned and supervised here) instead of keelson-cri. */
  runtime?: 'keelson' | 'containerd';
  log: Logger;
}

/** Running node agents. */
export interface RunningNodeAgent {
  /** Stops the agents; with `removePods`, also stops and removes every pod sandbox and the proxy rules. */
  stop(removePods: boolean): Promise<void>;
}

/** The nft table / chain prefix owned by this cluster's proxies. */
export const proxyTable = (clusterId: string) => `keelson-${clusterId}`;

/** Starts runtime, kubelet and proxy for one node. */
export async function startNodeAgent(opts: NodeAgentOptions): Promise<RunningNodeAgent> {
  const { paths, node } = opts;
  const root = paths.node(node.name);
  mkdirSync(root, { recursive: true });
  const cgroupRoot = `/keelson-${opts.clusterId}/${node.name}`;
  let ctd: RunningContainerd | undefined;
  let cri: Awaited<ReturnType<typeof startCriServer>> | undefined;
  if (opts.runtime === 'containerd') {
    ctd = await startContainerd({
      name: `containerd-${node.name}`,
      nodeDir: root,
      cgroupRoot,
      images: [pauseImageDir(paths.dataDir), ...localImages(paths.images)],
      ociRuntime: opts.ociRuntime,
      logFile: paths.log(`containerd-${node.name}`),
      log: opts.log,
    });
  } else {
    const criLog = componentLogger(`cri-${node.name}`, paths.log(`cri-${node.name}`));
    cri = await startCriServer({
      root: join(root, 'runtime'),
      listen: `unix://${paths.criSocket(node.name)}`,
      ociRuntime: opts.ociRuntime ?? 'auto',
      cgroupRoot,
      log: (msg) => criLog.info(msg),
    });
    await importImages(cri.runtime.images, paths.images, opts.log);
  }

  const clientset = clientsetFromKubeconfig(paths.kubeconfig);
  const kubelet = await startKubelet(
    {
      nodeName: node.name,
      containerRuntimeEndpoint: ctd?.endpoint ?? `unix://${paths.criSocket(node.name)}`,
      // containerd runs CNI itself from this dir (the kubelet writes the conflist, sees the pod
      // IP in PodSandboxStatus and skips its own CNI step) and places pods under cgroupRoot.
      ...(ctd ? { cniConfDir: ctd.layout.cniConfDir, cgroupRoot } : {}),
      podCidr: node.podCIDR,
      clusterDns: [opts.dnsServiceIP],
      clusterDomain: opts.clusterDomain,
      rootDir: join(root, 'kubelet'),
      nodeIp: node.ip,
      address: node.ip,
      port: KUBELET_PORT,
      healthzPort: KUBELET_HEALTHZ_PORT,
      healthzBindAddress: node.ip,
      cniBridge: node.bridge,
      logger: componentLogger(`kubelet-${node.name}`, paths.log(`kubelet-${node.name}`)),
    },
    clientset,
  );
  const proxy = await startProxy(
    {
      nodeName: node.name,
      mode: opts.proxyMode,
      table: proxyTable(opts.clusterId),
      clusterCIDR: opts.clusterCIDR,
      log: componentLogger(`proxy-${node.name}`, paths.log(`proxy-${node.name}`)),
    },
    clientset,
  );
  // kube-proxy's healthz and metrics servers; a port taken by something else is logged, not fatal.
  const proxyServers: HealthServer[] = [];
  for (const port of [PROXY_HEALTHZ_PORT, PROXY_METRICS_PORT]) {
    try {
      proxyServers.push(await serveHealth({ host: node.ip, port, ...proxy.health }));
    } catch (err) {
      opts.log.warn({ component: 'proxy', port, err: String(err) }, 'health server not started');
    }
  }
  opts.log.info({ node: node.name }, 'node agents up');

  return {
    async stop(removePods: boolean) {
      await Promise.all(proxyServers.map((s) => s.close()));
      await proxy.stop(removePods).catch((e) => opts.log.warn({ err: String(e) }, 'proxy stop'));
      // With removePods the kubelet tears pods down itself (CNI DEL included).
      await kubelet.stop({ removePods }).catch((e) => opts.log.warn({ err: String(e) }, 'kubelet stop'));
      if (removePods && cri) {
        // Anything the kubelet did not own (e.g. sandboxes of pods deleted while it was down).
        for (const sb of cri.runtime.listPodSandbox()) {
          await cri.runtime.stopPodSandbox(sb.id).catch(() => undefined);
          await cri.runtime.removePodSandbox(sb.id).catch(() => undefined);
        }
      }
      await cri?.close();
      await ctd?.stop(removePods).catch((e) => opts.log.warn({ err: String(e) }, 'containerd stop'));
      clientset.close();
    },
  };
}

/** The OCI layouts under `dir` (the images built at `keelson up` and imported by users). */
export function localImages(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
}

/** Imports every OCI layout under `dir` (built at `keelson up`) that the store does not have yet. */
async function importImages(
  store: { importImage(path: string, ref?: string): Promise<unknown> },
  dir: string,
  log: Logger,
): Promise<void> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    try {
      await store.importImage(join(dir, name));
    } catch (err) {
      log.warn({ image: name, err: String(err) }, 'image import failed');
    }
  }
}
