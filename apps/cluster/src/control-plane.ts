/**
 * The control plane in one process (as k3s runs its server): the store embedded in the
 * apiserver, the apiserver (REST for kubectl + gRPC for components), the controller manager,
 * the scheduler and cluster DNS, each talking to the apiserver over gRPC like any client.
 */
import type { Clientset, HealthHandlerOptions } from '@keelson/client';
import { createClientset, isAlreadyExists, isNotFound, serveHealth } from '@keelson/client';
import { kubeconfigDocument, startApiServer, type RunningApiServer } from '@keelson/apiserver';
import { stringify as stringifyYaml } from 'yaml';
import { startControllerManager } from '@keelson/controllers';
import { startScheduler } from '@keelson/scheduler';
import { startClusterDns } from '@keelson/dns';
import type { Logger } from 'pino';
import type { ClusterPaths } from './paths';
import { componentLogger } from './logger';
import {
  componentStatusProbes,
  CONTROL_PLANE_HEALTH_HOST,
  CONTROLLER_MANAGER_PORT,
  DNS_HEALTH_PORT,
  DNS_METRICS_PORT,
  SCHEDULER_PORT,
} from './endpoints';
import { readTokens } from './tokens';
import { existsSync } from 'node:fs';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  paths: ClusterPaths;
  /** Address the apiserver binds (127.0.0.1 for one node in the host namespace). */
  bindAddress: string;
  apiPort: number;
  grpcPort: number;
  serviceCIDR: string;
  /** The cluster DNS Service ClusterIP (kube-system/kube-dns), e.g. 10.96.0.10. */
  dnsServiceIP: string;
  /** Where the DNS server listens (an address pods reach), port 53. */
  dnsListenIP: string;
  clusterDomain: string;
  /** Controller manager flags, named as upstream's. */
  nodeMonitorGracePeriodMs?: number;
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
  log: Logger;
  /** The apiserver's storage spec; default `embedded:<data-dir>/store` (`store:ADDR,...` with `--store-replicas N`). */
  storage?: string;
}

/** A running control plane. */
export interface RunningControlPlane {
  apiserver: RunningApiServer;
  clientset: Clientset;
  stop(): Promise<void>;
}

/** Starts every control-plane component; stops what started if one fails. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<RunningControlPlane> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e) => opts.log.warn({ err: String(e) }, 'stop failed'));
  };
  // A component's health port taken by something else is logged, not fatal: the component works.
  const serve = async (component: string, port: number, health: HealthHandlerOptions) => {
    try {
      const server = await serveHealth({ host: CONTROL_PLANE_HEALTH_HOST, port, ...health });
      stops.push(() => server.close());
    } catch (err) {
      opts.log.warn({ component, port, err: String(err) }, 'health server not started');
    }
  };
  try {
    const tokens = existsSync(opts.paths.tokens) ? readTokens(opts.paths.tokens) : undefined;
    const apiLog = componentLogger('apiserver', opts.paths.log('apiserver'));
    const apiserver = await startApiServer({
      storage: opts.storage ?? `embedded:${opts.paths.store}`,
      bindAddress: opts.bindAddress,
      port: opts.apiPort,
      grpcPort: opts.grpcPort,
      serviceClusterIpRange: opts.serviceCIDR,
      kubeconfigOut: opts.paths.kubeconfig,
      // Bearer tokens (`keelson up` writes them); the kubeconfig carries the admin token.
      tokenAuthFile: tokens ? opts.paths.tokens : undefined,
      kubeconfigToken: tokens?.admin,
      anonymousLocal: true,
      defaultNotReadyTolerationSeconds: opts.defaultNotReadyTolerationSeconds,
      defaultUnreachableTolerationSeconds: opts.defaultUnreachableTolerationSeconds,
      onRequest: (method, path, code, ms) => apiLog.info({ method, path, code, ms }, 'request'),
      componentStatusProbes: componentStatusProbes(),
    });
    stops.push(() => apiserver.close());
    opts.log.info({ url: apiserver.url, grpc: apiserver.grpcAddress }, 'apiserver up');

    const clientset = createClientset({ grpcAddress: apiserver.grpcAddress, token: tokens?.admin });
    stops.push(async () => clientset.close());
    await ensureDnsService(clientset, opts);
    await ensureClusterInfo(clientset, { url: apiserver.url, grpcAddress: apiserver.grpcAddress });

    const cm = await startControllerManager(
      {
        nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs,
        defaultNotReadyTolerationSeconds: opts.defaultNotReadyTolerationSeconds,
        defaultUnreachableTolerationSeconds: opts.defaultUnreachableTolerationSeconds,
        // local-path volumes live in each node's data dir (removed by `keelson down --purge`)
        localPathStorageDir: `${opts.paths.node('{node}')}/storage`,
        log: componentLogger('controller-manager', opts.paths.log('controller-manager')),
      },
      clientset,
    );
    stops.push(() => cm.stop());
    await serve('controller-manager', CONTROLLER_MANAGER_PORT, cm.health);

    const scheduler = await startScheduler(
      { log: componentLogger('scheduler', opts.paths.log('scheduler')) },
      clientset,
    );
    stops.push(() => scheduler.stop());
    await serve('scheduler', SCHEDULER_PORT, scheduler.health);

    const dns = await startClusterDns(
      {
        listen: { host: opts.dnsListenIP, port: 53 },
        clusterDomain: opts.clusterDomain,
        log: componentLogger('dns', opts.paths.log('dns')),
      },
      clientset,
    );
    stops.push(() => dns.stop());
    await serve('dns', DNS_HEALTH_PORT, dns.health);
    await serve('dns', DNS_METRICS_PORT, dns.health);
    return { apiserver, clientset, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The `kube-public/cluster-info` ConfigMap, as kubeadm publishes it: key `kubeconfig`, a
 * kubeconfig without credentials naming the REST server and (extension `keelson.dev/grpc`) the
 * gRPC address. `keelson node join` reads it to find the gRPC port. Created or brought up to date.
 */
export async function ensureClusterInfo(
  clientset: Clientset,
  server: { url: string; grpcAddress: string },
): Promise<void> {
  const data = { kubeconfig: stringifyYaml(kubeconfigDocument(server)) };
  const cms = clientset.resource('configmaps');
  try {
    const cur = (await cms.get('kube-public', 'cluster-info')) as { data?: Record<string, string> };
    if (cur.data?.kubeconfig === data.kubeconfig) return;
    await cms.update({ ...cur, data } as never);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await cms
      .create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cluster-info', namespace: 'kube-public' },
        data,
      } as never)
      .catch((e) => {
        if (!isAlreadyExists(e)) throw e;
      });
  }
}

/**
 * The kube-dns Service at the DNS ClusterIP, without a selector, and its EndpointSlice and
 * Endpoints pointing at the DNS server's address (the way a node-local DNS is published).
 */
export async function ensureDnsService(
  clientset: Clientset,
  opts: Pick<ControlPlaneOptions, 'dnsServiceIP' | 'dnsListenIP'>,
): Promise<void> {
  const ports = [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ];
  const create = async (
    resource: string,
    obj: { metadata: { namespace: string; name: string; [k: string]: unknown }; [k: string]: unknown },
  ) => {
    const client = clientset.resource(resource);
    try {
      await client.get(obj.metadata.namespace, obj.metadata.name);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await client.create(obj as never);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  };
  await create('services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kube-dns',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' },
    },
    spec: { clusterIP: opts.dnsServiceIP, ports: ports.map((p) => ({ ...p, targetPort: 53 })) },
  });
  await create('endpointslices', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kube-dns-keelson',
      namespace: 'kube-system',
      labels: {
        'kubernetes.io/service-name': 'kube-dns',
        'endpointslice.kubernetes.io/managed-by': 'keelson.dev',
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [opts.dnsListenIP], conditions: { ready: true } }],
    ports,
  });
  await create('endpoints', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kube-dns', namespace: 'kube-system' },
    subsets: [{ addresses: [{ ip: opts.dnsListenIP }], ports }],
  });
}
