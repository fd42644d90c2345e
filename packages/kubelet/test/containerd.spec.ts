// The kubelet, unchanged, against containerd 1.6 (Debian `containerd`, CRI plugin) on a temp
// root/state/socket of its own. containerd runs CNI itself (from the conf dir the kubelet writes),
// so the kubelet sees the pod IP in PodSandboxStatus and skips its own CNI step. Root only; skips
// when containerd/ctr are not installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { Namespace, Pod } from '@keelson/api';
import { startApiServer, type RunningApiServer } from '@keelson/apiserver';
import { createClientset, isAlreadyExists, isNotFound, type Clientset } from '@keelson/client';
import { buildBusyboxImage } from '@keelson/cri-runtime';
import { startKubelet, type KubeletHandle } from '../src/kubelet';
import { decodeFrame, exitCodeOf } from '../src/server/channel';
import { waitFor } from '../src/testing/wait';
import { silentLogger } from '../src/util/log';
import { isRoot, removeCgroupTree } from './helpers';

const hasContainerd = spawnSync('sh', ['-c', 'command -v containerd && command -v ctr']).status === 0;
const run = isRoot && hasContainerd;
if (!run)
  console.log(`skipped: kubelet with containerd: ${isRoot ? 'containerd/ctr not installed' : 'needs root'}`);
const d = run ? describe : describe.skip;
const PAUSE = 'docker.io/keelson/pause:1';

jest.setTimeout(120_000);

d('kubelet with containerd 1.6', () => {
  let dir: string;
  let proc: ChildProcess | undefined;
  let api: RunningApiServer;
  let cs: Clientset;
  let k: KubeletHandle | undefined;
  let bridge: string;
  let hadK8sCgroup = false;
  let stderr = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kt-ctd-'));
    bridge = `ktc${process.pid % 100000}`;
    hadK8sCgroup = existsSync('/sys/fs/cgroup/memory/k8s.io');
    const sock = join(dir, 'containerd.sock');
    const cniDir = join(dir, 'net.d');
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
        '  restrict_oom_score_adj = true',
        '  [plugins."io.containerd.grpc.v1.cri".cni]',
        '    bin_dir = "/usr/lib/cni"',
        `    conf_dir = "${cniDir}"`,
        '  [plugins."io.containerd.grpc.v1.cri".containerd]',
        '    snapshotter = "overlayfs"',
        '    default_runtime_name = "runc"',
        '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
        '      runtime_type = "io.containerd.runc.v2"',
      ].join('\n'),
    );
    proc = spawn('containerd', ['--config', join(dir, 'config.toml')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    await waitFor('containerd socket', () => existsSync(sock), 20_000, 100);
    for (const [name, opts] of [
      ['busybox', {}],
      ['pause', { ref: PAUSE, cmd: ['sleep', '2147483647'] }],
    ] as const) {
      const img = await buildBusyboxImage(join(dir, name), opts);
      spawnSync('tar', ['-cf', `${img.dir}.tar`, '-C', img.dir, '.']);
      const r = spawnSync('ctr', ['-a', sock, '-n', 'k8s.io', 'images', 'import', `${img.dir}.tar`], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`ctr import: ${r.stderr}`);
    }
    api = await startApiServer({ storage: 'memory' });
    cs = createClientset({ grpcAddress: api.grpcAddress });
    for (const ns of ['default', 'kube-node-lease']) {
      await cs
        .resource<Namespace>('namespaces')
        .create({ metadata: { name: ns } })
        .catch((e) => {
          if (!isAlreadyExists(e)) throw e;
        });
    }
    k = await startKubelet(
      {
        nodeName: 'kt-ctd',
        containerRuntimeEndpoint: `unix://${sock}`,
        rootDir: join(dir, 'kubelet'),
        podCidr: `10.235.${process.pid % 250}.0/24`,
        cniConfDir: cniDir, // the kubelet writes the bridge conflist; containerd executes it
        cniBridge: bridge,
        nodeIp: '127.0.0.1',
        port: 0,
        address: '127.0.0.1',
        backoffInitialMs: 1000,
        logger: silentLogger,
      },
      cs,
    );
  }, 120_000);

  afterAll(async () => {
    try {
      await k?.stop({ removePods: true });
    } finally {
      cs?.close();
      await api?.close();
      if (proc && proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc!.once('exit', r));
      }
      // leftover shims/containers of this containerd root
      spawnSync('sh', [
        '-c',
        `grep " ${dir}" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l`,
      ]);
      spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      if (!hadK8sCgroup) removeCgroupTree('/k8s.io');
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  const get = (n: string) => cs.resource<Pod>('pods').get('default', n);

  it('runs a pod to Ready with containerd reporting the IP, serves logs, exec and port-forward, and deletes it', async () => {
    await cs.resource<Pod>('pods').create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ctd', namespace: 'default' },
      spec: {
        nodeName: 'kt-ctd',
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'c',
            image: 'busybox:latest',
            imagePullPolicy: 'IfNotPresent',
            command: [
              'sh',
              '-c',
              'echo hello-containerd; mkdir -p /www && echo via-port-forward > /www/index.html && exec httpd -f -p 8080 -h /www',
            ],
            readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
          },
        ],
      },
    });
    const p = await waitFor(
      'Ready',
      async () => {
        const x = await get('ctd');
        return x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? x : undefined;
      },
      60_000,
      200,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}; containerd: ${stderr.split('\n').slice(-3).join(' ')}`);
    });
    expect(p.status?.podIP).toMatch(/^10\.235\./);
    expect(p.status?.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\//);
    const port = k!.port;
    await waitFor(
      'logs',
      async () =>
        (await (await fetch(`http://127.0.0.1:${port}/containerLogs/default/ctd/c`)).text()) ===
        'hello-containerd\n',
      20_000,
      200,
    );
    const ws = new WebSocket(
      `ws://127.0.0.1:${port}/exec/default/ctd/c?command=sh&command=-c&command=echo%20via-exec%3B%20exit%205&stdout=1&stderr=1`,
      ['v4.channel.k8s.io'],
    );
    let out = '';
    let code = -1;
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (m: Buffer) => {
        const f = decodeFrame('v4.channel.k8s.io', m);
        if (f?.channel === 1) out += f.data.toString();
        if (f?.channel === 3) code = exitCodeOf(JSON.parse(f.data.toString()));
      });
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    expect(out).toBe('via-exec\n');
    expect(code).toBe(5);
    // port forwarding through containerd's CRI PortForward streaming URL (WebSocket channel framing)
    const pf = new WebSocket(`ws://127.0.0.1:${port}/portForward/default/ctd?port=8080`, [
      'v4.channel.k8s.io',
    ]);
    const frames: Buffer[] = [];
    pf.on('message', (m: Buffer) => frames.push(m));
    await new Promise((r) => pf.once('open', r));
    pf.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET / HTTP/1.0\r\n\r\n')]));
    await new Promise((r) => pf.once('close', r));
    const body = Buffer.concat(
      frames
        .slice(2)
        .filter((f) => f[0] === 0)
        .map((f) => f.subarray(1)),
    );
    const errs = Buffer.concat(
      frames
        .slice(2)
        .filter((f) => f[0] === 1)
        .map((f) => f.subarray(1)),
    );
    expect(errs.toString()).toBe('');
    expect(body.toString()).toMatch(/^HTTP\/1\.[01] 200 OK\r\n[\s\S]*\r\n\r\nvia-port-forward\n$/);
    await cs.resource<Pod>('pods').delete('default', 'ctd');
    await waitFor(
      'deleted',
      async () =>
        get('ctd').then(
          () => false,
          (e) => isNotFound(e),
        ),
      30_000,
      200,
    );
  });
});
