/**
 * kube-proxy wired to the cluster: informers on Services and EndpointSlices feed a
 * {@link Proxier} driving the chosen backend. The first sync happens once both caches synced.
 */
import type { EndpointSlice, Service } from '@keelson/api';
import type { Registry } from 'prom-client';
import {
  createMetricsRegistry,
  InformerFactory,
  objectFromDelete,
  type Clientset,
  type HealthHandlerOptions,
} from '@keelson/client';
import type { ProxyBackend } from './backend';
import { NftablesBackend } from './nftables/backend';
import { IptablesBackend } from './iptables/backend';
import { Proxier } from './proxier';
import { ProxyConfigError } from './errors';

/** Minimal logger shape (pino-compatible). */
export interface ProxyLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  nodeName: string;
  /** "nftables" (default) or "iptables". */
  mode?: 'nftables' | 'iptables';
  /** nft table name (nftables mode), default "keelson-proxy". */
  table?: string;
  /** Cluster pod CIDR: ClusterIP traffic from outside it is masqueraded. */
  clusterCIDR?: string;
  masqueradeAll?: boolean;
  /** Network namespace to program (default: the current one). */
  netns?: string;
  /** Least time between syncs, ms (default 1000). */
  minSyncPeriodMs?: number;
  log?: ProxyLogger;
  /** Registry for the proxy's metrics (default: a new one with the process metrics). */
  registry?: Registry;
}

/** A running proxy. */
export interface RunningProxy {
  proxier: Proxier;
  backend: ProxyBackend;
  /**
   * What its health and metrics servers serve (@keelson/client serveHealth): check `proxier`
   * (the first full sync was applied) and the metrics `kubeproxy_sync_proxy_rules_duration_seconds`
   * and `kubeproxy_sync_proxy_rules_last_timestamp_seconds`.
   */
  health: HealthHandlerOptions & { registry: Registry };
  /** Stops watching; with `cleanup`, also removes every rule it created. */
  stop(cleanup?: boolean): Promise<void>;
}

/** The backend for a mode. @throws ProxyConfigError for an unknown mode */
export function makeBackend(
  opts: Pick<ProxyOptions, 'mode' | 'table' | 'clusterCIDR' | 'masqueradeAll' | 'netns'>,
): ProxyBackend {
  const target = { netns: opts.netns };
  switch (opts.mode ?? 'nftables') {
    case 'nftables':
      return new NftablesBackend(
        {
          table: opts.table ?? 'keelson-proxy',
          clusterCIDR: opts.clusterCIDR,
          masqueradeAll: opts.masqueradeAll,
        },
        target,
      );
    case 'iptables':
      return new IptablesBackend(
        { clusterCIDR: opts.clusterCIDR, masqueradeAll: opts.masqueradeAll },
        target,
      );
    default:
      throw new ProxyConfigError(`unknown proxy mode "${opts.mode}": want nftables or iptables`);
  }
}

/** Starts the proxy: waits for the caches, applies the first full sync, then follows changes. */
export async function startProxy(opts: ProxyOptions, clientset: Clientset): Promise<RunningProxy> {
  const backend = makeBackend(opts);
  const proxier = new Proxier(backend, {
    nodeName: opts.nodeName,
    minSyncPeriodMs: opts.minSyncPeriodMs,
    registry: opts.registry ?? createMetricsRegistry(),
    onError: (err) => opts.log?.warn({ err: err.message }, 'sync failed; will retry'),
  });
  const factory = new InformerFactory(clientset, {
    informerOptions: { onError: (err) => opts.log?.warn({ err: String(err) }, 'informer error') },
  });
  const services = factory.informerFor<Service>('services');
  const slices = factory.informerFor<EndpointSlice>('endpointslices');
  services.addEventHandler({
    onAdd: (s) => proxier.onService(s),
    onUpdate: (_o, s) => proxier.onService(s),
    onDelete: (s) => proxier.onServiceDeleted(objectFromDelete(s)),
  });
  slices.addEventHandler({
    onAdd: (s) => proxier.onEndpointSlice(s),
    onUpdate: (_o, s) => proxier.onEndpointSlice(s),
    onDelete: (s) => proxier.onEndpointSliceDeleted(objectFromDelete(s)),
  });
  factory.start();
  await factory.waitForCacheSync();
  proxier.requestSync();
  await proxier.synced();
  opts.log?.info({ mode: backend.mode, node: opts.nodeName }, 'proxy rules synced');
  return {
    proxier,
    backend,
    health: {
      registry: proxier.metrics,
      checks: [
        {
          name: 'proxier',
          check: () => {
            if (proxier.syncCount === 0) throw new Error('proxy rules not synced yet');
          },
        },
      ],
    },
    async stop(cleanup = false) {
      factory.shutdown();
      await proxier.stop();
      if (cleanup) await backend.cleanup();
    },
  };
}
