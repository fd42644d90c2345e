import { parse as parseYaml } from 'yaml';
import { defaultObject, defaultPullPolicy } from './defaults';
import type { Deployment } from './apps-v1';
import type { Job } from './batch-v1';
import type { Namespace, Pod, Secret, Service } from './core-v1';

describe('defaultObject', () => {
  it('defaults a pod like the apiserver (defaults.go + admission)', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            readinessProbe: { httpGet: { port: 80 } },
            resources: { limits: { cpu: '500m', memory: '128Mi' } },
          },
          { name: 'side', image: 'busybox:1.36' },
        ],
      },
    };
    defaultObject(pod);
    const s = pod.spec!;
    expect(s.restartPolicy).toBe('Always');
    expect(s.dnsPolicy).toBe('ClusterFirst');
    expect(s.terminationGracePeriodSeconds).toBe(30);
    expect(s.schedulerName).toBe('default-scheduler');
    expect(s.serviceAccountName).toBe('default');
    expect(s.containers[0].imagePullPolicy).toBe('Always');
    expect(s.containers[1].imagePullPolicy).toBe('IfNotPresent');
    expect(s.containers[0].terminationMessagePath).toBe('/dev/termination-log');
    expect(s.containers[0].terminationMessagePolicy).toBe('File');
    expect(s.containers[0].ports![0].protocol).toBe('TCP');
    expect(s.containers[0].readinessProbe).toEqual({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(s.containers[0].resources!.requests).toEqual({ cpu: '500m', memory: '128Mi' });
    expect(s.tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'Burstable' });
    // idempotent
    const once = JSON.stringify(pod);
    defaultObject(pod);
    expect(JSON.stringify(pod)).toBe(once);
  });

  it('picks image pull policies as SetDefaults_Container', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    expect(defaultPullPolicy('nginx:1.14.2')).toBe('IfNotPresent');
    expect(defaultPullPolicy('localhost:5000/app')).toBe('Always');
    expect(defaultPullPolicy('localhost:5000/app:v1')).toBe('IfNotPresent');
    expect(defaultPullPolicy('nginx@sha256:abc')).toBe('IfNotPresent');
  });

  it('defaults the docs Deployment', () => {
    const d = parseYaml(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx-deployment, namespace: default}
spec:
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: "nginx:1.14.2", ports: [{containerPort: 80}]}]
`) as Deployment;
    defaultObject(d);
    expect(d.spec!.replicas).toBe(1);
    expect(d.spec!.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
    });
    expect(d.spec!.revisionHistoryLimit).toBe(10);
    expect(d.spec!.progressDeadlineSeconds).toBe(600);
    expect(d.spec!.template.spec!.restartPolicy).toBe('Always');
    expect(d.spec!.template.spec!.containers[0].imagePullPolicy).toBe('IfNotPresent');
    // admission-only pod defaults don't apply to templates
    expect(d.spec!.template.spec!.tolerations).toBeUndefined();
  });

  it('defaults services', () => {
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80 }] },
    };
    defaultObject(svc);
    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    const keep: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80, targetPort: 'http' }] },
    };
    defaultObject(keep);
    expect(keep.spec!.ports![0].targetPort).toBe('http');
  });

  it('defaults jobs, generating the selector from the uid', () => {
    const job: Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } } },
    };
    defaultObject(job);
    expect(job.spec).toMatchObject({
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
    });
    expect(job.spec!.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
    expect(job.spec!.template.metadata!.labels!['batch.kubernetes.io/job-name']).toBe('pi');
  });

  it('defaults namespaces and secrets', () => {
    const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } };
    defaultObject(ns);
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
    expect(ns.spec!.finalizers).toEqual(['kubernetes']);
    expect(ns.status!.phase).toBe('Active');
    const sec: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      stringData: { user: 'admin' },
    };
    defaultObject(sec);
    expect(sec).toMatchObject({ type: 'Opaque', data: { user: 'YWRtaW4=' } });
    expect(sec.stringData).toBeUndefined();
  });
});
