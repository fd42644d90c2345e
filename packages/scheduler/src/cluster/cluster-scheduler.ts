/**
 * The scheduler in a cluster: a thin layer over the embeddable core. Informers on Nodes and Pods
 * keep the cache and the scheduling queue current; one loop pops pods, asks the core for a node,
 * assumes the pod, and binds it in the background through `pods/binding`, so the next decision
 * already sees it. Failures become `FailedScheduling` events and a PodScheduled=False condition
 * (reason Unschedulable) as upstream reports them; preemption nominates a node
 * (`status.nominatedNodeName`) and evicts the victims.
 */
import {
  SELECTED_NODE_ANNOTATION,
  type Binding,
  type Node,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  type StorageClass,
} from '@keelson/api';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  createMetricsRegistry,
  EventRecorder,
  type HealthHandlerOptions,
  InformerFactory,
  isConflict,
  isNotFound,
  objectFromDelete,
  type Clientset,
} from '@keelson/client';
import { Scheduler } from '../scheduler';
import type { SchedulerConfiguration } from '../framework/config';
import { FitError } from '../framework/schedule-one';
import type { QueuedPodInfo } from '../framework/interface';
import { CycleState } from '../framework/interface';
import { Code } from '../framework/status';
import { SchedulingQueue } from '../queue/scheduling-queue';

/** Minimal logger shape (pino-compatible). */
export interface SchedulerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of {@link startScheduler}. */
export interface ClusterSchedulerOptions {
  config?: SchedulerConfiguration;
  /** First and longest per-pod backoff after a failed attempt, ms (upstream: 1 s and 10 s). */
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  log?: SchedulerLogger;
  /** Registry for the scheduler's metrics (default: a new one with the process metrics). */
  registry?: Registry;
  /** How long PreBind waits for a WaitForFirstConsumer claim to be bound, ms (upstream bindTimeoutSeconds: 600 s). */
  volumeBindTimeoutMs?: number;
}

/** A running cluster scheduler. */
export interface RunningScheduler {
  scheduler: Scheduler;
  queue: SchedulingQueue;
  /** Pods bound so far. */
  readonly scheduled: number;
  /**
   * What its health server serves (@keelson/client serveHealth): readiness `sched-handler-sync`
   * (informers synced, as upstream) and the metrics `scheduler_schedule_attempts_total{result,profile}`,
   * `scheduler_scheduling_attempt_duration_seconds{result,profile}` and `scheduler_pending_pods{queue}`.
   */
  readonly health: HealthHandlerOptions & { registry: Registry };
  stop(): Promise<void>;
}

const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Starts scheduling every pod whose spec.schedulerName has a profile. */
export async function startScheduler(
  opts: ClusterSchedulerOptions,
  clientset: Clientset,
): Promise<RunningScheduler> {
  const pods = clientset.resource<Pod>('pods');
  const recorder = new EventRecorder(clientset, { component: 'default-scheduler' });
  const factory = new InformerFactory(clientset, {
    informerOptions: { onError: (err) => opts.log?.warn({ err: String(err) }, 'informer error') },
  });
  // VolumeBinding's view of claims, volumes and classes; PreBind annotates and waits for binding.
  const claimInformer = factory.informerFor<PersistentVolumeClaim>('persistentvolumeclaims');
  const volumeInformer = factory.informerFor<PersistentVolume>('persistentvolumes');
  const classInformer = factory.informerFor<StorageClass>('storageclasses');
  const claims = clientset.resource<PersistentVolumeClaim>('persistentvolumeclaims');
  const volumes = {
    claim: (ns: string, name: string) => claimInformer.lister().get(ns, name),
    volume: (name: string) => volumeInformer.lister().get(undefined, name),
    storageClass: (name: string) => classInformer.lister().get(undefined, name),
    async selectNode(claim: PersistentVolumeClaim, nodeName: string) {
      const ns = claim.metadata.namespace!;
      const name = claim.metadata.name!;
      if (claimInformer.lister().get(ns, name)?.metadata.annotations?.[SELECTED_NODE_ANNOTATION] !== nodeName)
        await claims.patch(ns, name, 'merge', {
          metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: nodeName } },
        });
      const deadline = Date.now() + (opts.volumeBindTimeoutMs ?? 600_000);
      for (;;) {
        const c = claimInformer.lister().get(ns, name);
        if (!c) throw new Error(`persistentvolumeclaim "${name}" not found`);
        if (c.status?.phase === 'Bound' && c.spec?.volumeName) return;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for persistentvolumeclaim "${name}" to be bound`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
  const scheduler = new Scheduler({
    volumes,
    config: opts.config,
    binder: async (pod, nodeName) => {
      const binding: Binding = {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      };
      await pods.createSubresource(pod.metadata.namespace, pod.metadata.name!, 'binding', binding);
    },
    evict: async (victim) => {
      recorder.event(victim, 'Normal', 'Preempted', 'Preempted by a pod with higher priority');
      await pods
        .delete(victim.metadata.namespace, victim.metadata.name!, {
          preconditions: { uid: victim.metadata.uid },
        })
        .catch(() => undefined);
    },
  });
  const profiles = new Set(scheduler.profileNames());
  const queue = new SchedulingQueue({
    initialBackoffMs: opts.podInitialBackoffMs,
    maxBackoffMs: opts.podMaxBackoffMs,
  });
  const responsible = (p: Pod) => profiles.has(p.spec?.schedulerName ?? 'default-scheduler');

  const nodeInformer = factory.informerFor<Node>('nodes');
  const podInformer = factory.informerFor<Pod>('pods');
  nodeInformer.addEventHandler({
    onAdd: (n) => {
      scheduler.addNode(n);
      queue.moveAllToActiveOrBackoff();
    },
    onUpdate: (_o, n) => {
      scheduler.updateNode(n);
      queue.moveAllToActiveOrBackoff();
    },
    onDelete: (n) => scheduler.removeNode(objectFromDelete(n)),
  });
  const onPod = (p: Pod) => {
    if (p.spec?.nodeName) {
      scheduler.addPod(p);
      queue.delete(p);
    } else if (responsible(p) && !isTerminal(p) && !p.metadata.deletionTimestamp) {
      const fw = scheduler.frameworkFor(p);
      if (fw?.runPreEnqueue(p).isSuccess() !== false) queue.add(p);
    } else queue.delete(p);
  };
  podInformer.addEventHandler({
    onAdd: onPod,
    onUpdate: (_o, p) => onPod(p),
    onDelete: (d) => {
      const p = objectFromDelete(d);
      queue.delete(p);
      if (p.spec?.nodeName) {
        scheduler.removePod(p);
        queue.moveAllToActiveOrBackoff();
      }
    },
  });
  const registry = opts.registry ?? createMetricsRegistry();
  const attempts = new Counter({
    name: 'scheduler_schedule_attempts_total',
    help: "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.",
    labelNames: ['result', 'profile'],
    registers: [registry],
  });
  const attemptDuration = new Histogram({
    name: 'scheduler_scheduling_attempt_duration_seconds',
    help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
    labelNames: ['result', 'profile'],
    buckets: Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i),
    registers: [registry],
  });
  new Gauge({
    name: 'scheduler_pending_pods',
    help: "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods.",
    labelNames: ['queue'],
    registers: [registry],
    collect() {
      for (const [q, n] of Object.entries(queue.lengths())) this.set({ queue: q }, n);
    },
  });
  const attempt = (pod: Pod, result: 'scheduled' | 'unschedulable' | 'error', startedAt: number) => {
    const labels = { result, profile: pod.spec?.schedulerName ?? 'default-scheduler' };
    attempts.inc(labels);
    attemptDuration.observe(labels, (performance.now() - startedAt) / 1000);
  };
  let synced = false;

  // A claim bound or created, or a volume added, may make a waiting pod schedulable.
  for (const inf of [claimInformer, volumeInformer, classInformer] as const)
    (inf as typeof claimInformer).addEventHandler({
      onAdd: () => queue.moveAllToActiveOrBackoff(),
      onUpdate: () => queue.moveAllToActiveOrBackoff(),
    });
  factory.start();
  await factory.waitForCacheSync();
  synced = true;

  let scheduled = 0;
  let running = true;
  const flushTimer = setInterval(() => queue.flush(), 1000);

  const scheduleOne = async (info: QueuedPodInfo) => {
    const current = podInformer.lister().get(info.pod.metadata.namespace, info.pod.metadata.name!);
    if (
      !current ||
      current.spec?.nodeName ||
      current.metadata.deletionTimestamp ||
      current.metadata.uid !== info.pod.metadata.uid
    ) {
      queue.done(info.pod);
      return;
    }
    const pod = current;
    const startedAt = performance.now();
    const fw = scheduler.frameworkFor(pod)!;
    const result = scheduler.schedule(pod);
    if (result.error) {
      const fitError = result.error instanceof FitError ? result.error : undefined;
      const fit = fitError !== undefined;
      attempt(pod, fit ? 'unschedulable' : 'error', startedAt);
      const message = result.error.message;
      recorder.event(pod, 'Warning', 'FailedScheduling', message);
      await pods
        .patch(
          pod.metadata.namespace,
          pod.metadata.name!,
          'strategic',
          {
            status: {
              conditions: [
                {
                  type: 'PodScheduled',
                  status: 'False',
                  reason: fit ? 'Unschedulable' : 'SchedulerError',
                  message,
                  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
                  lastProbeTime: null,
                },
              ],
              ...(fitError?.nominatedNodeName ? { nominatedNodeName: fitError.nominatedNodeName } : {}),
            },
          },
          { subresource: 'status' },
        )
        .catch((err) =>
          opts.log?.warn(
            { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, err: String(err) },
            'status update failed',
          ),
        );
      queue.addUnschedulable(info, !fit);
      return;
    }
    const nodeName = result.nodeName;
    const state = result.state ?? new CycleState();
    scheduler.assume(pod, nodeName);
    const reserve = fw.runReserve(state, pod, nodeName);
    const permit = reserve.isSuccess() ? fw.runPermit(state, pod, nodeName) : undefined;
    if (!reserve.isSuccess() || (permit && !permit.status.isSuccess() && permit.status.code !== Code.Wait)) {
      scheduler.forget(pod);
      attempt(pod, 'error', startedAt);
      queue.addUnschedulable(info, true);
      return;
    }
    queue.done(pod);
    // Binding cycle, in the background (upstream runs it in a goroutine).
    void (async () => {
      if (permit?.status.code === Code.Wait) await new Promise((r) => setTimeout(r, permit.timeoutMs));
      const pre = await fw.runPreBind(state, pod, nodeName);
      const bound = pre.isSuccess() ? await fw.runBind(state, pod, nodeName) : pre;
      if (!bound.isSuccess()) {
        scheduler.forget(pod);
        fw.runUnreserve(state, pod, nodeName);
        attempt(pod, 'error', startedAt);
        // The pod was deleted (NotFound) or bound by someone else (Conflict): nothing to retry.
        if (!isNotFound(bound.cause) && !isConflict(bound.cause)) {
          recorder.event(pod, 'Warning', 'FailedScheduling', `Binding rejected: ${bound.message()}`);
          queue.add(pod);
        }
        return;
      }
      scheduled++;
      attempt(pod, 'scheduled', startedAt);
      recorder.event(
        pod,
        'Normal',
        'Scheduled',
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
      );
      fw.runPostBind(state, pod, nodeName);
    })().catch((err) => opts.log?.warn({ err: String(err) }, 'binding cycle failed'));
  };

  const loop = (async () => {
    while (running) {
      const info = await queue.pop();
      if (!info) break;
      try {
        await scheduleOne(info);
      } catch (err) {
        if (!isNotFound(err)) opts.log?.warn({ err: String(err) }, 'scheduling attempt failed');
        queue.addUnschedulable(info, true);
      }
    }
  })();
  opts.log?.info({ profiles: [...profiles] }, 'scheduler started');

  return {
    scheduler,
    queue,
    get scheduled() {
      return scheduled;
    },
    health: {
      registry,
      readyChecks: [
        {
          name: 'sched-handler-sync',
          check: () => {
            if (!synced || !nodeInformer.hasSynced() || !podInformer.hasSynced())
              throw new Error('waiting for handlers to sync');
          },
        },
      ],
    },
    async stop() {
      running = false;
      clearInterval(flushTimer);
      queue.close();
      factory.shutdown();
      await loop;
      await recorder.flush();
    },
  };
}
