/**
 * startApiServer: storage → watch cache → registry → REST (node:http) and gRPC servers, system
 * namespaces (default, kube-system, kube-public, kube-node-lease), the `kubernetes` Service
 * (first address of the service range) and its Endpoints, periodic compaction, and optionally a
 * kubeconfig file.
 */
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from './bootstrap-policy';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import { resourceForPath, type KubeObject } from '@keelson/api';
import { ApiHandler } from './api-handler';
import { ApiError } from './errors';
import { startGrpcServer } from './grpc/server';
import { writeKubeconfig } from './kubeconfig';
import { loadTokenAuthFile, TokenAuthenticator } from './authn';
import { IpAllocator, PortAllocator } from './registry/allocators';
import { GenericRegistry } from './registry/generic-registry';
import { SYSTEM_NAMESPACES } from './registry/strategies/namespaces';
import { restoreServiceAllocations } from './registry/strategies/services';
import type { StrategyContext } from './registry/strategy';
import { createRestHandler } from './rest/server';
import { ApiServerMetrics } from './rest/metrics';
import { ComponentStatuses } from './component-statuses';
import type { Storage } from './storage/interfaces';
import { openStorage } from './storage/open-storage';
import { WatchCache } from './watch-cache';
import { resourcePrefix } from './keys';

/** Options of {@link startApiServer}. */
export interface ApiServerOptions {
  /** A storage spec (`memory`, `embedded:DIR`, `store:ADDR`, `etcd:URL,...`) or an open Storage. Default `memory`. */
  storage?: string | Storage;
  /** Address both servers listen on (default 127.0.0.1). */
  bindAddress?: string;
  /** REST port (default 0 = any free port). */
  port?: number;
  /** gRPC port (default 0 = any free port). */
  grpcPort?: number;
  /** --default-not-ready-toleration-seconds of the DefaultTolerationSeconds admission plugin (default 300). */
  defaultNotReadyTolerationSeconds?: number;
  /** --default-unreachable-toleration-seconds of the DefaultTolerationSeconds admission plugin (default 300). */
  defaultUnreachableTolerationSeconds?: number;
  /** Service ClusterIP range (default 10.96.0.0/12). */
  serviceClusterIpRange?: string;
  /** NodePort range "min-max" (default 30000-32767). */
  serviceNodePortRange?: string;
  /** Write a kubeconfig here once listening. */
  kubeconfigOut?: string;
  /** Compaction period in ms (default 5 minutes; 0 disables). Each run compacts to the revision seen one period earlier. */
  compactionIntervalMs?: number;
  /** Events the watch cache keeps for resuming watches (default 10,000). */
  watchCacheSize?: number;
  /** Bookmark period in ms (default 10,000). */
  bookmarkIntervalMs?: number;
  /** Clock (default wall clock). */
  now?: () => Date;
  /** REST requests served at once before 429 (default 1000; 0 = no limit). */
  maxRequestsInflight?: number;
  /** Request log hook. */
  onRequest?: (method: string, path: string, code: number, ms: number) => void;
  /**
   * Healthz URLs of the components `kubectl get componentstatuses` reports, by name (upstream:
   * `scheduler`, `controller-manager`), e.g. `{ scheduler: 'http://127.0.0.1:10259/healthz' }`.
   * `etcd-0` (a storage read) is always reported. Default: upstream's fixed addresses,
   * `http://127.0.0.1:10259/healthz` and `http://127.0.0.1:10257/healthz`; `{}` for none.
   */
  componentStatusProbes?: Record<string, string>;
  /**
   * Static token file (upstream `--token-auth-file`, CSV `token,user,uid[,"group1,group2"]`): when
   * set, REST and gRPC requests need `Authorization: Bearer <token>` (health and version stay anonymous).
   */
  tokenAuthFile?: string;
  /** REST requests from this host itself need no token (kubectl sends none over plain HTTP); see RestOptions.anonymousLocal. */
  anonymousLocal?: boolean;
  /** Bearer token written into the kubeconfig of `kubeconfigOut` (`users[].user.token`). */
  kubeconfigToken?: string;
}

/** A running apiserver. */
export interface RunningApiServer {
  restPort: number;
  grpcPort: number;
  /** "http://<bind>:<restPort>" */
  url: string;
  /** "<bind>:<grpcPort>" */
  grpcAddress: string;
  /** The storage in use. */
  storage: Storage;
  /** The protocol-neutral handler (for embedding and tests). */
  handler: ApiHandler;
  /** The watch cache (watcher counts, revision). */
  watchCache: WatchCache;
  /** Stops both servers, the watch cache and compaction, and closes the storage if it was opened here. */
  close(): Promise<void>;
}

function parsePortRange(s: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(s);
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`invalid port range "${s}"`);
  return [Number(m[1]), Number(m[2])];
}

/** Starts the apiserver. Rejects when storage cannot be opened or a port cannot be bound. */
export async function startApiServer(opts: ApiServerOptions = {}): Promise<RunningApiServer> {
  const host = opts.bindAddress ?? '127.0.0.1';
  const authenticator = opts.tokenAuthFile
    ? new TokenAuthenticator(loadTokenAuthFile(opts.tokenAuthFile))
    : undefined;
  const ownsStorage = typeof opts.storage !== 'object';
  const storage =
    typeof opts.storage === 'object' ? opts.storage : await openStorage(opts.storage ?? 'memory');
  const [pmin, pmax] = parsePortRange(opts.serviceNodePortRange ?? '30000-32767');
  const ctx: StrategyContext = {
    now: opts.now ?? (() => new Date()),
    serviceIPs: new IpAllocator(opts.serviceClusterIpRange ?? '10.96.0.0/12'),
    nodePorts: new PortAllocator(pmin, pmax),
  };
  const servicesInfo = resourceForPath('', 'v1', 'services')!;
  const svcPrefix = resourcePrefix(servicesInfo);
  const cache = new WatchCache(storage, {
    historySize: opts.watchCacheSize,
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
    decode: GenericRegistry.decode,
    onEvent: (ev) => {
      // keep allocations in step with services written by other apiservers
      if (ev.key.startsWith(svcPrefix) && ev.type === 'put' && !ev.prev)
        restoreServiceAllocations(ev.obj, ctx);
    },
  });
  await cache.start();
  for (const svc of cache.snapshot(svcPrefix)) restoreServiceAllocations(svc, ctx);
  const registry = new GenericRegistry({
    storage,
    cache,
    ctx,
    admission: {
      defaultNotReadyTolerationSeconds: opts.defaultNotReadyTolerationSeconds,
      defaultUnreachableTolerationSeconds: opts.defaultUnreachableTolerationSeconds,
    },
  });
  const handler = new ApiHandler(
    registry,
    new ComponentStatuses({
      probes: opts.componentStatusProbes ?? {
        scheduler: 'http://127.0.0.1:10259/healthz',
        'controller-manager': 'http://127.0.0.1:10257/healthz',
      },
      storage,
    }),
  );
  const metrics = new ApiServerMetrics();
  let ready = false;
  let restPort = 0;
  const rest = createRestHandler({
    handler,
    serverAddress: () => `${host}:${restPort}`,
    ready: () => ready,
    maxRequestsInflight: opts.maxRequestsInflight,
    onRequest: opts.onRequest,
    metrics,
    authenticator,
    anonymousLocal: opts.anonymousLocal,
  });
  const http: HttpServer = createServer({ keepAliveTimeout: 65000 }, rest.request);
  http.on('upgrade', rest.upgrade);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, host, () => resolve());
  });
  restPort = (http.address() as AddressInfo).port;
  let grpc: { server: GrpcServer; port: number };
  try {
    grpc = await startGrpcServer(handler, host, opts.grpcPort ?? 0, authenticator);
  } catch (err) {
    http.close();
    throw err;
  }
  await bootstrap(registry, ctx, host, restPort);
  ready = true;
  const url = `http://${host}:${restPort}`;
  const grpcAddress = `${host}:${grpc.port}`;
  if (opts.kubeconfigOut)
    await writeKubeconfig(opts.kubeconfigOut, { url, grpcAddress, token: opts.kubeconfigToken });

  let compactTimer: NodeJS.Timeout | undefined;
  const interval = opts.compactionIntervalMs ?? 5 * 60 * 1000;
  if (interval > 0) {
    let lastSeen = 0;
    compactTimer = setInterval(() => {
      const target = lastSeen;
      storage
        .currentRevision()
        .then(async (cur) => {
          lastSeen = cur;
          if (target > 0) await storage.compact(target);
        })
        .catch(() => undefined);
    }, interval);
    compactTimer.unref();
  }

  return {
    restPort,
    grpcPort: grpc.port,
    url,
    grpcAddress,
    storage,
    handler,
    watchCache: cache,
    async close() {
      ready = false;
      if (compactTimer) clearInterval(compactTimer);
      cache.stop();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await new Promise<void>((resolve) => grpc.server.tryShutdown(() => resolve()));
      grpc.server.forceShutdown();
      if (ownsStorage) await storage.close();
    },
  };
}

async function ignoreExists(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
  }
}

/** Creates the system namespaces and the `kubernetes` Service + Endpoints when missing. */
async function bootstrap(
  registry: GenericRegistry,
  ctx: StrategyContext,
  host: string,
  port: number,
): Promise<void> {
  const nsInfo = resourceForPath('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES)
    await ignoreExists(
      registry.create(nsInfo, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    );
  // Bootstrap RBAC policy (not enforced): cluster-admin, admin, edit, view.
  const crInfo = resourceForPath('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  for (const role of bootstrapClusterRoles()) await ignoreExists(registry.create(crInfo, undefined, role));
  const crbInfo = resourceForPath('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings')!;
  for (const b of bootstrapClusterRoleBindings()) await ignoreExists(registry.create(crbInfo, undefined, b));
  const svcInfo = resourceForPath('', 'v1', 'services')!;
  const epInfo = resourceForPath('', 'v1', 'endpoints')!;
  const ip = ctx.serviceIPs.nth(1);
  let existing: (KubeObject & { spec?: any }) | undefined;
  try {
    existing = await registry.get(svcInfo, 'default', 'kubernetes');
  } catch {
    existing = undefined;
  }
  if (!existing)
    await ignoreExists(
      registry.create(svcInfo, 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { component: 'apiserver', provider: 'kubernetes' },
        },
        spec: {
          type: 'ClusterIP',
          clusterIP: ip,
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
          sessionAffinity: 'None',
        },
      }),
    );
  else if (existing.spec?.ports?.[0]?.targetPort !== port)
    // a restart on another port: point the service at it
    await registry.guaranteedUpdate(svcInfo, 'default', 'kubernetes', (cur: any) => {
      cur.spec.ports = [
        { ...(cur.spec.ports?.[0] ?? {}), name: 'https', port: 443, protocol: 'TCP', targetPort: port },
      ];
      return cur;
    });
  const endpoints: KubeObject & { subsets: unknown[] } = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
    },
    subsets: [
      {
        addresses: [{ ip: host === '0.0.0.0' ? '127.0.0.1' : host }],
        ports: [{ name: 'https', port, protocol: 'TCP' }],
      },
    ],
  };
  try {
    await registry.create(epInfo, 'default', endpoints);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
    await registry.guaranteedUpdate(
      epInfo,
      'default',
      'kubernetes',
      (cur) => ({ ...cur, subsets: endpoints.subsets }) as KubeObject,
    );
  }
  // The EndpointSlice too, as upstream's endpoint reconciler writes it: kube-proxy and DNS read slices.
  const sliceInfo = resourceForPath('discovery.k8s.io', 'v1', 'endpointslices')!;
  const address = host === '0.0.0.0' ? '127.0.0.1' : host;
  const slice: KubeObject & Record<string, unknown> = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: {
        'kubernetes.io/service-name': 'kubernetes',
        'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
  try {
    await registry.create(sliceInfo, 'default', slice);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
    await registry.guaranteedUpdate(
      sliceInfo,
      'default',
      'kubernetes',
      (cur) => ({ ...cur, endpoints: slice.endpoints, ports: slice.ports }) as KubeObject,
    );
  }
}
