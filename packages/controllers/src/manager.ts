/**
 * The controller manager (kube-controller-manager): shares one set of informers among the
 * selected controllers, optionally waits to win a Lease, then runs every controller's workers.
 */
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import {
  createMetricsRegistry,
  EventRecorder,
  LeaderElector,
  realClock,
  registerWorkqueueMetrics,
  RateLimitingQueue,
  type Clientset,
  type Clock,
  type HealthHandlerOptions,
} from '@keelson/client';
import { InvalidArgumentError } from './errors';
import type { Controller, ControllerContext, Logger } from './runtime/controller';
import { silentLogger } from './runtime/controller';
import type { InformerSource } from './runtime/informer';
import { FactoryInformerSource } from './runtime/client-informers';
import { ReplicaSetController } from './replicaset/replicaset-controller';
import { DeploymentController } from './deployment/deployment-controller';
import { EndpointSliceController } from './endpoints/endpointslice-controller';
import { EndpointsController } from './endpoints/endpoints-controller';
import { NamespaceController } from './namespace/namespace-controller';
import { ServiceAccountsController } from './serviceaccount/serviceaccounts-controller';
import { GarbageCollector } from './gc/garbage-collector';
import { PodGCController } from './gc/pod-gc';
import { NodeLifecycleController } from './nodelifecycle/node-lifecycle-controller';
import { JobController } from './job/job-controller';
import { CronJobController } from './cronjob/cronjob-controller';
import { StatefulSetController } from './statefulset/statefulset-controller';
import { DaemonSetController } from './daemonset/daemonset-controller';
import { DisruptionController } from './disruption/disruption-controller';
import { PersistentVolumeController } from './volume/pv-controller';
import { LocalPathProvisioner } from './volume/local-path-provisioner';
import { PvProtectionController, PvcProtectionController } from './volume/protection';

/** Options of {@link startControllerManager}. Durations in ms unless the name says seconds. */
export interface ControllerManagerOptions {
  /**
   * Which controllers to run, as kube-controller-manager's --controllers: "*" for all (default),
   * names to enable, "-name" to disable, e.g. ["*", "-nodelifecycle"].
   */
  controllers?: string[];
  /**
   * Campaign for the Lease kube-system/kube-controller-manager (@keelson/client LeaderElector)
   * before running (default false). On lost leadership the controllers stop and the manager
   * campaigns again.
   */
  leaderElect?: boolean;
  /** Lease name (default "kube-controller-manager") and namespace (default "kube-system"). */
  leaderElectionName?: string;
  leaderElectionNamespace?: string;
  /** Candidate identity (default `<hostname>_<pid>`). */
  identity?: string;
  /** Lease duration, ms (default 15 000). */
  leaseDurationMs?: number;
  /** Renew deadline, ms (default 10 000); must be < leaseDurationMs. */
  renewDeadlineMs?: number;
  /** Retry period, ms (default 2 000); retryPeriodMs · 1.2 must be < renewDeadlineMs. */
  retryPeriodMs?: number;
  /** Workers per controller (default 5, upstream's --concurrent-*-syncs). */
  workers?: number;
  /** --node-monitor-grace-period, ms (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** --node-monitor-period, ms (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /** --default-not-ready-toleration-seconds (default 300). */
  defaultNotReadyTolerationSeconds?: number;
  /** --default-unreachable-toleration-seconds (default 300). */
  defaultUnreachableTolerationSeconds?: number;
  /** --terminated-pod-gc-threshold (default 12500). */
  terminatedPodGCThreshold?: number;
  /** Job pod-failure backoff base, ms (default 10 s; tests shorten it). */
  jobBackoffBaseMs?: number;
  /** Job backoff cap, ms (default 6 min). */
  jobBackoffMaxMs?: number;
  /**
   * Directory of local-path volumes on every node, `{node}` replaced by the node name
   * (default /var/lib/keelson/storage; see LocalPathProvisioner).
   */
  localPathStorageDir?: string;
  clock?: Clock;
  log?: Logger;
  /** Replaces the informers (tests). */
  informers?: InformerSource;
  /** Registry for the manager's metrics (default: a new one with the process metrics). */
  registry?: Registry;
}

/** A running controller manager. */
export interface ControllerManagerHandle {
  /** Stops controllers, informers and leader election (releasing the Lease). */
  stop(): Promise<void>;
  /** True while controllers are running (leader, or leader election off). */
  isLeader(): boolean;
  /** Names of the enabled controllers. */
  readonly controllers: string[];
  /**
   * What its health server serves (@keelson/client serveHealth): readiness `informer-sync`
   * (passes unless the controllers' informers are still syncing) and the work queue metrics
   * `workqueue_depth{name}`, `workqueue_adds_total{name}`, `workqueue_retries_total{name}`,
   * one queue per running controller, named after it.
   */
  readonly health: HealthHandlerOptions & { registry: Registry };
}

/** A controller factory registered under an upstream controller name. */
export type ControllerFactory = (ctx: ControllerContext, opts: ControllerManagerOptions) => Controller;

/** Every known controller, by kube-controller-manager name. */
export const controllerFactories: Record<string, ControllerFactory> = {
  replicaset: (ctx) => new ReplicaSetController(ctx),
  deployment: (ctx) => new DeploymentController(ctx),
  endpoints: (ctx) => new EndpointsController(ctx),
  endpointslice: (ctx) => new EndpointSliceController(ctx),
  namespace: (ctx) => new NamespaceController(ctx),
  serviceaccount: (ctx) => new ServiceAccountsController(ctx),
  garbagecollector: (ctx) => new GarbageCollector(ctx),
  nodelifecycle: (ctx, o) =>
    new NodeLifecycleController(ctx, {
      gracePeriodMs: o.nodeMonitorGracePeriodMs,
      monitorPeriodMs: o.nodeMonitorPeriodMs,
      defaultTolerationSeconds: {
        notReady: o.defaultNotReadyTolerationSeconds,
        unreachable: o.defaultUnreachableTolerationSeconds,
      },
    }),
  job: (ctx, o) =>
    new JobController(ctx, { backoffBaseMs: o.jobBackoffBaseMs, backoffMaxMs: o.jobBackoffMaxMs }),
  cronjob: (ctx) => new CronJobController(ctx),
  statefulset: (ctx) => new StatefulSetController(ctx),
  daemonset: (ctx) => new DaemonSetController(ctx),
  podgc: (ctx, o) => new PodGCController(ctx, { terminatedPodThreshold: o.terminatedPodGCThreshold }),
  disruption: (ctx) => new DisruptionController(ctx),
  'persistentvolume-binder': (ctx) => new PersistentVolumeController(ctx),
  'local-path-provisioner': (ctx, o) => new LocalPathProvisioner(ctx, { storageDir: o.localPathStorageDir }),
  'pvc-protection': (ctx) => new PvcProtectionController(ctx),
  'pv-protection': (ctx) => new PvProtectionController(ctx),
};

/** Resolves a --controllers list against the known names. Throws InvalidArgumentError on unknown names. */
export function resolveControllers(
  spec: string[] | undefined,
  known: string[] = Object.keys(controllerFactories),
): string[] {
  const items = (spec && spec.length ? spec : ['*'])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const on = new Set<string>();
  for (const it of items) {
    const name = it.startsWith('-') ? it.slice(1) : it;
    if (name !== '*' && !known.includes(name))
      throw new InvalidArgumentError(`unknown controller "${name}"; known: ${known.join(', ')}`);
  }
  if (items.includes('*')) for (const k of known) on.add(k);
  for (const it of items) {
    if (it === '*') continue;
    if (it.startsWith('-')) on.delete(it.slice(1));
    else on.add(it);
  }
  return known.filter((k) => on.has(k));
}

/**
 * Starts the controller manager on `clientset`. Resolves once informers are started (and, with
 * leader election, once campaigning has begun — controllers start when the Lease is won).
 * Throws InvalidArgumentError for unknown controller names, and for leader-election durations
 * @keelson/client's LeaderElector rejects (it needs leaseDuration > renewDeadline > retryPeriod · 1.2).
 */
export async function startControllerManager(
  opts: ControllerManagerOptions,
  clientset: Clientset,
): Promise<ControllerManagerHandle> {
  const names = resolveControllers(opts.controllers);
  const clock = opts.clock ?? realClock;
  const log = opts.log ?? silentLogger;
  let informers: InformerSource | undefined;
  let running: Controller[] = [];
  let leader = false;
  let starting: Promise<void> | undefined;
  let syncing = false;
  const registry = opts.registry ?? createMetricsRegistry();
  registerWorkqueueMetrics(registry, () =>
    running.flatMap((c) => {
      const queue = (c as { queue?: unknown }).queue;
      return queue instanceof RateLimitingQueue ? [{ name: c.name, queue }] : [];
    }),
  );

  const startControllers = async () => {
    informers =
      opts.informers ??
      new FactoryInformerSource(clientset, {
        onError: (e) => log.debug?.({ err: String(e) }, 'informer error'),
      });
    const ctx: ControllerContext = {
      client: clientset,
      informers,
      recorder: (component) =>
        new EventRecorder(clientset, {
          component,
          clock,
          onError: (e) => log.debug?.({ err: String(e) }, 'event write failed'),
        }),
      clock,
      log,
    };
    running = names.map((n) => controllerFactories[n]!(ctx, opts));
    informers.start();
    syncing = true;
    try {
      await informers.waitForSync();
    } finally {
      syncing = false;
    }
    for (const c of running) c.run(opts.workers ?? 5);
    leader = true;
    log.info({ controllers: names }, 'controllers started');
  };
  const stopControllers = async () => {
    leader = false;
    const cs = running;
    running = [];
    informers?.stop();
    await Promise.all(cs.map((c) => c.stop()));
  };

  // Leader election is @keelson/client's LeaderElector. One elector campaigns once and resolves
  // when its leadership ends; upstream kube-controller-manager then exits, while this manager
  // stops its controllers and campaigns again with a fresh elector until stop().
  let elector: LeaderElector | undefined;
  let campaigning: Promise<void> | undefined;
  let stopping = false;
  if (opts.leaderElect) {
    const identity = opts.identity ?? `${hostname()}_${process.pid}`;
    const newElector = () =>
      new LeaderElector({
        clientset,
        name: opts.leaderElectionName ?? 'kube-controller-manager',
        namespace: opts.leaderElectionNamespace ?? 'kube-system',
        identity,
        leaseDurationMs: opts.leaseDurationMs,
        renewDeadlineMs: opts.renewDeadlineMs,
        retryPeriodMs: opts.retryPeriodMs,
        clock,
        onError: (e) => log.debug?.({ err: String(e) }, 'leader election error'),
        callbacks: {
          onStartedLeading: () => {
            log.info({}, 'became leader');
            starting = startControllers();
          },
          onStoppedLeading: () => {
            log.warn({}, 'stopped leading; stopping controllers');
            starting = (starting ?? Promise.resolve()).catch(() => undefined).then(stopControllers);
          },
        },
      });
    try {
      // The constructor validates the durations (leaseDuration > renewDeadline > retryPeriod · 1.2).
      elector = newElector();
    } catch (e) {
      throw new InvalidArgumentError(`leader election: ${(e as Error).message}`);
    }
    const campaign = async (first: LeaderElector) => {
      for (let el = first; ; el = elector = newElector()) {
        await el.run();
        await (starting ?? Promise.resolve()).catch(() => undefined);
        if (stopping) return;
      }
    };
    campaigning = campaign(elector);
  } else {
    await startControllers();
  }
  return {
    controllers: names,
    isLeader: () => leader,
    health: {
      registry,
      readyChecks: [
        {
          name: 'informer-sync',
          check: () => {
            if (syncing) throw new Error('informers not synced yet');
          },
        },
      ],
    },
    async stop() {
      stopping = true;
      elector?.stop();
      await campaigning; // the elector releases the Lease when leading
      await (starting ?? Promise.resolve()).catch(() => undefined);
      await stopControllers();
    },
  };
}
