// Pod startup benchmark for the kubelet (run by hand, as root):
//   node --conditions=keelson-source --import tsx tools/bench/pod-startup/run.ts [--pods 100] [--idle-seconds 30]
// Starts an in-memory apiserver and keelson-cri (runc) in this process and the kubelet as its own
// process (the keelson-kubelet bin, CNI on a bridge named kbb<pid>), creates N busybox httpd pods
// at once (readiness: httpGet every 2 s), and reports p50/p99 of creation → Running and
// creation → Ready (client-side clock: just before the create call → the first watch event
// showing the state), then the kubelet's CPU and RSS while idle with N pods. Everything it
// created (pods, sandboxes, bridge, cgroups, temp dirs, processes) is removed at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Namespace, Node, Pod } from '@keelson/api';
import { startApiServer, writeKubeconfig } from '@keelson/apiserver';
import { createClientset, isAlreadyExists } from '@keelson/client';
import { buildBusyboxImage, startCriServer } from '@keelson/cri-runtime';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PODS = arg('--pods', 100);
const IDLE_S = arg('--idle-seconds', 30);
const NODE = `bench-${process.pid}`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1))]!;
}

function procStat(pid: number): { cpuMs: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuMs: (ticks * 1000) / 100, rssMiB: rssKb / 1024 };
}

function removeCgroupTree(rel: string) {
  const rmTree = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      try {
        if (statSync(p).isDirectory()) rmTree(p);
      } catch {
        /* gone */
      }
    }
    try {
      rmdirSync(dir);
    } catch {
      /* busy */
    }
  };
  for (const h of readdirSync('/sys/fs/cgroup')) rmTree(join('/sys/fs/cgroup', h, rel));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  if (process.getuid?.() !== 0) {
    console.log('pod-startup bench needs root');
    process.exit(1);
  }
  const dir = await mkdtemp(join(tmpdir(), 'kb-podstart-'));
  const bridge = `kbb${process.pid % 100000}`;
  const podCidr = `10.234.${process.pid % 250}.0/24`;
  const cgroupRoot = `/kb-podstart-${process.pid}`;
  let kubelet: ChildProcess | undefined;
  const api = await startApiServer({ storage: 'memory' });
  const cs = createClientset({ grpcAddress: api.grpcAddress });
  const cri = await startCriServer({
    root: join(dir, 'cri'),
    listen: `unix://${join(dir, 'cri.sock')}`,
    ociRuntime: 'runc',
    cgroupRoot,
  });
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    // teardown through the kubelet (CNI DEL): delete every pod, wait for the runtime to be empty
    if (kubelet && kubelet.exitCode === null) {
      await cs
        .resource<Pod>('pods')
        .deleteCollection('default', {}, { gracePeriodSeconds: 0 })
        .catch(() => undefined);
      for (let i = 0; i < 600 && cri.runtime.listPodSandbox().length > 0; i++) await sleep(200);
      kubelet.kill('SIGTERM');
      await new Promise((r) => kubelet!.once('exit', r));
    }
    for (const s of cri.runtime.listPodSandbox())
      await cri.runtime.removePodSandbox(s.id).catch(() => undefined);
    await cri.close();
    cs.close();
    await api.close();
    const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'])
      .stdout.toString()
      .split('\n')
      .filter((m) => m.startsWith(dir));
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    spawnSync('ip', ['link', 'del', bridge]);
    removeCgroupTree(cgroupRoot);
    await rm(dir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.log(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    for (const ns of ['default', 'kube-node-lease']) {
      await cs
        .resource<Namespace>('namespaces')
        .create({ metadata: { name: ns } })
        .catch((e) => {
          if (!isAlreadyExists(e)) throw e;
        });
    }
    const img = await buildBusyboxImage(join(dir, 'busybox-oci'));
    await cri.runtime.images.importImage(img.dir, img.ref);
    const kc = join(dir, 'kubeconfig');
    await writeKubeconfig(kc, { url: api.url, grpcAddress: api.grpcAddress });
    kubelet = spawn(
      process.execPath,
      [
        '--conditions=keelson-source',
        '--import',
        'tsx',
        'packages/kubelet/src/bin/keelson-kubelet.ts',
        ...[
          '--kubeconfig',
          kc,
          '--node-name',
          NODE,
          '--container-runtime-endpoint',
          `unix://${join(dir, 'cri.sock')}`,
        ],
        ...[
          '--pod-cidr',
          podCidr,
          '--root-dir',
          join(dir, 'kubelet'),
          '--node-ip',
          '127.0.0.1',
          '--port',
          '0',
          '--address',
          '127.0.0.1',
        ],
        ...['--cni-bridge', bridge, '--max-pods', String(Math.max(110, PODS + 10))],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KEELSON_LOG_LEVEL: 'warn' } },
    );
    kubelet.stderr!.on('data', (d) => process.stderr.write(`[kubelet] ${d}`));
    kubelet.on('exit', (code, sig) => console.log(`kubelet exited: ${code ?? sig}`));
    for (let i = 0; ; i++) {
      const n = await cs
        .resource<Node>('nodes')
        .get(undefined, NODE)
        .catch(() => undefined);
      if (n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') break;
      if (i > 300) throw new Error('node never became Ready');
      await sleep(100);
    }
    const created = new Map<string, number>();
    const running = new Map<string, number>();
    const ready = new Map<string, number>();
    const watch = cs.resource<Pod>('pods').watch(
      'default',
      { fieldSelector: `spec.nodeName=${NODE}` },
      {
        onEvent: (ev) => {
          const p = ev.object;
          const name = p.metadata.name!;
          const t = Date.now();
          if (p.status?.phase === 'Running' && !running.has(name)) running.set(name, t);
          if (p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && !ready.has(name))
            ready.set(name, t);
        },
      },
    );
    console.log(`creating ${PODS} pods on ${NODE} ...`);
    const cpu0 = procStat(kubelet.pid!).cpuMs;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: PODS }, (_, i) => {
        const name = `p${i}`;
        created.set(name, Date.now());
        return cs.resource<Pod>('pods').create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: 'default' },
          spec: {
            nodeName: NODE,
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'web',
                image: 'busybox:latest',
                imagePullPolicy: 'IfNotPresent',
                command: [
                  'sh',
                  '-c',
                  'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www',
                ],
                ports: [{ containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 2 },
              },
            ],
          },
        });
      }),
    );
    const deadline = Date.now() + 300_000;
    while (ready.size < PODS && Date.now() < deadline) await sleep(200);
    const total = Date.now() - t0;
    const startupCpu = procStat(kubelet.pid!).cpuMs - cpu0;
    const toRun = [...running].map(([n, t]) => t - created.get(n)!);
    const toReady = [...ready].map(([n, t]) => t - created.get(n)!);
    console.log(
      `all ${ready.size}/${PODS} Ready after ${total} ms; kubelet CPU during startup ${(startupCpu / 1000).toFixed(1)} s`,
    );
    console.log(`creation → Running: p50 ${pct(toRun, 50)} ms, p99 ${pct(toRun, 99)} ms (n=${toRun.length})`);
    console.log(
      `creation → Ready:   p50 ${pct(toReady, 50)} ms, p99 ${pct(toReady, 99)} ms (n=${toReady.length})`,
    );
    await sleep(5000);
    const a = procStat(kubelet.pid!);
    await sleep(IDLE_S * 1000);
    const b = procStat(kubelet.pid!);
    console.log(
      `kubelet idle with ${PODS} pods over ${IDLE_S} s: CPU ${(((b.cpuMs - a.cpuMs) / (IDLE_S * 1000)) * 100).toFixed(1)} % of one core, RSS ${b.rssMiB.toFixed(0)} MiB`,
    );
    watch.stop();
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
