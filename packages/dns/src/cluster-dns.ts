/**
 * Cluster DNS wired to the cluster: informers on Services and EndpointSlices keep a
 * {@link ClusterDns} current (a change is answered as soon as its watch event arrives), a
 * {@link DnsServer} serves it over UDP and TCP, and an HTTP endpoint serves `/healthz`,
 * `/readyz` (informers synced) and Prometheus `/metrics`.
 */
import http from 'node:http';
import type { EndpointSlice, Service } from '@keelson/api';
import { InformerFactory, objectFromDelete, type Clientset } from '@keelson/client';
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
  /** Port of the health/metrics HTTP server on 127.0.0.1 (0: any; undefined: none). */
  healthPort?: number;
  log?: DnsLogger;
}

/** A running cluster DNS. */
export interface RunningClusterDns {
  server: DnsServer;
  records: ClusterDns;
  /** The health server's port, when enabled. */
  healthPort?: number;
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
  const server = new DnsServer({ records, forwarder: new Forwarder({ upstreams }) });

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

  let health: http.Server | undefined;
  try {
    await factory.waitForCacheSync();
    await server.listen(opts.listen);
    if (opts.healthPort !== undefined) {
      health = http.createServer((req, res) => {
        if (req.url === '/healthz') return void res.end('ok');
        if (req.url === '/readyz') {
          const ready = services.hasSynced() && slices.hasSynced();
          res.statusCode = ready ? 200 : 503;
          return void res.end(ready ? 'ok' : 'informers not synced');
        }
        if (req.url === '/metrics') {
          void server.metrics.metrics().then((text) => {
            res.setHeader('content-type', server.metrics.contentType);
            res.end(text);
          });
          return;
        }
        res.statusCode = 404;
        res.end('not found');
      });
      await new Promise<void>((resolve, reject) => {
        health!.once('error', reject);
        health!.listen(opts.healthPort, '127.0.0.1', () => resolve());
      });
    }
  } catch (err) {
    factory.shutdown();
    await server.close();
    throw err;
  }
  opts.log?.info({ listen: opts.listen, upstreams }, 'cluster DNS serving');
  return {
    server,
    records,
    healthPort: health ? (health.address() as { port: number }).port : undefined,
    async stop() {
      factory.shutdown();
      await server.close();
      await new Promise<void>((r) => (health ? health.close(() => r()) : r()));
    },
  };
}
