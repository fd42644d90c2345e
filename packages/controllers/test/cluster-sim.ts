/**
 * A small simulated cluster for integration tests: a real apiserver (in memory) and, in place
 * of the scheduler and kubelets, a round-robin binder and "fake kubelets" that mark bound pods
 * Running+Ready (or Succeeded/Failed by label), confirm graceful deletions, and renew node
 * Leases until their node is stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { startApiServer, type RunningApiServer } from '@keelson/apiserver';
import { createClientset, newSharedInformer, type Clientset } from '@keelson/client';
import {
  startControllerManager,
  type ControllerManagerHandle,
  type ControllerManagerOptions,
} from '../src/manager';
import type { Lease, Node, Pod } from '../src/types';

export interface SimCluster {
  server: RunningApiServer;
  client: Clientset;
  /** The in-process controller manager (undefined when started with `cmOpts` null). */
  cm?: ControllerManagerHandle;
  kubeconfig: string;
  /** Stops a node's heartbeats and kubelet (it "dies"). */
  stopNode(name: string): void;
  kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

const KUBECTL = '/usr/bin/kubectl';

/** Polls `fn` until truthy or the deadline (ms) passes. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 45_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the cluster; `cmOpts` null leaves the controller manager out (run it elsewhere). */
export async function startSimCluster(
  nodes: string[],
  cmOpts: ControllerManagerOptions | null = {},
): Promise<SimCluster> {
  const dir = mkdtempSync(join(tmpdir(), `kcm-${process.pid}-`));
  const kubeconfig = join(dir, 'kubeconfig');
  const server = await startApiServer({
    storage: 'memory',
    compactionIntervalMs: 0,
    kubeconfigOut: kubeconfig,
    bookmarkIntervalMs: 1000,
  });
  const client = createClientset({ grpcAddress: server.grpcAddress, userAgent: 'controllers-test' });
  const alive = new Set(nodes);
  const timers: NodeJS.Timeout[] = [];
  const now = () => new Date().toISOString();
  for (const [i, n] of nodes.entries()) {
    await client.resource<Node>('nodes').create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n, labels: { 'kubernetes.io/hostname': n } },
      spec: { podCIDR: `10.244.${i}.0/24` },
    });
    const created = await client.resource<Node>('nodes').get(undefined, n);
    await client.resource<Node>('nodes').updateStatus({
      ...created,
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastHeartbeatTime: now(),
            lastTransitionTime: now(),
          },
        ],
      },
    });
    await client.resource<Lease>('leases').create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: n, namespace: 'kube-node-lease' },
      spec: { holderIdentity: n, leaseDurationSeconds: 40, renewTime: now().replace('Z', '000Z') },
    });
  }
  // Lease heartbeats every 300 ms.
  timers.push(
    setInterval(() => {
      for (const n of alive) {
        void client
          .resource<Lease>('leases')
          .get('kube-node-lease', n)
          .then((l) =>
            client.resource<Lease>('leases').update({
              ...l,
              spec: { ...l.spec, renewTime: new Date().toISOString().replace('Z', '000Z') },
            }),
          )
          .catch(() => undefined);
      }
    }, 300),
  );
  // Binder + kubelets.
  const pods = newSharedInformer<Pod>(client, 'pods');
  let rr = 0;
  let ipSeq = 2;
  const inflight = new Set<string>();
  const handle = (p: Pod) => {
    const key = `${p.metadata.namespace}/${p.metadata.name}/${p.metadata.resourceVersion}`;
    if (inflight.has(key)) return;
    const pc = client.resource<Pod>('pods');
    const node = p.spec?.nodeName;
    let op: Promise<unknown> | undefined;
    if (!node) {
      if (p.metadata.deletionTimestamp) return;
      const live = [...alive];
      if (!live.length) return;
      // Respect a node-name affinity (DaemonSet pods), else round-robin.
      const pinned =
        p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.find(
          (f: { key: string; operator: string }) => f.key === 'metadata.name' && f.operator === 'In',
        )?.values?.[0] as string | undefined;
      if (pinned && !alive.has(pinned)) return;
      const target = pinned ?? live[rr++ % live.length]!;
      op = pc.createSubresource(p.metadata.namespace, p.metadata.name!, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
        target: { apiVersion: 'v1', kind: 'Node', name: target },
      });
    } else if (!alive.has(node)) {
      return;
    } else if (p.metadata.deletionTimestamp) {
      if (
        (p.metadata.finalizers ?? []).length &&
        (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')
      )
        return;
      op = pc.delete(p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0 });
    } else if (p.status?.phase === 'Pending' || !p.status?.phase) {
      const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const ip = `10.244.${[...nodes].indexOf(node)}.${ipSeq++ % 250}`;
      const want = p.metadata.labels?.['sim/outcome'];
      const terminated = want === 'fail' || want === 'succeed';
      op = pc.updateStatus({
        ...p,
        status: {
          ...(p.status ?? {}),
          phase: want === 'fail' ? 'Failed' : want === 'succeed' ? 'Succeeded' : 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          hostIP: '192.168.0.1',
          startTime: t,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
            { type: 'Ready', status: terminated ? 'False' : 'True', lastTransitionTime: t },
          ],
          containerStatuses: (p.spec?.containers ?? []).map((c) => ({
            name: c.name,
            image: c.image ?? '',
            imageID: '',
            ready: !terminated,
            restartCount: 0,
            state: terminated
              ? {
                  terminated: {
                    exitCode: want === 'fail' ? 1 : 0,
                    reason: want === 'fail' ? 'Error' : 'Completed',
                    finishedAt: t,
                  },
                }
              : { running: { startedAt: t } },
          })),
        },
      });
    }
    if (!op) return;
    inflight.add(key);
    op.catch(() => undefined).finally(() => inflight.delete(key));
  };
  pods.addEventHandler({ onAdd: handle, onUpdate: (_o, p) => handle(p) });
  pods.run();
  await pods.whenSynced();
  const cm =
    cmOpts === null
      ? undefined
      : await startControllerManager({ nodeMonitorPeriodMs: 300, workers: 2, ...cmOpts }, client);
  return {
    server,
    client,
    cm,
    kubeconfig,
    stopNode(name) {
      alive.delete(name);
    },
    kubectl(args) {
      return new Promise((resolve) => {
        execFile(
          KUBECTL,
          ['--kubeconfig', kubeconfig, ...args],
          { timeout: 30_000, env: { ...process.env, HOME: dir } },
          (err, stdout, stderr) => {
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
          },
        );
      });
    },
    async close() {
      for (const t of timers) clearInterval(t);
      pods.stop();
      await cm?.stop();
      client.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
