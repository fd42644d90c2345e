/**
 * Cluster DNS wired to the cluster: informers on Services and EndpointSlices keep a
 * {@link ClusterDns} current (a change is answered as soon as its watch event arrives), a
 * {@link DnsServer} serves it over UDP and TCP, and HTTP endpoints (@keelson/client serveHealth)
 * serve `/healthz`, `/readyz` (informers synced) and Prometheus `/metrics` on the health port
 * (CoreDNS `health` plugin: 8080), and `/metrics` on the metrics port (CoreDNS `prometheus`: 9153).
 */
import type { EndpointSlice, Service } from '@keelson/api';
import {
  createMetricsRegistry,
  InformerFactory,
  objectFromDelete,
  serveHealth,
  type Clientset,
  type HealthHandlerOptions,
  type HealthServer,
} from '@keelson/client';
import { ClusterDns } from './records';
import { DnsServer, type ListenAddress } from './server';
import { Forwarder, parseUpstream, upstreamsFromResolvConf } from './forwarder';

/** Minimal logger shape (pino-compatible). */
export interface DnsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of {@link startClusterDns}. */
export interface StartClusterDnsOptions {
  listen: ListenAddress;
  /** Default "cluster.local". */
  clusterDomain?: string;
  /** TTL of answers, seconds (default 30). */
  ttl?: number;
  /** Upstream resolvers "IP[:PORT]"; default: the nameservers of /etc/resolv.conf. */
  upstreams?: string[];
  /** resolv.conf read when `upstreams` is not given (default /etc/resolv.conf). */
  resolvConf?: string;
  /** Port of the health/metrics HTTP server (0: any; undefined: none). */
  healthPort?: number;
  /** Port of the metrics HTTP server (0: any; undefined: none). */
  metricsPort?: number;
  /** Address of the health and metrics servers (default 127.0.0.1). */
  healthHost?: string;
  log?: DnsLogger;
}

/** A running cluster DNS. */
export interface RunningClusterDns {
  server: DnsServer;
  records: ClusterDns;
  /** The health server's port, when enabled. */
  healthPort?: number;
  /** The metrics server's port, when enabled. */
  metricsPort?: number;
  /** What its health servers serve (readiness `informer-sync`, the DNS metrics), to serve elsewhere too. */
  health: HealthHandlerOptions;
  stop(): Promise<void>;
}

/**
 * Starts cluster DNS: syncs informers, then listens.
 * @throws the bind error (e.g. EADDRINUSE) or a DnsConfigError for a bad upstream
 */
export async function startClusterDns(
  opts: StartClusterDnsOptions,
  clientset: Clientset,
): Promise<RunningClusterDns> {
  const records = new ClusterDns({ zone: opts.clusterDomain ?? 'cluster.local', ttl: opts.ttl });
  const upstreams = opts.upstreams?.map(parseUpstream) ?? upstreamsFromResolvConf(opts.resolvConf);
  const server = new DnsServer({
    records,
    forwarder: new Forwarder({ upstreams }),
    registry: createMetricsRegistry(),
  });

  const factory = new InformerFactory(clientset, {
    informerOptions: { onError: (err) => opts.log?.warn({ err: String(err) }, 'informer error') },
  });
  const services = factory.informerFor<Service>('services');
  const slices = factory.informerFor<EndpointSlice>('endpointslices');
  services.addEventHandler({
    onAdd: (s) => records.upsertService(s),
    onUpdate: (_o, s) => records.upsertService(s),
    onDelete: (s) => records.deleteService(objectFromDelete(s)),
  });
  slices.addEventHandler({
    onAdd: (s) => records.upsertSlice(s),
    onUpdate: (o, s) => {
      if (
        o.metadata.labels?.['kubernetes.io/service-name'] !==
        s.metadata.labels?.['kubernetes.io/service-name']
      )
        records.deleteSlice(o);
      records.upsertSlice(s);
    },
    onDelete: (s) => records.deleteSlice(objectFromDelete(s)),
  });
  factory.start();

  const healthOptions: HealthHandlerOptions = {
    registry: server.metrics,
    readyChecks: [
      {
        name: 'informer-sync',
        check: () => {
          if (!services.hasSynced() || !slices.hasSynced()) throw new Error('informers not synced');
        },
      },
    ],
  };
  const serve = { host: opts.healthHost ?? '127.0.0.1', ...healthOptions };
  let health: HealthServer | undefined;
  let metrics: HealthServer | undefined;
  try {
    await factory.waitForCacheSync();
    await server.listen(opts.listen);
    if (opts.healthPort !== undefined) health = await serveHealth({ ...serve, port: opts.healthPort });
    if (opts.metricsPort !== undefined) metrics = await serveHealth({ ...serve, port: opts.metricsPort });
  } catch (err) {
    factory.shutdown();
    await server.close();
    await health?.close();
    throw err;
  }
  opts.log?.info({ listen: opts.listen, upstreams }, 'cluster DNS serving');
  return {
    server,
    records,
    healthPort: health?.port,
    metricsPort: metrics?.port,
    health: healthOptions,
    async stop() {
      factory.shutdown();
      await server.close();
      await health?.close();
      await metrics?.close();
    },
  };
}
