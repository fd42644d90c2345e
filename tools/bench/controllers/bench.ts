/**
 * Controller-manager benchmark (run by hand):
 *
 *   node --conditions=keelson-source --import tsx tools/bench/controllers/bench.ts [--replicas 1000] [--scale 10000] [--nodes 20]
 *
 * KCM_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes node flags to the controller manager.
 *
 * An in-memory apiserver with a simulated binder and kubelets (packages/controllers/test/cluster-sim.ts)
 * in this process; keelson-controller-manager (replicaset, deployment, garbagecollector,
 * endpoints, endpointslice) as a child process, so its CPU time and RSS can be read from /proc.
 * Measures: time until a Deployment's `replicas` pods exist and until all are available; time
 * for a rolling update to finish; then scales to `scale` pods and reports the controller
 * manager's CPU seconds and RSS.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimCluster, waitFor } from '../../../packages/controllers/test/cluster-sim';
import type { Deployment, Pod } from '../../../packages/controllers/src/types';

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '1000' },
    scale: { type: 'string', default: '10000' },
    nodes: { type: 'string', default: '20' },
  },
});
const replicas = Number(values.replicas);
const scale = Number(values.scale);
const nodes = Array.from({ length: Number(values.nodes) }, (_, i) => `bench-node-${i}`);

function procStats(pid: number): { cpuS: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return { cpuS: ticks / 100, rssMiB: Number(rss) / 1024 };
}

async function main() {
  const c = await startSimCluster(nodes, null);
  const root = join(__dirname, '../../..');
  const cm = spawn(
    process.execPath,
    [
      ...(process.env.KCM_NODE_ARGS ? process.env.KCM_NODE_ARGS.split(' ') : []),
      '--conditions=keelson-source',
      '--import',
      'tsx',
      join(root, 'packages/controllers/src/bin/keelson-controller-manager.ts'),
      '--kubeconfig',
      c.kubeconfig,
      '--controllers',
      'replicaset,deployment,garbagecollector,endpoints,endpointslice',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const dc = c.client.resource<Deployment>('deployments');
  const podCount = async () =>
    (await c.client.resource<Pod>('pods').list('default', { labelSelector: 'app=bench' })).items.filter(
      (p) => !p.metadata.deletionTimestamp,
    ).length;
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const base = procStats(cm.pid!);
    console.log(`controller manager idle: cpu ${base.cpuS.toFixed(2)} s, rss ${base.rssMiB.toFixed(0)} MiB`);
    const t0 = Date.now();
    await dc.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bench', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'bench' } },
        template: {
          metadata: { labels: { app: 'bench' } },
          spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
        },
      },
    });
    await waitFor(async () => (await podCount()) >= replicas, 600_000, 'pods created');
    const tCreated = Date.now() - t0;
    await waitFor(
      async () => (await dc.get('default', 'bench')).status?.availableReplicas === replicas,
      600_000,
      'available',
    );
    const tAvailable = Date.now() - t0;
    console.log(
      `deployment of ${replicas}: all pods created in ${(tCreated / 1000).toFixed(1)} s, all available in ${(tAvailable / 1000).toFixed(1)} s`,
    );
    const d = await dc.get('default', 'bench');
    d.spec.template.spec!.containers[0]!.image = 'busybox:2';
    const t1 = Date.now();
    await dc.update(d);
    await waitFor(
      async () => {
        const x = await dc.get('default', 'bench');
        return (
          x.status?.observedGeneration === x.metadata.generation &&
          x.status?.updatedReplicas === replicas &&
          x.status.availableReplicas === replicas &&
          x.status.replicas === replicas
        );
      },
      1_200_000,
      'rolling update',
    );
    console.log(`rolling update of ${replicas} (25%/25%): ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    if (scale > replicas) {
      const t2 = Date.now();
      const cur = await dc.get('default', 'bench');
      await dc.update({ ...cur, spec: { ...cur.spec, replicas: scale } });
      await waitFor(
        async () => (await dc.get('default', 'bench')).status?.availableReplicas === scale,
        1_800_000,
        'scale',
      );
      console.log(`scale to ${scale}: ${((Date.now() - t2) / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, 5000));
    }
    const end = procStats(cm.pid!);
    console.log(
      `controller manager total: cpu ${end.cpuS.toFixed(2)} s, rss ${end.rssMiB.toFixed(0)} MiB (with ${Math.max(scale, replicas)} pods cached)`,
    );
  } finally {
    cm.kill('SIGTERM');
    await c.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
