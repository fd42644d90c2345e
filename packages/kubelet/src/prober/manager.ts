/**
 * Probe workers (upstream pkg/kubelet/prober worker.go + results manager): one worker per running
 * container and probe type, probing every periodSeconds after initialDelaySeconds (counted from
 * the container's start), applying successThreshold/failureThreshold to consecutive results.
 * Liveness and readiness wait until the startup probe has succeeded. A failed liveness/startup
 * result holds until the container is replaced (a new container id).
 */
import type { Container, Pod, Probe } from '@keelson/api';
import type { Clock } from '../util/clock';
import type { RuntimePodState } from '../pod/runtime-state';
import type { ProbeOutcome, ProbeResult, ProbeTarget } from './probe';

/** The three probe kinds. */
export type ProbeType = 'liveness' | 'readiness' | 'startup';

/** Runs one probe (runProbe bound to a CRI runtime in production; a fake in tests). */
export type ProbeRunner = (probe: Probe, target: ProbeTarget) => Promise<ProbeOutcome>;

/** A probe result change, for events ("Unhealthy") and resyncs. */
export interface ProbeEvent {
  podUid: string;
  containerName: string;
  containerId: string;
  type: ProbeType;
  result: ProbeResult;
  message: string;
}

function initialResult(type: ProbeType): ProbeResult {
  return type === 'readiness' ? 'failure' : type === 'liveness' ? 'success' : 'unknown';
}

/** One probe loop for one container. */
class ProbeWorker {
  result: ProbeResult;
  private lastResult: ProbeResult = 'unknown';
  private resultRun = 0;
  private onHold = false;
  private timer: unknown;
  private stopped = false;
  /** Last failure message (for Unhealthy events). */
  lastMessage = '';

  constructor(
    private readonly mgr: ProbeManager,
    readonly type: ProbeType,
    readonly podUid: string,
    readonly container: Container,
    readonly containerId: string,
    private readonly startedAt: number,
    private readonly podIp: () => string,
  ) {
    this.result = initialResult(type);
  }

  private get probe(): Probe {
    return (
      this.type === 'liveness'
        ? this.container.livenessProbe
        : this.type === 'readiness'
          ? this.container.readinessProbe
          : this.container.startupProbe
    )!;
  }

  start() {
    const delayMs = Math.max(
      0,
      this.startedAt + (this.probe.initialDelaySeconds ?? 0) * 1000 - this.mgr.clock.now(),
    );
    this.schedule(delayMs);
  }

  stop() {
    this.stopped = true;
    this.mgr.clock.clearTimeout(this.timer);
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = this.mgr.clock.setTimeout(() => void this.tick(), ms);
  }

  private async tick() {
    const periodMs = (this.probe.periodSeconds ?? 10) * 1000;
    if (this.stopped) return;
    // startup done: that worker stops probing
    if (this.type === 'startup' && this.result === 'success') return;
    if (this.onHold) return;
    if (
      this.type !== 'startup' &&
      this.container.startupProbe &&
      !this.mgr.startupSucceeded(this.containerId)
    ) {
      this.schedule(periodMs);
      return;
    }
    const out = await this.mgr.runner(this.probe, {
      podIp: this.podIp(),
      containerId: this.containerId,
      container: this.container,
    });
    if (this.stopped) return;
    this.record(out);
    this.schedule(periodMs);
  }

  private record(out: ProbeOutcome) {
    const r = out.result === 'unknown' ? 'failure' : out.result;
    if (r === this.lastResult) this.resultRun++;
    else {
      this.lastResult = r;
      this.resultRun = 1;
    }
    if (r === 'failure') this.lastMessage = out.message;
    const failureThreshold = this.probe.failureThreshold ?? 3;
    const successThreshold = this.type === 'readiness' ? (this.probe.successThreshold ?? 1) : 1;
    if (
      (r === 'failure' && this.resultRun < failureThreshold) ||
      (r === 'success' && this.resultRun < successThreshold)
    )
      return;
    const changed = this.result !== r;
    this.result = r;
    if ((this.type === 'liveness' || this.type === 'startup') && r === 'failure') {
      this.onHold = true;
      this.resultRun = 0;
    }
    if (changed) {
      this.mgr.emit({
        podUid: this.podUid,
        containerName: this.container.name,
        containerId: this.containerId,
        type: this.type,
        result: r,
        message: out.message,
      });
    }
  }
}

/** Keeps probe workers in step with the running containers and answers probe verdicts. */
export class ProbeManager {
  private readonly workers = new Map<string, ProbeWorker>();

  /**
   * @param runner executes one probe
   * @param clock time source (inject a FakeClock in tests)
   * @param onEvent called when a probe's result changes
   */
  constructor(
    readonly runner: ProbeRunner,
    readonly clock: Clock,
    private readonly onEvent: (e: ProbeEvent) => void = () => undefined,
  ) {}

  /** @internal */
  emit(e: ProbeEvent) {
    this.onEvent(e);
  }

  private key(containerId: string, type: ProbeType) {
    return `${containerId}/${type}`;
  }

  /**
   * Starts workers for running containers that have probes and stops workers whose container is
   * no longer running. `podIp` is read at each probe.
   */
  syncPod(pod: Pod, state: RuntimePodState, podIp: () => string): void {
    const uid = pod.metadata.uid ?? '';
    const live = new Set<string>();
    const specs = [
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
    ];
    for (const c of specs) {
      const l = state.containers.find((x) => x.name === c.name);
      if (!l || l.state !== 'running') continue;
      for (const type of ['startup', 'liveness', 'readiness'] as const) {
        const probe =
          type === 'liveness' ? c.livenessProbe : type === 'readiness' ? c.readinessProbe : c.startupProbe;
        if (!probe) continue;
        const k = this.key(l.id, type);
        live.add(k);
        if (!this.workers.has(k)) {
          const w = new ProbeWorker(this, type, uid, c, l.id, l.startedAt || this.clock.now(), podIp);
          this.workers.set(k, w);
          w.start();
        }
      }
    }
    for (const [k, w] of this.workers) {
      if (w.podUid === uid && !live.has(k)) {
        w.stop();
        this.workers.delete(k);
      }
    }
  }

  /** Stops every worker of a pod. */
  removePod(uid: string): void {
    for (const [k, w] of this.workers) {
      if (w.podUid === uid) {
        w.stop();
        this.workers.delete(k);
      }
    }
  }

  /** Stops everything. */
  stop(): void {
    for (const w of this.workers.values()) w.stop();
    this.workers.clear();
  }

  /** The current result of a container's probe, undefined when it has no worker. */
  result(containerId: string, type: ProbeType): ProbeResult | undefined {
    return this.workers.get(this.key(containerId, type))?.result;
  }

  /** True once the container's startup probe succeeded (or when it has none). */
  startupSucceeded(containerId: string): boolean {
    const r = this.result(containerId, 'startup');
    return r === undefined || r === 'success';
  }

  /** Liveness failed (failureThreshold consecutive failures). */
  livenessFailed(containerId: string): boolean {
    return this.result(containerId, 'liveness') === 'failure';
  }

  /** Startup failed (failureThreshold consecutive failures). */
  startupFailed(containerId: string): boolean {
    return this.result(containerId, 'startup') === 'failure';
  }

  /** Container readiness: readiness probe success, or true without a readiness probe. */
  ready(containerId: string, c: Container): boolean {
    if (!c.readinessProbe) return this.started(containerId, c);
    return this.started(containerId, c) && this.result(containerId, 'readiness') === 'success';
  }

  /** Container started: startup probe success, or true without one. */
  started(containerId: string, c: Container): boolean {
    if (!c.startupProbe) return true;
    return this.result(containerId, 'startup') === 'success';
  }

  /** Last failure message of a probe (for events). */
  lastMessage(containerId: string, type: ProbeType): string {
    return this.workers.get(this.key(containerId, type))?.lastMessage ?? '';
  }
}
