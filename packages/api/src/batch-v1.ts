/** batch/v1 types (k8s.io/api/batch/v1): Job and CronJob. */
import type { PodTemplateSpec } from './core-v1';
import type { KubeObject, LabelSelector, ObjectMeta, Time } from './meta';
import type { ObjectReference } from './core-v1';

/** batch/v1 PodFailurePolicyOnExitCodesRequirement. operator "In" or "NotIn". */
export interface PodFailurePolicyOnExitCodesRequirement {
  containerName?: string;
  operator: string;
  values: number[];
}

/** batch/v1 PodFailurePolicyOnPodConditionsPattern. */
export interface PodFailurePolicyOnPodConditionsPattern {
  type: string;
  status?: string;
}

/** batch/v1 PodFailurePolicyRule. action: FailJob, FailIndex, Ignore, Count. */
export interface PodFailurePolicyRule {
  action: string;
  onExitCodes?: PodFailurePolicyOnExitCodesRequirement;
  onPodConditions?: PodFailurePolicyOnPodConditionsPattern[];
}

/** batch/v1 PodFailurePolicy. */
export interface PodFailurePolicy {
  rules: PodFailurePolicyRule[];
}

/** batch/v1 SuccessPolicyRule. */
export interface SuccessPolicyRule {
  succeededIndexes?: string;
  succeededCount?: number;
}

/** batch/v1 SuccessPolicy. */
export interface SuccessPolicy {
  rules: SuccessPolicyRule[];
}

/** batch/v1 JobSpec. */
export interface JobSpec {
  /** Defaults to 1. */
  parallelism?: number;
  /** Defaults to 1 (when parallelism is also unset). */
  completions?: number;
  activeDeadlineSeconds?: number;
  podFailurePolicy?: PodFailurePolicy;
  successPolicy?: SuccessPolicy;
  /** Defaults to 6. */
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  maxFailedIndexes?: number;
  selector?: LabelSelector;
  manualSelector?: boolean;
  template: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  /** "NonIndexed" (default) or "Indexed". */
  completionMode?: string;
  suspend?: boolean;
  /** "TerminatingOrFailed" (default) or "Failed". */
  podReplacementPolicy?: string;
  managedBy?: string;
}

/** batch/v1 JobCondition. type: Complete, Failed, Suspended, FailureTarget, SuccessCriteriaMet. */
export interface JobCondition {
  type: string;
  status: string;
  lastProbeTime?: Time;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** batch/v1 UncountedTerminatedPods. */
export interface UncountedTerminatedPods {
  succeeded?: string[];
  failed?: string[];
}

/** batch/v1 JobStatus. */
export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: Time;
  completionTime?: Time;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: UncountedTerminatedPods;
  ready?: number;
}

/** batch/v1 Job. */
export interface Job extends KubeObject {
  apiVersion?: 'batch/v1';
  kind?: 'Job';
  spec?: JobSpec;
  status?: JobStatus;
}

/** batch/v1 JobTemplateSpec. */
export interface JobTemplateSpec {
  metadata?: ObjectMeta;
  spec?: JobSpec;
}

/** batch/v1 CronJobSpec. */
export interface CronJobSpec {
  /** Cron expression, e.g. "*\/5 * * * *". */
  schedule: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  /** "Allow" (default), "Forbid" or "Replace". */
  concurrencyPolicy?: string;
  /** Defaults to false. */
  suspend?: boolean;
  jobTemplate: JobTemplateSpec;
  /** Defaults to 3. */
  successfulJobsHistoryLimit?: number;
  /** Defaults to 1. */
  failedJobsHistoryLimit?: number;
}

/** batch/v1 CronJobStatus. */
export interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: Time;
  lastSuccessfulTime?: Time;
}

/** batch/v1 CronJob. */
export interface CronJob extends KubeObject {
  apiVersion?: 'batch/v1';
  kind?: 'CronJob';
  spec?: CronJobSpec;
  status?: CronJobStatus;
}
