/**
 * Pure Job arithmetic (k8s.io/kubernetes pkg/controller/job): backoff, wanted active pods,
 * completed-index bookkeeping and conditions.
 */
import type { GenericCondition, Job } from '../types';

/** Label/annotation carrying an Indexed job pod's completion index. */
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** Labels the Job controller puts on its pods. */
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** Label with the job name. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
/** Finalizer that keeps terminated pods until they are counted. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** Upstream's DefaultJobPodFailureBackOff (10 s) and MaxJobPodFailureBackOff (6 min), ms. */
export const DEFAULT_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 360_000;

/** Exponential pod-failure backoff: base·2^(failures−1), capped; 0 without failures. */
export function failureBackoff(
  failures: number,
  baseMs = DEFAULT_BACKOFF_MS,
  maxMs = MAX_BACKOFF_MS,
): number {
  if (failures <= 0) return 0;
  return Math.min(baseMs * 2 ** Math.min(failures - 1, 30), maxMs);
}

/**
 * How many pods should be active: with completions, min(completions − succeeded, parallelism);
 * without (work queue), parallelism until one pod succeeded, then no new pods.
 */
export function wantActive(job: Job, succeeded: number, active: number): number {
  const parallelism = job.spec.parallelism ?? 1;
  const completions = job.spec.completions;
  if (completions === undefined || completions === null)
    return succeeded > 0 ? Math.min(active, parallelism) : parallelism;
  return Math.max(0, Math.min(completions - succeeded, parallelism));
}

/** Parses a completedIndexes string ("1,3-5,7") into a set. */
export function parseIndexes(s: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.add(i);
  }
  return out;
}

/** Formats indexes as upstream's compressed intervals: "1,3-5,7". */
export function formatIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** True when the Job has a Complete or Failed condition with status True. */
export function isJobFinished(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** A Job condition stamped at `nowIso` (lastProbeTime and lastTransitionTime). */
export function jobCondition(
  type: string,
  reason: string,
  message: string,
  nowIso: string,
): GenericCondition {
  return { type, status: 'True', lastProbeTime: nowIso, lastTransitionTime: nowIso, reason, message };
}
