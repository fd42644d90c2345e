// CRI benchmark (run by hand, as root):
//   node --conditions=keelson-source --import tsx tools/bench/cri/bench.ts [--pods 50]
// For each backend, starts a fresh runtime on a temp root and times, per pod,
// RunPodSandbox + CreateContainer + StartContainer (busybox `sleep`) over the CRI gRPC socket;
// prints p50/p99 (ms). Backends: keelson-cri with runc, keelson-cri with crun (or why crun can't
// run here), and containerd 1.6 (Debian `containerd`, its own temp root/state/socket, CRI plugin,
// loopback-only CNI, the same images imported with `ctr -n k8s.io images import`), with the ratio.
import { credentials, Client } from '@grpc/grpc-js';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxImage, cri, probeRuntime, startCriServer } from '@keelson/cri-runtime';

const { RuntimeServiceClient } = cri;
const podsArg = process.argv.indexOf('--pods');
const PODS = podsArg > 0 ? Number(process.argv[podsArg + 1]) : 50;
const BUSYBOX = 'docker.io/library/busybox:latest';
const PAUSE = 'docker.io/keelson/pause:1';

type Unary = (req: object, cb: (err: Error | null, res: any) => void) => void;
function call(client: Client, method: string, partial: object): Promise<any> {
  const type = (cri as unknown as Record<string, { fromPartial(o: object): object }>)[
    `${method[0].toUpperCase()}${method.slice(1)}Request`
  ];
  return new Promise((resolve, reject) =>
    (client as unknown as Record<string, Unary>)[method](type.fromPartial(partial), (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  );
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

interface Result {
  name: string;
  p50?: number;
  p99?: number;
  mean?: number;
  error?: string;
}

/** Times PODS pod starts against a CRI socket, then removes every pod it made. */
async function measure(name: string, socket: string, logRoot: string, hostNetwork: boolean): Promise<Result> {
  const rt = new RuntimeServiceClient(`unix://${socket}`, credentials.createInsecure());
  const times: number[] = [];
  const made: string[] = [];
  try {
    for (let i = 0; i < PODS; i++) {
      const podName = `bench-${process.pid}-${i}`;
      const config = {
        metadata: { name: podName, namespace: 'bench', uid: `${podName}-${Date.now()}`, attempt: 0 },
        hostname: hostNetwork ? '' : podName,
        logDirectory: join(logRoot, podName),
        linux: hostNetwork
          ? { securityContext: { namespaceOptions: { network: 2 /* NODE */, pid: 1 /* CONTAINER */ } } }
          : {},
      };
      mkdirSync(config.logDirectory, { recursive: true });
      const t0 = process.hrtime.bigint();
      const { podSandboxId } = await call(rt, 'runPodSandbox', { config });
      made.push(podSandboxId);
      const { containerId } = await call(rt, 'createContainer', {
        podSandboxId,
        config: {
          metadata: { name: 'main', attempt: 0 },
          image: { image: BUSYBOX },
          command: ['sleep', '3600'],
          logPath: 'main.log',
        },
        sandboxConfig: config,
      });
      await call(rt, 'startContainer', { containerId });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return {
      name,
      p50: pct(times, 50),
      p99: pct(times, 99),
      mean: times.reduce((a, b) => a + b, 0) / times.length,
    };
  } catch (e) {
    return { name, error: (e as Error).message };
  } finally {
    for (const id of made) {
      await call(rt, 'stopPodSandbox', { podSandboxId: id }).catch(() => undefined);
      await call(rt, 'removePodSandbox', { podSandboxId: id }).catch(() => undefined);
    }
    rt.close();
  }
}

async function keelson(runtime: 'runc' | 'crun', layouts: string[], hostNetwork: boolean): Promise<Result> {
  const name = `keelson-cri + ${runtime}${hostNetwork ? ', host network' : ''}`;
  if (runtime === 'crun') {
    const p = await probeRuntime('crun');
    if (!p.ok) return { name, error: `crun cannot run containers here: ${p.reason}` };
  }
  const root = mkdtempSync(join(tmpdir(), 'kb-cri-'));
  const cgroupRoot = `/keelson-bench-${process.pid}-${runtime}`;
  const server = await startCriServer({
    root,
    listen: `unix://${join(root, 'cri.sock')}`,
    ociRuntime: runtime,
    cgroupRoot,
    streamingAddress: '',
  });
  try {
    for (const l of layouts) await server.runtime.images.importImage(l);
    return await measure(name, server.socketPath, join(root, 'logs'), hostNetwork);
  } finally {
    await server.close();
    spawnSync('sh', [
      '-c',
      `for c in /sys/fs/cgroup/*/${cgroupRoot.slice(1)}; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \\; ; done`,
    ]);
    rmSync(root, { recursive: true, force: true });
  }
}

async function waitSocket(path: string, proc: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(path)) {
    if (proc.exitCode !== null) throw new Error(`containerd exited with ${proc.exitCode}`);
    if (Date.now() > deadline) throw new Error('containerd did not create its socket');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function containerd(layouts: string[], hostNetwork: boolean): Promise<Result> {
  const name = `containerd 1.6 + runc${hostNetwork ? ', host network' : ', CNI bridge'}`;
  if (spawnSync('sh', ['-c', 'command -v containerd && command -v ctr']).status !== 0)
    return { name, error: 'containerd/ctr not installed' };
  const dir = mkdtempSync(join(tmpdir(), 'kb-containerd-'));
  const sock = join(dir, 'containerd.sock');
  const cniDir = join(dir, 'cni');
  mkdirSync(cniDir);
  // containerd runs CNI itself for pod networks and needs an IP back: an L2-only bridge (no
  // gateway address, no masquerade, so nothing routes off this machine) with host-local IPAM.
  const bridge = `kb${process.pid % 100000}`;
  writeFileSync(
    join(cniDir, '10-bench.conflist'),
    JSON.stringify({
      cniVersion: '0.4.0',
      name: `bench-${process.pid}`,
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: false,
          ipMasq: false,
          ipam: { type: 'host-local', subnet: '10.254.0.0/16', dataDir: join(dir, 'ipam') },
        },
        { type: 'loopback' },
      ],
    }),
  );
  const hadK8sCgroup = existsSync('/sys/fs/cgroup/memory/k8s.io');
  writeFileSync(
    join(dir, 'config.toml'),
    [
      'version = 2',
      `root = "${join(dir, 'root')}"`,
      `state = "${join(dir, 'state')}"`,
      'disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]',
      '[grpc]',
      `  address = "${sock}"`,
      '[ttrpc]',
      `  address = "${sock}.ttrpc"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${join(dir, 'opt')}"`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = "${PAUSE}"`,
      '  disable_apparmor = true',
      // This machine refuses negative oom_score_adj even to root; containerd's sandbox asks -998.
      '  restrict_oom_score_adj = true',
      '  [plugins."io.containerd.grpc.v1.cri".cni]',
      '    bin_dir = "/usr/lib/cni"',
      `    conf_dir = "${cniDir}"`,
      '  [plugins."io.containerd.grpc.v1.cri".containerd]',
      '    snapshotter = "overlayfs"',
      '    default_runtime_name = "runc"',
      '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      '      runtime_type = "io.containerd.runc.v2"',
      ...(process.env.BENCH_RUNC
        ? [
            '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
            `        BinaryName = "${process.env.BENCH_RUNC}"`,
          ]
        : []),
    ].join('\n'),
  );
  const proc = spawn('containerd', ['--config', join(dir, 'config.toml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    if (process.env.BENCH_DEBUG) process.stderr.write(d);
  });
  try {
    await waitSocket(sock, proc, 20000);
    for (const l of layouts) {
      const tar = `${l}.tar`;
      spawnSync('tar', ['-cf', tar, '-C', l, '.']);
      const r = spawnSync('ctr', ['-a', sock, '-n', 'k8s.io', 'images', 'import', tar], { encoding: 'utf8' });
      if (r.status !== 0) return { name, error: `ctr images import failed: ${r.stderr.trim()}` };
    }
    const images = spawnSync('ctr', ['-a', sock, '-n', 'k8s.io', 'images', 'ls', '-q'], {
      encoding: 'utf8',
    }).stdout;
    if (!images.includes(BUSYBOX) || !images.includes(PAUSE))
      return { name, error: `images not imported as expected: ${images.trim()}` };
    const res = await measure(name, sock, join(dir, 'logs'), hostNetwork);
    if (res.error) res.error += ` | containerd stderr: ${stderr.trim().split('\n').slice(-2).join(' ')}`;
    return res;
  } catch (e) {
    return {
      name,
      error: `${(e as Error).message}; stderr: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
    };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    spawnSync('sh', [
      '-c',
      `grep " ${dir}" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l`,
    ]);
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    if (!hadK8sCgroup)
      spawnSync('sh', [
        '-c',
        'for c in /sys/fs/cgroup/*/k8s.io; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \\; 2>/dev/null; done',
      ]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/cri: needs root (namespaces, mounts, cgroups)');
    process.exit(1);
  }
  const work = mkdtempSync(join(tmpdir(), 'kb-images-'));
  try {
    const bb = join(work, 'busybox');
    const pause = join(work, 'pause');
    await buildBusyboxImage(bb);
    await buildBusyboxImage(pause, { ref: PAUSE, cmd: ['sleep', '2147483647'] });
    console.log(
      `CRI pod start latency: RunPodSandbox + CreateContainer + StartContainer, ${PODS} pods, busybox sleep`,
    );
    console.log('(keelson-cri leaves pod networking to the kubelet, so its pod-network row has no CNI ADD;');
    console.log(
      ' containerd runs CNI ADD (bridge + host-local) itself. The host-network rows compare like for like.)',
    );
    const show = (r: Result) =>
      console.log(
        r.error
          ? `  ${r.name.padEnd(40)} n/a: ${r.error}`
          : `  ${r.name.padEnd(40)} p50 ${r.p50!.toFixed(1)} ms   p99 ${r.p99!.toFixed(1)} ms   mean ${r.mean!.toFixed(1)} ms`,
      );
    const ratio = (what: string, a: Result, b: Result) => {
      if (!a.error && !b.error)
        console.log(`  ${what}: p50 ${(a.p50! / b.p50!).toFixed(2)}x, p99 ${(a.p99! / b.p99!).toFixed(2)}x`);
    };
    const runc = await keelson('runc', [bb], false);
    show(runc);
    const runcHost = await keelson('runc', [bb], true);
    show(runcHost);
    const crunR = await keelson('crun', [bb], false);
    show(crunR);
    const ctd = await containerd([bb, pause], false);
    show(ctd);
    const ctdHost = await containerd([bb, pause], true);
    show(ctdHost);
    ratio('crun / runc (keelson-cri)', crunR, runc);
    ratio('containerd / keelson-cri, pod network', ctd, runc);
    ratio('containerd / keelson-cri, host network', ctdHost, runcHost);
    console.log('  (a ratio above 1 means keelson-cri is faster)');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(`bench/cri: ${e.message}`);
  process.exit(1);
});
