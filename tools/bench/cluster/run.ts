/**
 * Cluster benchmark (run by hand, as root; prints figures, asserts nothing):
 *   node --conditions=keelson-source --import tsx tools/bench/cluster/run.ts [--pods 100] [--window 30] [--wait-free 600]
 * Drives the real CLI (`./keelson up` / `./keelson down --purge`) on a fresh data dir under /tmp
 * with two free loopback ports, and reports:
 *   1. time from spawning `keelson up` to its exit (every node Ready and cluster DNS answering),
 *      with the time of each step it prints;
 *   2. idle CPU (% of one core, from /proc/<pid>/stat utime+stime over --window seconds) and RSS
 *      (/proc/<pid>/status VmRSS) of the whole cluster: the supervisor, the node processes and
 *      every process descended from them or from the CRI's container monitors
 *      (`node <data-dir>/.../monitor.cjs`, detached), i.e. containers too; with 0 pods;
 *   3. time for a Deployment of --pods busybox `sleep 3600` pods (requests 10m / 8Mi) to be all
 *      Running (polled through the REST API at state.json's apiserver url);
 *   4. idle CPU and RSS again with those pods.
 * A single-node cluster puts its pod bridge and a route for the Service range (10.96.0.0/12)
 * in the host's namespace, so two clusters on one host collide: the bench waits (up to
 * --wait-free seconds) until no other cluster's route to 10.96.0.0/12 exists, and gives up
 * otherwise. `keelson down --purge` runs at the end, on failure and SIGINT/SIGTERM too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PODS = arg('--pods', 100);
const WINDOW_S = arg('--window', 30);
const WAIT_FREE_S = arg('--wait-free', 600);
/** The repo root: run from it (like the other benches). */
const ROOT = resolve(process.cwd());
const KEELSON = join(ROOT, 'keelson');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  ticks: number;
  comm: string;
}

function readProcs(): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(e), { pid: Number(e), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), comm });
    } catch {
      /* exited */
    }
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The cluster's processes: supervisor and node pids, monitors (cmdline names the data dir), and all their descendants. */
function clusterPids(dataDir: string): Set<number> {
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as {
    supervisorPid?: number;
    nodes: Array<{ pid?: number }>;
  };
  const procs = readProcs();
  const roots = new Set<number>(
    [state.supervisorPid ?? 0, ...state.nodes.map((n) => n.pid ?? 0)].filter(Boolean),
  );
  for (const p of procs.keys()) if (p !== process.pid && cmdline(p).includes(dataDir)) roots.add(p);
  const children = new Map<number, number[]>();
  for (const p of procs.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const p = stack.pop()!;
    if (out.has(p) || !procs.has(p)) continue;
    out.add(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

interface Usage {
  cpuPct: number;
  rssMiB: number;
  procs: number;
  byKind: Record<string, { n: number; rssMiB: number; cpuPct: number }>;
}

function kindOf(
  pid: number,
  comm: string,
  dataDir: string,
  state: { supervisorPid?: number; nodes: Array<{ pid?: number }> },
): string {
  if (pid === state.supervisorPid) return 'supervisor (control plane)';
  if (state.nodes.some((n) => n.pid === pid)) return 'node process';
  const cmd = cmdline(pid);
  // The CRI pre-spawns monitors with --idle (a pool of 2) and hands them containers later, so
  // the cmdline does not tell an idle spare from a busy monitor.
  if (cmd.includes('monitor.cjs')) return 'container monitors (node)';
  if (comm === 'runc' || comm === 'crun') return `${comm} run (per container)`;
  if (cmd.includes(dataDir) || comm === 'node') return 'other keelson';
  return 'containers';
}

/** CPU (% of one core) and RSS of the cluster's processes over a window. */
async function usage(dataDir: string, windowS: number): Promise<Usage> {
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
  const pids = clusterPids(dataDir);
  const before = readProcs();
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const secs = (performance.now() - t0) / 1000;
  const after = readProcs();
  const byKind: Usage['byKind'] = {};
  let ticks = 0;
  let rss = 0;
  let n = 0;
  for (const pid of pids) {
    const a = after.get(pid);
    if (!a) continue;
    const d = a.ticks - (before.get(pid)?.ticks ?? a.ticks);
    const r = rssKb(pid) / 1024;
    const k = kindOf(pid, a.comm, dataDir, state);
    byKind[k] ??= { n: 0, rssMiB: 0, cpuPct: 0 };
    byKind[k].n++;
    byKind[k].rssMiB += r;
    byKind[k].cpuPct += (d / HZ / secs) * 100;
    ticks += d;
    rss += r;
    n++;
  }
  return { cpuPct: (ticks / HZ / secs) * 100, rssMiB: rss, procs: n, byKind };
}

function printUsage(label: string, u: Usage): void {
  console.log(
    `${label}: CPU ${u.cpuPct.toFixed(1)} % of one core, RSS ${u.rssMiB.toFixed(0)} MiB over ${u.procs} processes`,
  );
  for (const [k, v] of Object.entries(u.byKind).sort()) {
    console.log(
      `    ${k.padEnd(28)} ${String(v.n).padStart(4)} procs  CPU ${v.cpuPct.toFixed(1).padStart(5)} %  RSS ${v.rssMiB.toFixed(0).padStart(5)} MiB`,
    );
  }
}

/** Runs the CLI; resolves with exit code, output, and the time (ms since spawn) each output line arrived. */
function keelson(
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; lines: Array<{ ms: number; text: string }> }> {
  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    const child: ChildProcess = spawn(KEELSON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Array<{ ms: number; text: string }> = [];
    const onData = (d: Buffer) => {
      for (const text of String(d).split('\n').filter(Boolean))
        lines.push({ ms: performance.now() - t0, text });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGTERM'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, lines });
    });
  });
}

/** Records the CRI's sandbox ids (their pod netns is `keelson-<first 16 hex>`) for {@link sweep}. */
function noteSandboxes(dataDir: string, into: Set<string>): void {
  const nodes = join(dataDir, 'nodes');
  if (!existsSync(nodes)) return;
  for (const n of readdirSync(nodes)) {
    const dir = join(nodes, n, 'runtime', 'sandboxes');
    if (existsSync(dir)) for (const id of readdirSync(dir)) into.add(id);
  }
}

/**
 * What `keelson down --purge` left behind when its node process was killed before removing its
 * pods (see README): our processes (cmdline names the data dir) and their descendants, mounts
 * under the data dir, pod network namespaces, the cluster's cgroups, the data dir. Only things
 * this run created.
 */
function sweep(dataDir: string, sandboxes: Set<string>): void {
  const procs = readProcs();
  const roots = [...procs.keys()].filter((p) => p !== process.pid && cmdline(p).includes(dataDir));
  const children = new Map<number, number[]>();
  for (const p of procs.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const all = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const p = stack.pop()!;
    if (all.has(p)) continue;
    all.add(p);
    stack.push(...(children.get(p) ?? []));
  }
  if (all.size) console.log(`sweep: killing ${all.size} leftover processes of this cluster`);
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  spawnSync('sleep', ['1']);
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && m.startsWith(`${dataDir}/`))
    .sort()
    .reverse();
  if (mounts.length) console.log(`sweep: unmounting ${mounts.length} leftover mounts`);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  let netns = 0;
  for (const id of sandboxes) {
    const name = `keelson-${id.slice(0, 16)}`;
    if (existsSync(`/var/run/netns/${name}`) && spawnSync('ip', ['netns', 'del', name]).status === 0) netns++;
  }
  if (netns) console.log(`sweep: deleted ${netns} leftover pod network namespaces`);
  const id = createHash('sha256').update(dataDir).digest('hex').slice(0, 6);
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const root = join('/sys/fs/cgroup', h, `keelson-${id}`);
    if (existsSync(root)) spawnSync('find', [root, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';']);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

/** Another cluster (or anything) routing the Service range or the single-node pod CIDR in the host namespace. */
function conflictingRoute(): string | undefined {
  const r = spawnSync('ip', ['route', 'show'], { encoding: 'utf8' }).stdout;
  return r.split('\n').find((l) => l.startsWith('10.96.0.0/12 ') || l.startsWith('10.244.0.0/24 '));
}

/** The kubeconfig's bearer token as a header (the apiserver authenticates every request). */
let authHeaders = (): Record<string, string> => ({});

/** All pods of the bench Deployment, in any phase (-1 on error). */
async function podCount(apiUrl: string): Promise<number> {
  try {
    const res = await fetch(`${apiUrl}/api/v1/namespaces/default/pods?labelSelector=app%3Dbench-sleep`, {
      signal: AbortSignal.timeout(5000),
      headers: authHeaders(),
    });
    return res.ok ? ((await res.json()) as { items: unknown[] }).items.length : -1;
  } catch {
    return -1;
  }
}

async function runningPods(apiUrl: string): Promise<number> {
  try {
    const res = await fetch(`${apiUrl}/api/v1/namespaces/default/pods?labelSelector=app%3Dbench-sleep`, {
      signal: AbortSignal.timeout(5000),
      headers: authHeaders(),
    });
    if (!res.ok) return -1;
    const list = (await res.json()) as { items: Array<{ status?: { phase?: string } }> };
    return list.items.filter((p) => p.status?.phase === 'Running').length;
  } catch {
    return -1;
  }
}

async function main(): Promise<void> {
  if (!existsSync(KEELSON)) {
    console.log(`run from the repo root (no ${KEELSON})`);
    process.exitCode = 2;
    return;
  }
  if (process.getuid?.() !== 0) {
    console.log('skipped: the cluster benchmark needs root');
    return;
  }
  const waitUntil = Date.now() + WAIT_FREE_S * 1000;
  for (let c = conflictingRoute(); c; c = conflictingRoute()) {
    if (Date.now() > waitUntil) {
      console.log(
        `gave up: another cluster holds "${c}" in the host namespace (a second single-node cluster would take its route)`,
      );
      process.exitCode = 2;
      return;
    }
    console.log(`waiting: another cluster holds "${c}"`);
    await sleep(10_000);
  }
  const dataDir = mkdtempSync('/tmp/kcb-');
  const [apiPort, grpcPort] = [await freePort(), await freePort()];
  let downDone = false;
  const sandboxes = new Set<string>();
  const down = async () => {
    if (downDone) return;
    downDone = true;
    noteSandboxes(dataDir, sandboxes);
    const r = await keelson(['down', '--data-dir', dataDir, '--purge'], 180_000);
    if (r.code !== 0)
      console.log(
        `keelson down exited ${r.code}: ${r.lines
          .map((l) => l.text)
          .join(' | ')
          .slice(0, 400)}`,
      );
    sweep(dataDir, sandboxes);
  };
  const onSignal = () => void down().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  console.log(
    `Keelson cluster benchmark (${new Date().toISOString()}; Node ${process.version}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`,
  );
  console.log(`data dir ${dataDir}, api port ${apiPort}, grpc port ${grpcPort}`);
  try {
    // 1. up → Ready
    const upRes = await keelson(
      ['up', '--data-dir', dataDir, '--api-port', String(apiPort), '--grpc-port', String(grpcPort)],
      600_000,
    );
    const upMs = upRes.lines.length ? upRes.lines[upRes.lines.length - 1].ms : NaN;
    if (upRes.code !== 0)
      throw new Error(`keelson up exited ${upRes.code}: ${upRes.lines.map((l) => l.text).join(' | ')}`);
    console.log(
      `keelson up → Ready: ${(upMs / 1000).toFixed(1)} s (cold data dir: includes building the busybox and node images)`,
    );
    const steps = upRes.lines.filter((l) => l.text.startsWith('- '));
    for (let i = 0; i < steps.length; i++) {
      const end = i + 1 < steps.length ? steps[i + 1].ms : upMs;
      console.log(
        `    ${steps[i].text.slice(2).padEnd(24)} ${((end - steps[i].ms) / 1000).toFixed(1).padStart(6)} s`,
      );
    }
    const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as {
      apiserver: { url: string };
    };
    const kubeconfig = parseYaml(readFileSync(join(dataDir, 'kubeconfig'), 'utf8')) as {
      users?: Array<{ user?: { token?: string } }>;
    };
    const token = kubeconfig.users?.[0]?.user?.token;
    if (token) authHeaders = () => ({ Authorization: `Bearer ${token}` });

    // 2. idle, no pods (after 10 s to settle)
    await sleep(10_000);
    printUsage(`idle, 0 pods (${WINDOW_S} s window)`, await usage(dataDir, WINDOW_S));

    // 3. a Deployment of N sleep pods
    const manifest = join(dataDir, 'bench-deploy.yaml');
    writeFileSync(
      manifest,
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: bench-sleep, namespace: default }
spec:
  replicas: ${PODS}
  selector: { matchLabels: { app: bench-sleep } }
  template:
    metadata: { labels: { app: bench-sleep } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: sleep
          image: busybox
          command: [sleep, "3600"]
          resources: { requests: { cpu: 10m, memory: 8Mi } }
`,
    );
    const t0 = performance.now();
    const apply = spawnSync(
      'kubectl',
      ['--kubeconfig', join(dataDir, 'kubeconfig'), 'apply', '-f', manifest],
      { encoding: 'utf8' },
    );
    if (apply.status !== 0) throw new Error(`kubectl apply: ${apply.stderr}`);
    let running = 0;
    const marks: string[] = [];
    let nextMark = 25;
    const deadline = t0 + 900_000;
    while (running < PODS && performance.now() < deadline) {
      await sleep(1000);
      running = await runningPods(state.apiserver.url);
      while (running >= (nextMark * PODS) / 100 && nextMark <= 100) {
        marks.push(`${nextMark}% at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        nextMark += 25;
      }
    }
    const podsS = (performance.now() - t0) / 1000;
    if (running < PODS) console.log(`only ${running}/${PODS} pods Running after ${podsS.toFixed(0)} s`);
    else
      console.log(
        `${PODS} pods Running: ${podsS.toFixed(1)} s from kubectl apply (polled every 1 s; ${marks.join(', ')})`,
      );

    // 4. idle with N pods
    await sleep(10_000);
    printUsage(`idle, ${running} pods (${WINDOW_S} s window)`, await usage(dataDir, WINDOW_S));

    // 5. delete the Deployment and wait for its pods to be gone, so `keelson down` has no pods to remove.
    noteSandboxes(dataDir, sandboxes);
    const t1 = performance.now();
    spawnSync(
      'kubectl',
      ['--kubeconfig', join(dataDir, 'kubeconfig'), 'delete', 'deployment', 'bench-sleep', '--wait=false'],
      { encoding: 'utf8' },
    );
    let left = PODS;
    while (left !== 0 && performance.now() - t1 < 600_000) {
      await sleep(2000);
      left = await podCount(state.apiserver.url);
    }
    console.log(
      `Deployment deleted → 0 pods left: ${((performance.now() - t1) / 1000).toFixed(1)} s${left ? ` (gave up with ${left} left)` : ''}`,
    );
  } finally {
    const t = performance.now();
    await down();
    console.log(
      `keelson down --purge: ${((performance.now() - t) / 1000).toFixed(1)} s${existsSync(dataDir) ? ' (data dir still there!)' : ''}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
