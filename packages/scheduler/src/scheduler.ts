/**
 * The embeddable scheduler core: profiles, the cache of nodes and placed pods, and one call that
 * places a pod. No apiserver, no gRPC: a simulator or batch system feeds it nodes and pods.
 *
 * ```ts
 * const s = new Scheduler();
 * s.addNode(node);
 * const r = s.schedule(pod);            // { nodeName } or { error: FitError }
 * if (r.nodeName) s.assume(pod, r.nodeName);
 * ```
 */
import type { Node, Pod } from '@keelson/api';
import { SchedulerCache } from './cache/cache';
import {
  defaultConfiguration,
  DEFAULT_SCHEDULER_NAME,
  type SchedulerConfiguration,
} from './framework/config';
import { Framework } from './framework/framework';
import type { PluginContext, VolumeAccess } from './framework/interface';
import type { NodeInfo } from './framework/node-info';
import type { Registry } from './framework/registry';
import { FitError, schedulePod, type ScheduleResult } from './framework/schedule-one';
import { defaultRegistry } from './plugins/registry';

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  config?: SchedulerConfiguration;
  /** Out-of-tree plugins, merged with the defaults (names must not clash). */
  plugins?: Registry;
  /** Writes a binding (cluster mode); without it DefaultBinder skips and `bind` just assumes. */
  binder?: (pod: Pod, nodeName: string) => Promise<void>;
  /** Evicts a preemption victim (cluster mode). */
  evict?: (pod: Pod) => Promise<void>;
  /** Claims and volumes for the VolumeBinding plugin (cluster mode); without it VolumeBinding skips. */
  volumes?: VolumeAccess;
  /** Random source in [0,1) for tie-breaks (default Math.random). */
  random?: () => number;
  /** Clock, ms (for assumed-pod expiry). */
  now?: () => number;
  /** How long an assumed pod waits for its binding to be confirmed, ms (default 30 000). */
  assumeTtlMs?: number;
}

/** The outcome of {@link Scheduler.schedule}. */
export type ScheduleOutcome =
  | ({ nodeName: string; error?: undefined } & Omit<ScheduleResult, 'nodeName'>)
  | { nodeName?: undefined; error: FitError | Error };

/** Places pods on nodes with a profile's plugins. */
export class Scheduler {
  readonly cache: SchedulerCache;
  private readonly frameworks = new Map<string, Framework>();
  private readonly random: () => number;
  private readonly cursor = { next: 0 };
  private current: NodeInfo[] = [];

  /** @throws SchedulerConfigError for unknown plugins or invalid plugin args */
  constructor(opts: SchedulerOptions = {}) {
    this.cache = new SchedulerCache({ now: opts.now, assumeTtlMs: opts.assumeTtlMs });
    this.random = opts.random ?? Math.random;
    const registry = opts.plugins ? defaultRegistry().merge(opts.plugins) : defaultRegistry();
    const ctx: Omit<PluginContext, 'args'> = {
      snapshot: () => this.current,
      binder: opts.binder,
      evict: opts.evict,
      volumes: opts.volumes,
    };
    for (const profile of (opts.config ?? defaultConfiguration()).profiles) {
      this.frameworks.set(profile.schedulerName, new Framework(profile, registry, ctx));
    }
  }

  /** The framework for a pod's spec.schedulerName, or undefined if no profile has that name. */
  frameworkFor(pod: Pod): Framework | undefined {
    return this.frameworks.get(pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME);
  }

  /** Profile names (the scheduler names this scheduler serves). */
  profileNames(): string[] {
    return [...this.frameworks.keys()];
  }

  addNode(node: Node): void {
    this.cache.addOrUpdateNode(node);
  }
  updateNode(node: Node): void {
    this.cache.addOrUpdateNode(node);
  }
  removeNode(node: Node): void {
    this.cache.removeNode(node);
  }
  /** Records a pod already placed on a node (spec.nodeName set). */
  addPod(pod: Pod): void {
    this.cache.addOrUpdatePod(pod);
  }
  removePod(pod: Pod): void {
    this.cache.removePod(pod);
  }

  /**
   * Chooses a node for the pod against the current cache; nothing is changed.
   * @returns the node, or the FitError / plugin Error explaining why not
   */
  schedule(pod: Pod): ScheduleOutcome {
    const fw = this.frameworkFor(pod);
    if (!fw) return { error: new Error(`no profile for scheduler name "${pod.spec?.schedulerName}"`) };
    this.current = this.cache.snapshot();
    try {
      return schedulePod(fw, pod, this.current, { random: this.random, cursor: this.cursor });
    } catch (err) {
      return { error: err as Error };
    }
  }

  /** Places the pod on the node in the cache before its binding is confirmed. */
  assume(pod: Pod, nodeName: string): void {
    this.cache.assumePod(pod, nodeName);
  }

  /** Undoes {@link assume}. */
  forget(pod: Pod): void {
    this.cache.forgetPod(pod);
  }
}
