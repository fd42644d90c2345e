/**
 * Workload controllers' kinds (apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet; batch/v1
 * Job, CronJob): status cleared on create, generation bumped on spec changes, defaults from
 * upstream SetDefaults_* (replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10 ...).
 */
import type { KubeObject } from '@keelson/api';
import type { Strategy } from '../strategy';
import { defaultPodTemplateSpec } from './pods';

type W = KubeObject & { spec?: any; status?: any };

function obj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function defaultTemplate(spec: any): void {
  if (obj(spec?.template) && obj(spec.template.spec)) defaultPodTemplateSpec(spec.template.spec);
}

const DEFAULTS: Record<string, (spec: any) => void> = {
  Deployment(spec) {
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    spec.strategy ??= {};
    if (obj(spec.strategy)) {
      spec.strategy.type ??= 'RollingUpdate';
      if (spec.strategy.type === 'RollingUpdate') {
        spec.strategy.rollingUpdate ??= {};
        spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
        spec.strategy.rollingUpdate.maxSurge ??= '25%';
      }
    }
  },
  ReplicaSet(spec) {
    spec.replicas ??= 1;
  },
  StatefulSet(spec) {
    spec.replicas ??= 1;
    spec.podManagementPolicy ??= 'OrderedReady';
    spec.revisionHistoryLimit ??= 10;
    spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
  },
  DaemonSet(spec) {
    spec.revisionHistoryLimit ??= 10;
    spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
  },
  Job(spec) {
    spec.parallelism ??= 1;
    spec.backoffLimit ??= 6;
    spec.completionMode ??= 'NonIndexed';
    spec.suspend ??= false;
    if (spec.completions === undefined && spec.parallelism === 1) spec.completions = 1;
    if (obj(spec.template?.spec)) spec.template.spec.restartPolicy ??= 'Never';
  },
  CronJob(spec) {
    spec.concurrencyPolicy ??= 'Allow';
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    if (obj(spec.jobTemplate?.spec)) DEFAULTS.Job(spec.jobTemplate.spec);
  },
};

/** Defaults for a workload object in place. */
export function defaultWorkload(o: KubeObject): void {
  const w = o as W;
  if (!obj(w.spec) || !w.kind) return;
  DEFAULTS[w.kind]?.(w.spec);
  defaultTemplate(w.spec);
  if (w.kind === 'CronJob') defaultTemplate(w.spec.jobTemplate?.spec);
}

/** The strategy of every workload kind. */
export const workloadStrategy: Strategy = {
  statusSubresource: true,
  generation: true,
  prepareForCreate(o) {
    defaultWorkload(o);
    (o as W).status = {};
  },
  prepareForUpdate(o) {
    defaultWorkload(o);
  },
  fields(o): Record<string, string> {
    const w = o as W;
    if (w.kind === 'ReplicaSet') return { 'status.replicas': String(w.status?.replicas ?? 0) };
    if (w.kind === 'Job') return { 'status.successful': String(w.status?.succeeded ?? 0) };
    return {};
  },
};
