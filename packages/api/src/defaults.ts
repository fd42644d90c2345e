/**
 * Defaulting per kind: the values Kubernetes fills in on create and update
 * (`pkg/apis/<group>/v1/defaults.go` SetDefaults_*), plus the pod-level effects of the admission
 * plugins Keelson always enables (ServiceAccount → serviceAccountName "default",
 * DefaultTolerationSeconds → not-ready/unreachable NoExecute tolerations for 300 s, Priority → 0)
 * and the create-time registry touches that need no cluster state (Namespace finalizer and
 * kubernetes.io/metadata.name label, Secret stringData merged into data, Job selector from uid).
 * Everything is idempotent: defaulting a defaulted object changes nothing.
 */
import { kindDefaulters } from './defaults-kinds';
import type { CronJob, Job, JobSpec } from './batch-v1';
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from './apps-v1';
import type {
  Container,
  Endpoints,
  Namespace,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  Secret,
  Service,
  Volume,
} from './core-v1';
import type { EndpointSlice } from './discovery-v1';
import type { KubeObject } from './meta';
import { podQOSClass } from './helpers';
import { canonicalizeQuantities, checkSchema } from './codec';
import {
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultPersistentVolumeClaimSpec,
  defaultStorageClass,
} from './defaults-storage';

/** 0644, the default mode of configMap/secret/downwardAPI/projected volume files. */
export const DEFAULT_VOLUME_MODE = 0o644;

/** Taint keys the DefaultTolerationSeconds admission plugin tolerates for 300 s. */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
/** See {@link TAINT_NODE_NOT_READY}. */
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

function dflt<T extends object, K extends keyof T>(o: T, k: K, v: T[K]): void {
  if (o[k] === undefined || o[k] === null) o[k] = v;
}

/**
 * The image pull policy Kubernetes picks when none is given: "Always" when the tag is ":latest"
 * or absent (and no digest), else "IfNotPresent" (SetDefaults_Container).
 */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tail = image.slice(lastSlash + 1);
  const colon = tail.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return tail.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  dflt(p, 'timeoutSeconds', 1);
  dflt(p, 'periodSeconds', 10);
  dflt(p, 'successThreshold', 1);
  dflt(p, 'failureThreshold', 3);
  if (p.httpGet) {
    dflt(p.httpGet, 'path', '/');
    dflt(p.httpGet, 'scheme', 'HTTP');
  }
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  dflt(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  dflt(c, 'terminationMessagePath', '/dev/termination-log');
  dflt(c, 'terminationMessagePolicy', 'File');
  for (const p of c.ports ?? []) {
    dflt(p, 'protocol', 'TCP');
    if (hostNetwork && !p.hostPort) p.hostPort = p.containerPort;
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) dflt(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  for (const h of [c.lifecycle?.postStart, c.lifecycle?.preStop]) {
    if (h?.httpGet) {
      dflt(h.httpGet, 'path', '/');
      dflt(h.httpGet, 'scheme', 'HTTP');
    }
  }
  // SetDefaults_Pod: requests default to limits, per resource.
  const lim = c.resources?.limits;
  if (lim && Object.keys(lim).length) {
    const req = (c.resources!.requests ??= {});
    for (const [k, v] of Object.entries(lim)) if (req[k] === undefined) req[k] = v;
  }
}

function defaultVolume(v: Volume): void {
  const rec = v as unknown as Record<string, unknown>;
  const hasSource = Object.keys(rec).some((k) => k !== 'name' && rec[k] !== undefined && rec[k] !== null);
  if (!hasSource) v.emptyDir = {};
  if (v.configMap) dflt(v.configMap, 'defaultMode', DEFAULT_VOLUME_MODE);
  if (v.secret) dflt(v.secret, 'defaultMode', DEFAULT_VOLUME_MODE);
  if (v.downwardAPI) {
    dflt(v.downwardAPI, 'defaultMode', DEFAULT_VOLUME_MODE);
    for (const i of v.downwardAPI.items ?? []) if (i.fieldRef) dflt(i.fieldRef, 'apiVersion', 'v1');
  }
  if (v.projected) {
    dflt(v.projected, 'defaultMode', DEFAULT_VOLUME_MODE);
    for (const s of v.projected.sources ?? []) {
      if (s.serviceAccountToken) dflt(s.serviceAccountToken, 'expirationSeconds', 3600);
      for (const i of s.downwardAPI?.items ?? []) if (i.fieldRef) dflt(i.fieldRef, 'apiVersion', 'v1');
    }
  }
  if (v.hostPath) dflt(v.hostPath, 'type', '');
}

/** SetDefaults_PodSpec and the per-container/volume defaults. Mutates spec. */
export function defaultPodSpec(spec: PodSpec): void {
  dflt(spec, 'dnsPolicy', 'ClusterFirst');
  dflt(spec, 'restartPolicy', 'Always');
  dflt(spec, 'terminationGracePeriodSeconds', 30);
  dflt(spec, 'securityContext', {});
  dflt(spec, 'schedulerName', 'default-scheduler');
  dflt(spec, 'enableServiceLinks', true);
  const hostNetwork = spec.hostNetwork === true;
  for (const c of spec.initContainers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.containers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (t?.spec) defaultPodSpec(t.spec);
}

function defaultPod(pod: Pod): void {
  if (!pod.spec) return;
  const spec = pod.spec;
  defaultPodSpec(spec);
  // ServiceAccount admission.
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  dflt(spec, 'serviceAccount', spec.serviceAccountName);
  // Priority admission (no PriorityClass objects in Keelson).
  dflt(spec, 'priority', 0);
  dflt(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  // DefaultTolerationSeconds admission.
  const tolerations = (spec.tolerations ??= []);
  for (const key of [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]) {
    const covered = tolerations.some(
      (t) =>
        (t.effect === 'NoExecute' || !t.effect) && (t.key === key || (!t.key && t.operator === 'Exists')),
    );
    if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  // Pod strategy PrepareForCreate.
  pod.status ??= {};
  dflt(pod.status, 'phase', 'Pending');
  if (!pod.status.qosClass) {
    try {
      pod.status.qosClass = podQOSClass(pod);
    } catch {
      // malformed quantities are reported by validation
    }
  }
}

function defaultDeployment(d: Deployment): void {
  const s = d.spec;
  if (!s) return;
  dflt(s, 'replicas', 1);
  const strategy = (s.strategy ??= {});
  dflt(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    dflt(ru, 'maxUnavailable', '25%');
    dflt(ru, 'maxSurge', '25%');
  }
  dflt(s, 'revisionHistoryLimit', 10);
  dflt(s, 'progressDeadlineSeconds', 600);
  defaultTemplate(s.template);
}

function defaultReplicaSet(rs: ReplicaSet): void {
  if (!rs.spec) return;
  dflt(rs.spec, 'replicas', 1);
  defaultTemplate(rs.spec.template);
}

function defaultStatefulSet(ss: StatefulSet): void {
  const s = ss.spec;
  if (!s) return;
  dflt(s, 'replicas', 1);
  dflt(s, 'podManagementPolicy', 'OrderedReady');
  const us = (s.updateStrategy ??= {});
  dflt(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = (us.rollingUpdate ??= {});
    dflt(ru, 'partition', 0);
  }
  dflt(s, 'revisionHistoryLimit', 10);
  const ret = (s.persistentVolumeClaimRetentionPolicy ??= {});
  dflt(ret, 'whenDeleted', 'Retain');
  dflt(ret, 'whenScaled', 'Retain');
  for (const t of s.volumeClaimTemplates ?? []) defaultPersistentVolumeClaimSpec(t?.spec);
  defaultTemplate(s.template);
}

function defaultDaemonSet(ds: DaemonSet): void {
  const s = ds.spec;
  if (!s) return;
  const us = (s.updateStrategy ??= {});
  dflt(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = (us.rollingUpdate ??= {});
    dflt(ru, 'maxUnavailable', 1);
    dflt(ru, 'maxSurge', 0);
  }
  dflt(s, 'revisionHistoryLimit', 10);
  defaultTemplate(s.template);
}

/** Label keys the Job registry puts on the selector and template (batch/v1 constants). */
export const JOB_CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** See {@link JOB_CONTROLLER_UID_LABEL}. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

function defaultJobSpec(s: JobSpec): void {
  if (s.completions === undefined && s.parallelism === undefined) {
    s.completions = 1;
    s.parallelism = 1;
  }
  dflt(s, 'parallelism', 1);
  if (s.backoffLimit === undefined) s.backoffLimit = s.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  dflt(s, 'completionMode', 'NonIndexed');
  dflt(s, 'suspend', false);
  dflt(s, 'podReplacementPolicy', s.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed');
  defaultTemplate(s.template);
}

function defaultJob(job: Job): void {
  const s = job.spec;
  if (!s) return;
  defaultJobSpec(s);
  // Job registry PrepareForCreate: generated selector and template labels, when the uid is known.
  const uid = job.metadata.uid;
  if (s.manualSelector !== true && uid && !s.selector) {
    s.selector = { matchLabels: { [JOB_CONTROLLER_UID_LABEL]: uid } };
    const t = (s.template ??= {});
    const meta = (t.metadata ??= {});
    const labels = (meta.labels ??= {});
    labels[JOB_CONTROLLER_UID_LABEL] ??= uid;
    labels[JOB_NAME_LABEL] ??= job.metadata.name ?? '';
    labels['controller-uid'] ??= uid;
    labels['job-name'] ??= job.metadata.name ?? '';
  }
}

function defaultCronJob(cj: CronJob): void {
  const s = cj.spec;
  if (!s) return;
  dflt(s, 'concurrencyPolicy', 'Allow');
  dflt(s, 'suspend', false);
  dflt(s, 'successfulJobsHistoryLimit', 3);
  dflt(s, 'failedJobsHistoryLimit', 1);
  defaultTemplate(s.jobTemplate?.spec?.template);
}

function defaultService(svc: Service): void {
  const s = svc.spec;
  if (!s) return;
  dflt(s, 'type', 'ClusterIP');
  dflt(s, 'sessionAffinity', 'None');
  if (s.sessionAffinity === 'ClientIP') {
    const cfg = (s.sessionAffinityConfig ??= {});
    const cip = (cfg.clientIP ??= {});
    dflt(cip, 'timeoutSeconds', 10800);
  }
  for (const p of s.ports ?? []) {
    dflt(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '')
      p.targetPort = p.port;
  }
  if (s.type !== 'ExternalName') {
    dflt(s, 'internalTrafficPolicy', 'Cluster');
    if (s.type === 'NodePort' || s.type === 'LoadBalancer') dflt(s, 'externalTrafficPolicy', 'Cluster');
    if (s.type === 'LoadBalancer') dflt(s, 'allocateLoadBalancerNodePorts', true);
    dflt(s, 'ipFamilyPolicy', 'SingleStack');
    dflt(s, 'ipFamilies', ['IPv4']);
  }
}

function defaultNamespace(ns: Namespace): void {
  const name = ns.metadata.name;
  if (name) {
    const labels = (ns.metadata.labels ??= {});
    labels['kubernetes.io/metadata.name'] = name;
  }
  ns.spec ??= {};
  dflt(ns.spec, 'finalizers', ['kubernetes']);
  ns.status ??= {};
  dflt(ns.status, 'phase', 'Active');
}

function base64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

function defaultSecret(sec: Secret): void {
  dflt(sec, 'type', 'Opaque');
  if (sec.stringData) {
    const data = (sec.data ??= {});
    for (const [k, v] of Object.entries(sec.stringData)) data[k] = base64(v);
    delete sec.stringData;
  }
}

function defaultEndpoints(ep: Endpoints): void {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) dflt(p, 'protocol', 'TCP');
}

function defaultEndpointSlice(es: EndpointSlice): void {
  for (const p of es.ports ?? []) dflt(p, 'protocol', 'TCP');
}

const DEFAULTERS: Record<string, (o: never) => void> = {
  'v1/Pod': defaultPod,
  'v1/Service': defaultService,
  'v1/Namespace': defaultNamespace,
  'v1/Secret': defaultSecret,
  'v1/Endpoints': defaultEndpoints,
  'apps/v1/Deployment': defaultDeployment,
  'apps/v1/ReplicaSet': defaultReplicaSet,
  'apps/v1/StatefulSet': defaultStatefulSet,
  'apps/v1/DaemonSet': defaultDaemonSet,
  'batch/v1/Job': defaultJob,
  'batch/v1/CronJob': defaultCronJob,
  'discovery.k8s.io/v1/EndpointSlice': defaultEndpointSlice,
  ...kindDefaulters,
  'v1/PersistentVolume': defaultPersistentVolume,
  'v1/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  'storage.k8s.io/v1/StorageClass': defaultStorageClass,
};

/**
 * Applies Kubernetes defaults to obj in place, chosen by apiVersion + kind (see the file comment).
 * Quantity fields are rewritten to canonical form (canonicalizeQuantities). Objects of other kinds
 * are left unchanged. Objects with type errors (see checkSchema) are left
 * unchanged too; validateObject reports those errors.
 */
export function defaultObject(obj: KubeObject): void {
  if (!obj || typeof obj !== 'object') return;
  // Like upstream, defaulting only sees well-typed objects: with type errors, leave it to validation.
  if (checkSchema(obj).invalid.length) return;
  obj.metadata ??= {};
  canonicalizeQuantities(obj);
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') return;
  const f = DEFAULTERS[`${obj.apiVersion}/${obj.kind}`];
  if (f) f(obj as never);
}
