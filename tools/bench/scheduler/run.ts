/**
 * Scheduler benchmark (run by hand; prints figures, asserts nothing):
 *   node --conditions=keelson-source --import tsx tools/bench/scheduler/run.ts [--quick]
 * 1. Embedded core: pods/s and p50/p99 per-pod latency scheduling 10,000 pods onto 500 and 5,000
 *    simulated nodes (4 CPU, 32 GiB, 110 pods each; pods request 100m / 500Mi as upstream's
 *    pod-default template), with plain pods, with required pod anti-affinity on hostname, and
 *    with a hostname topology spread constraint.
 * 2. Full cluster path: a real apiserver (in-process, memory storage) and the cluster scheduler
 *    binding pods created through the API onto fake nodes; pods/s from the first create to the
 *    last binding.
 * kube-scheduler's published scheduler_perf thresholds for comparison are in README.md.
 */
import type { Node, Pod } from '@keelson/api';
import { Scheduler } from '@keelson/scheduler';
import { makeNode, makePod, startScheduler } from '@keelson/scheduler';
import { startApiServer } from '@keelson/apiserver';
import { createClientset } from '@keelson/client';

const quick = process.argv.includes('--quick');
const PODS = quick ? 2000 : 10_000;

function nodes(n: number): Node[] {
  return Array.from({ length: n }, (_, i) =>
    makeNode(`node-${i}`)
      .capacity({ cpu: '4', memory: '32Gi', pods: '110' })
      .label('topology.kubernetes.io/zone', `zone${i % 3}`)
      .obj(),
  );
}

type Shape = 'basic' | 'anti-affinity' | 'spread';
function pod(i: number, shape: Shape): Pod {
  const w = makePod(`pod-${i}`).req({ cpu: '100m', memory: '500Mi' }).label('color', 'green');
  if (shape === 'anti-affinity')
    w.podAntiAffinity({
      labelSelector: { matchLabels: { color: 'green' } },
      topologyKey: 'kubernetes.io/hostname',
    });
  if (shape === 'spread')
    w.spread({
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { color: 'green' } },
    });
  return w.obj();
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

function embedded(nodeCount: number, shape: Shape, count: number): void {
  const s = new Scheduler({ random: Math.random });
  for (const n of nodes(nodeCount)) s.addNode(n);
  // Anti-affinity on hostname fits at most one pod per node.
  const total = shape === 'anti-affinity' ? Math.min(count, nodeCount) : count;
  const lat: number[] = [];
  let failed = 0;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const p = pod(i, shape);
    const t0 = performance.now();
    const r = s.schedule(p);
    if (r.nodeName) s.assume(p, r.nodeName);
    else failed++;
    lat.push(performance.now() - t0);
  }
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  console.log(
    `embedded  ${String(nodeCount).padStart(5)} nodes  ${shape.padEnd(13)} ${String(total).padStart(6)} pods  ${(total / secs).toFixed(0).padStart(6)} pods/s  p50 ${pct(lat, 50).toFixed(2)} ms  p99 ${pct(lat, 99).toFixed(2)} ms${failed ? `  (${failed} unschedulable)` : ''}`,
  );
}

async function cluster(nodeCount: number, count: number): Promise<void> {
  const api = await startApiServer({ storage: 'memory', port: 0, grpcPort: 0, compactionIntervalMs: 0 });
  const client = createClientset({ grpcAddress: api.grpcAddress });
  try {
    for (const n of nodes(nodeCount)) {
      const created = (await client.resource<Node>('nodes').create({ ...n, status: undefined })) as Node;
      await client.resource<Node>('nodes').updateStatus({ ...created, status: n.status });
    }
    const sched = await startScheduler({}, client);
    const start = performance.now();
    const creates: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const p = pod(i, 'basic');
      delete p.metadata.uid;
      creates.push(client.resource<Pod>('pods').create(p));
      if (creates.length >= 64) await Promise.all(creates.splice(0));
    }
    await Promise.all(creates);
    while (sched.scheduled < count) await new Promise((r) => setTimeout(r, 20));
    const secs = (performance.now() - start) / 1000;
    console.log(
      `cluster   ${String(nodeCount).padStart(5)} nodes  basic         ${String(count).padStart(6)} pods  ${(count / secs).toFixed(0).padStart(6)} pods/s  (create through gRPC → bound, ${secs.toFixed(1)} s)`,
    );
    await sched.stop();
  } finally {
    client.close();
    await api.close();
  }
}

async function main(): Promise<void> {
  console.log(`Keelson scheduler benchmark (${PODS} pods; Node ${process.version})`);
  for (const n of [500, 5000])
    for (const shape of ['basic', 'anti-affinity', 'spread'] as Shape[]) embedded(n, shape, PODS);
  await cluster(500, quick ? 500 : 2000);
}

void main();
