/**
 * `keelson up --runtime containerd`, in both process layouts: one node whose pods run in its own
 * containerd 1.6 (CRI plugin, CNI from /usr/lib/cni). A Deployment of busybox httpd pods behind
 * a Service answers a client pod by DNS name; kubectl logs and exec work; `keelson down` leaves
 * no containerd, shim, pod process, mount, cgroup or pod network namespace behind.
 * Needs root, kubectl and containerd; skips with a printed reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, has, isRoot, keelson, kubectlFor, run, until as waitUntil } from './helpers';

const ready = isRoot && has('kubectl') && has('containerd') && has('ctr');

const cniNetns = () =>
  existsSync('/var/run/netns') ? readdirSync('/var/run/netns').filter((n) => n.startsWith('cni-')) : [];

(ready ? describe.each([[[] as string[]], [['--split']]]) : describe.skip.each([[[] as string[]]]))(
  'keelson up --runtime containerd %j',
  (modeArgs: string[]) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keelson-ctd-'));
    const kubeconfig = join(dataDir, 'kubeconfig');
    const kubectl = kubectlFor(kubeconfig, 120_000);
    const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 60_000) =>
      waitUntil(what, fn, ms, 500);
    let netnsBefore: string[] = [];

    beforeAll(async () => {
      netnsBefore = cniNetns();
      const [api, grpc] = [await freePort(), await freePort()];
      await run(
        keelson,
        [
          'up',
          ...modeArgs,
          '--runtime',
          'containerd',
          '--data-dir',
          dataDir,
          '--api-port',
          String(api),
          '--grpc-port',
          String(grpc),
          '--timeout',
          '90',
        ],
        { timeout: 150_000 },
      );
    }, 160_000);

    afterAll(async () => {
      if (existsSync(join(dataDir, 'state.json')))
        await run(keelson, ['down', '--data-dir', dataDir], { timeout: 120_000 }).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }, 130_000);

    it('runs the node on its own containerd', async () => {
      const info = await kubectl(
        'get',
        'nodes',
        '-o',
        'jsonpath={.items[0].status.nodeInfo.containerRuntimeVersion}',
      );
      expect(info).toMatch(/^containerd:\/\//);
      expect((await run(keelson, ['status', '--data-dir', dataDir])).stdout).toMatch(/runtime\s+containerd/);
    });

    it('serves a Deployment behind a Service by DNS name, with logs and exec', async () => {
      const f = join(dataDir, 'web.yaml');
      writeFileSync(
        f,
        `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: httpd
        image: busybox
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && echo serving $(hostname) && exec httpd -f -p 80 -h /www"]
        ports: [{ containerPort: 80 }]
        readinessProbe: { httpGet: { path: /, port: 80 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 80 }]
`,
      );
      await kubectl('apply', '-f', f);
      await kubectl('rollout', 'status', 'deployment/web', '--timeout=90s');
      const ids = await kubectl(
        'get',
        'pods',
        '-l',
        'app=web',
        '-o',
        'jsonpath={.items[*].status.containerStatuses[0].containerID}',
      );
      for (const id of ids.split(' ')) expect(id).toMatch(/^containerd:\/\//);
      await kubectl(
        'run',
        'client',
        '--image=busybox',
        '--restart=Never',
        '--',
        'sh',
        '-c',
        'wget -qO- http://web && wget -qO- http://web.default.svc.cluster.local',
      );
      await until(
        'client pod completes',
        async () => (await kubectl('get', 'pod', 'client', '-o', 'jsonpath={.status.phase}')) === 'Succeeded',
      );
      const out = (await kubectl('logs', 'client')).trim().split('\n');
      expect(out).toHaveLength(2);
      for (const l of out) expect(l).toMatch(/^web-/);

      const pod = (
        await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}')
      ).trim();
      expect(await kubectl('logs', pod)).toContain(`serving ${pod}`);
      expect((await kubectl('exec', pod, '--', 'cat', '/www/index.html')).trim()).toBe(pod);
    }, 150_000);

    it('keelson down leaves no containerd, shim, mount, cgroup or pod netns behind', async () => {
      const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
      await run(keelson, ['down', '--data-dir', dataDir], { timeout: 120_000 });
      const ps = spawnSync('ps', ['-eo', 'pid=,args=']).stdout.toString();
      expect(ps.split('\n').filter((l) => l.includes(dataDir))).toEqual([]);
      expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(dataDir);
      for (const h of ['memory', 'cpu', 'pids'])
        expect(existsSync(`/sys/fs/cgroup/${h}/keelson-${state.id}`)).toBe(false);
      expect(cniNetns().filter((n) => !netnsBefore.includes(n))).toEqual([]);
    }, 130_000);
  },
);

if (!ready) console.log('skipped: the containerd runtime test needs root, kubectl and containerd');
