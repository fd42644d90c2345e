// The kubelet on a real node (root only): real apiserver + keelson-cri + CNI bridge/host-local.
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { writeKubeconfig } from '@keelson/apiserver';
import type {
  ConfigMap,
  Event,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  Secret,
} from '@keelson/api';
import { isNotFound } from '@keelson/client';
import { decodeFrame, exitCodeOf } from '../src/server/channel';
import { waitFor } from '../src/testing/wait';
import { describeRoot, startTestNode, type TestNode } from './helpers';

jest.setTimeout(120_000);

describeRoot('kubelet on a real runtime with CNI', () => {
  let node: TestNode;
  const pods = () => node.cs.resource<Pod>('pods');
  const get = (name: string) => pods().get('default', name);

  beforeAll(async () => {
    node = await startTestNode('kt-node1');
  }, 120_000);

  afterAll(async () => {
    await node?.cleanup();
  }, 120_000);

  function pod(name: string, spec: Partial<NonNullable<Pod['spec']>>): Pod {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: name } },
      spec: { nodeName: 'kt-node1', terminationGracePeriodSeconds: 2, containers: [], ...spec },
    };
  }
  const bb = (name: string, cmd: string, extra: Record<string, unknown> = {}) => ({
    name,
    image: 'busybox:latest',
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', cmd],
    ...extra,
  });
  const phase = (name: string, want: string) =>
    waitFor(
      `${name} ${want}`,
      async () => {
        const p = await get(name);
        return p.status?.phase === want ? p : undefined;
      },
      60_000,
      100,
    );
  const ready = (name: string) =>
    waitFor(
      `${name} Ready`,
      async () => {
        const p = await get(name);
        return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
      },
      60_000,
      100,
    );
  const logs = async (name: string, c: string, q = '') =>
    (await fetch(`http://127.0.0.1:${node.kubelet.port}/containerLogs/default/${name}/${c}${q}`)).text();

  async function exec(
    name: string,
    c: string,
    cmd: string[],
  ): Promise<{ out: string; err: string; code: number }> {
    const q = cmd.map((x) => `command=${encodeURIComponent(x)}`).join('&');
    const ws = new WebSocket(
      `ws://127.0.0.1:${node.kubelet.port}/exec/default/${name}/${c}?${q}&stdout=1&stderr=1`,
      ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
    );
    let out = '';
    let err = '';
    let code = -1;
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (d: Buffer) => {
        const f = decodeFrame(ws.protocol, d);
        if (!f) return;
        if (f.channel === 1) out += f.data.toString();
        else if (f.channel === 2) err += f.data.toString();
        else if (f.channel === 3) code = exitCodeOf(JSON.parse(f.data.toString()));
      });
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    return { out, err, code };
  }

  it('registers the node with its pod CIDR and Ready', async () => {
    const n = await node.cs.resource<Node>('nodes').get(undefined, 'kt-node1');
    expect(n.spec?.podCIDR).toBe(node.podCidr);
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(n.status?.nodeInfo?.containerRuntimeVersion).toMatch(/:\/\//);
  });

  it('runs a pod to Running/Ready with a pod IP from the node CIDR; readiness follows an httpGet probe; exec works', async () => {
    await pods().create(
      pod('web', {
        containers: [
          bb(
            'httpd',
            'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www',
            {
              ports: [{ containerPort: 8080, name: 'http' }],
              readinessProbe: {
                httpGet: { path: '/ready.html', port: 'http' },
                periodSeconds: 1,
                failureThreshold: 1,
              },
            },
          ),
        ],
      }),
    );
    const running = await phase('web', 'Running');
    const prefix = node.podCidr.split('.').slice(0, 3).join('.');
    expect(running.status?.podIP?.startsWith(`${prefix}.`)).toBe(true);
    expect(running.status?.containerStatuses?.[0]?.ready).toBe(false); // /ready.html absent
    const r = await exec('web', 'httpd', ['sh', '-c', 'echo ok > /www/ready.html; cat /etc/hosts; exit 3']);
    expect(r.code).toBe(3);
    expect(r.out).toContain(`${running.status!.podIP}\tweb`);
    await ready('web');
    await exec('web', 'httpd', ['rm', '/www/ready.html']);
    await waitFor(
      'web unready again',
      async () => (await get('web')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False',
      30_000,
      100,
    );
  });

  it('records events for the pod (Pulling/Created/Started/Unhealthy) in the apiserver', async () => {
    const reasons = await waitFor(
      'events',
      async () => {
        const list = await node.cs.resource<Event>('events').list('default');
        const rs = new Set(list.items.filter((e) => e.involvedObject?.name === 'web').map((e) => e.reason));
        return rs.has('Created') && rs.has('Started') && rs.has('Unhealthy') ? rs : undefined;
      },
      20_000,
      200,
    );
    expect(reasons.has('SandboxReady')).toBe(true);
  });

  it('lets two pods reach each other by pod IP over the bridge', async () => {
    const web = await get('web');
    await pods().create(
      pod('client', {
        restartPolicy: 'Never',
        containers: [bb('wget', `wget -q -O- http://${web.status!.podIP}:8080/index.html`)],
      }),
    );
    await phase('client', 'Succeeded');
    expect(await logs('client', 'wget')).toBe('hello-from-web\n');
  });

  it('maps a container hostPort on the node (CNI portmap) and removes the mapping with the pod', async () => {
    const hostPort = 20000 + (process.pid % 20000);
    const gateway = `${node.podCidr.split('.').slice(0, 3).join('.')}.1`; // the test bridge's address
    await pods().create(
      pod('hp', {
        containers: [
          bb(
            'httpd',
            'mkdir -p /www && echo via-host-port > /www/index.html && exec httpd -f -p 8080 -h /www',
            {
              ports: [{ containerPort: 8080, hostPort }],
            },
          ),
        ],
      }),
    );
    await phase('hp', 'Running');
    const body = await waitFor(
      'hostPort answers',
      async () =>
        (await fetch(`http://${gateway}:${hostPort}/index.html`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.text())
          .catch(() => undefined)) || undefined,
      30_000,
      200,
    );
    expect(body).toBe('via-host-port\n');
    await pods().delete('default', 'hp', { gracePeriodSeconds: 0 });
    await waitFor(
      'hp gone',
      async () =>
        (await get('hp')
          .then(() => false)
          .catch((e) => isNotFound(e))) || undefined,
      30_000,
      200,
    );
    // portmap's DEL removed the DNAT rule: the port no longer reaches anything.
    await waitFor(
      'mapping removed',
      async () =>
        (await fetch(`http://${gateway}:${hostPort}/`, { signal: AbortSignal.timeout(1000) })
          .then(() => false)
          .catch(() => true)) || undefined,
      30_000,
      200,
    );
  });

  it('passes env from a ConfigMap and a Secret, and mounts a ConfigMap volume', async () => {
    await node.cs.resource<ConfigMap>('configmaps').create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'default' },
      data: { color: 'teal' },
    } as ConfigMap);
    await node.cs.resource<Secret>('secrets').create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: 'default' },
      data: { password: Buffer.from('s3cret').toString('base64') },
    } as Secret);
    await pods().create(
      pod('envpod', {
        volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
        containers: [
          bb('c', 'echo COLOR=$COLOR PASS=$PASS FILE=$(cat /cfg/color) NS=$MY_NS; sleep 3600', {
            env: [
              { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } },
              { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
              { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            ],
            volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }],
          }),
        ],
      }),
    );
    await phase('envpod', 'Running');
    await waitFor(
      'env in logs',
      async () => (await logs('envpod', 'c')).includes('COLOR=teal PASS=s3cret FILE=teal NS=default'),
      20_000,
      100,
    );
    // The volume follows the ConfigMap while the container runs (env does not, as upstream).
    const cms = node.cs.resource<ConfigMap>('configmaps');
    await cms.update({ ...(await cms.get('default', 'settings')), data: { color: 'plum' } });
    await waitFor(
      'volume updated in the container',
      async () => (await exec('envpod', 'c', ['cat', '/cfg/color'])).out === 'plum' || undefined,
      20_000,
      200,
    );
  });

  it('shares a tmpfs emptyDir between containers and projects downwardAPI and hostPath volumes', async () => {
    const host = join(node.dir, 'hostpath-vol');
    await pods().create(
      pod('vols', {
        volumes: [
          { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
          {
            name: 'info',
            downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
          },
          { name: 'host', hostPath: { path: host, type: 'DirectoryOrCreate' } },
        ],
        containers: [
          bb('writer', 'echo shared > /cache/x; echo from-pod > /host/y; sleep 3600', {
            volumeMounts: [
              { name: 'cache', mountPath: '/cache' },
              { name: 'host', mountPath: '/host' },
            ],
          }),
          bb(
            'reader',
            'while [ ! -e /cache/x ]; do sleep 0.2; done; cat /cache/x /info/labels; echo; grep " /cache " /proc/mounts | cut -d" " -f3; sleep 3600',
            {
              volumeMounts: [
                { name: 'cache', mountPath: '/cache' },
                { name: 'info', mountPath: '/info' },
              ],
            },
          ),
        ],
      }),
    );
    await phase('vols', 'Running');
    await waitFor(
      'reader output',
      async () => (await logs('vols', 'reader')) === 'shared\napp="vols"\ntmpfs\n',
      20_000,
      200,
    );
    await waitFor(
      'hostPath written',
      () =>
        readFile(join(host, 'y'), 'utf8').then(
          (t) => t === 'from-pod\n',
          () => false,
        ),
      10_000,
      200,
    );
  });

  it('mounts a persistentVolumeClaim: waits (FailedMount) while unbound, then a second pod sees what the first wrote', async () => {
    const claims = node.cs.resource<PersistentVolumeClaim>('persistentvolumeclaims');
    const volumes = node.cs.resource<PersistentVolume>('persistentvolumes');
    const dir = join(node.dir, 'storage', 'pv-kt');
    const claimSpec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };
    await claims.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'default' },
      spec: { ...claimSpec, storageClassName: '' },
    });
    const withClaim = (name: string, cmd: string) =>
      pod(name, {
        restartPolicy: 'Never',
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
        containers: [bb('c', cmd, { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
      });
    await pods().create(withClaim('pvc-writer', 'echo persisted > /data/f'));
    await waitFor(
      'FailedMount event',
      async () =>
        (await node.cs.resource<Event>('events').list('default')).items.some(
          (e) =>
            e.involvedObject.name === 'pvc-writer' &&
            e.reason === 'FailedMount' &&
            (e.message ?? '').includes('PVC default/data has non-bound phase ("Pending")'),
        ),
      20_000,
      200,
    );
    expect((await get('pvc-writer')).status?.phase).toBe('Pending');
    // Bind by hand (no binder runs here): a hostPath volume the kubelet creates (DirectoryOrCreate).
    await volumes.create({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv-kt' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: dir, type: 'DirectoryOrCreate' },
        claimRef: { namespace: 'default', name: 'data' },
      },
    });
    const c = await claims.get('default', 'data');
    const bound = await claims.update({ ...c, spec: { ...c.spec, volumeName: 'pv-kt' } });
    await claims.updateStatus({ ...bound, status: { phase: 'Bound', capacity: { storage: '1Gi' } } });
    await phase('pvc-writer', 'Succeeded');
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('persisted\n');
    await pods().create(withClaim('pvc-reader', 'cat /data/f'));
    await phase('pvc-reader', 'Succeeded');
    expect(await logs('pvc-reader', 'c')).toBe('persisted\n');
  });

  const hasKubectl = spawnSync('sh', ['-c', 'command -v kubectl']).status === 0;
  (hasKubectl ? it : it.skip)(
    'serves kubectl logs and kubectl exec (stdout, stderr, exit code, stdin) through the apiserver proxy',
    async () => {
      const kc = join(node.dir, 'kubeconfig');
      await writeKubeconfig(kc, { url: node.api.url, grpcAddress: node.api.grpcAddress });
      // async: the apiserver and kubelet live in this process
      const kubectl = (args: string[], input?: string) =>
        new Promise<{ stdout: string; stderr: string; status: number | null }>((resolve) => {
          const p = spawn('kubectl', ['--kubeconfig', kc, ...args], { timeout: 20_000 });
          let stdout = '';
          let stderr = '';
          p.stdout.on('data', (d) => (stdout += d));
          p.stderr.on('data', (d) => (stderr += d));
          p.on('close', (status) => resolve({ stdout, stderr, status }));
          p.stdin.end(input ?? '');
        });
      const l = await kubectl(['logs', 'envpod']);
      expect(l.stderr).toBe('');
      expect(l.stdout).toContain('COLOR=teal PASS=s3cret');
      const e = await kubectl(['exec', 'envpod', '--', 'sh', '-c', 'echo out; echo err >&2; exit 4']);
      expect(e.stdout).toBe('out\n');
      expect(e.stderr).toContain('err');
      expect(e.status).toBe(4);
      const i = await kubectl(['exec', '-i', 'envpod', '--', 'cat'], 'piped through stdin\n');
      expect(i.stdout).toBe('piped through stdin\n');
      expect(i.status).toBe(0);
    },
  );

  it('attaches to a running container and streams its output', async () => {
    await pods().create(pod('ticker', { containers: [bb('c', 'while true; do echo tick; sleep 1; done')] }));
    await phase('ticker', 'Running');
    const ws = new WebSocket(
      `ws://127.0.0.1:${node.kubelet.port}/attach/default/ticker/c?stdout=1&stderr=1`,
      ['v4.channel.k8s.io'],
    );
    const got = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no output; got ${JSON.stringify(out)}`)), 15_000);
      ws.on('message', (d: Buffer) => {
        const f = decodeFrame('v4.channel.k8s.io', d);
        if (f?.channel === 1) out += f.data.toString();
        if (out.includes('tick\n')) {
          clearTimeout(timer);
          resolve(out);
        }
      });
      ws.on('error', reject);
    });
    ws.close();
    expect(got).toContain('tick\n');
  });

  it('attaches stdin and a TTY to an interactive shell (kubectl run -it)', async () => {
    await pods().create(
      pod('shell', {
        containers: [
          {
            name: 'sh',
            image: 'busybox:latest',
            imagePullPolicy: 'IfNotPresent',
            stdin: true,
            stdinOnce: true,
            tty: true,
          },
        ],
      }),
    );
    await phase('shell', 'Running');
    const ws = new WebSocket(
      `ws://127.0.0.1:${node.kubelet.port}/attach/default/shell/sh?stdin=1&stdout=1&tty=1`,
      ['v4.channel.k8s.io'],
    );
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    let out = '';
    ws.on('message', (d: Buffer) => {
      const f = decodeFrame('v4.channel.k8s.io', d);
      if (f?.channel === 1) out += f.data.toString();
    });
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('echo typed-$((6*7))\n')]));
    await waitFor('the shell answers', () => out.includes('typed-42'), 15_000, 100).catch(() => {
      throw new Error(`no answer; got ${JSON.stringify(out)}`);
    });
    ws.close();
  });

  it('restarts a container whose liveness probe fails and bumps restartCount', async () => {
    await pods().create(
      pod('live', {
        containers: [
          bb('c', 'sleep 3600', {
            livenessProbe: {
              exec: { command: ['cat', '/tmp/healthy'] },
              periodSeconds: 1,
              failureThreshold: 2,
            },
          }),
        ],
      }),
    );
    const p = await waitFor(
      'restartCount ≥ 1',
      async () => {
        const x = await get('live');
        return (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? x : undefined;
      },
      60_000,
      200,
    );
    expect(p.status?.containerStatuses?.[0]?.lastState?.terminated).toBeDefined();
  });

  it('puts a crashing container into CrashLoopBackOff with growing restart counts, and keeps the previous log', async () => {
    await pods().create(pod('crash', { containers: [bb('c', 'echo attempt; exit 1')] }));
    const p = await waitFor(
      'CrashLoopBackOff',
      async () => {
        const x = await get('crash');
        const st = x.status?.containerStatuses?.[0];
        return st?.state?.waiting?.reason === 'CrashLoopBackOff' && st.restartCount >= 2 ? x : undefined;
      },
      60_000,
      100,
    );
    const st = p.status!.containerStatuses![0]!;
    expect(st.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(st.state!.waiting!.message).toMatch(
      /^back-off \d+s restarting failed container=c pod=crash_default/,
    );
    expect(await logs('crash', 'c', '?previous=true')).toBe('attempt\n');
  });

  it('ends a Never pod that exits 1 as Failed, with termination messages (file and FallbackToLogsOnError)', async () => {
    await pods().create(
      pod('fail', {
        restartPolicy: 'Never',
        containers: [
          bb('c', 'echo went wrong > /dev/termination-log; exit 1'),
          bb('d', 'echo from the log; exit 2', { terminationMessagePolicy: 'FallbackToLogsOnError' }),
        ],
      }),
    );
    const p = await phase('fail', 'Failed');
    expect(p.status!.containerStatuses![0]!.state!.terminated).toMatchObject({
      exitCode: 1,
      reason: 'Error',
      message: 'went wrong\n',
    });
    expect(p.status!.containerStatuses![1]!.state!.terminated).toMatchObject({
      exitCode: 2,
      message: 'from the log\n',
    });
  });

  it('deletes a pod within its grace period (SIGKILL after the grace for a PID 1 that ignores SIGTERM)', async () => {
    await pods().delete('default', 'web');
    await waitFor(
      'web deleted',
      async () => {
        try {
          await get('web');
          return false;
        } catch (e) {
          return isNotFound(e);
        }
      },
      30_000,
      100,
    );
    const left = node.cri.runtime.listPodSandbox().filter((s) => s.metadata?.name === 'web');
    await waitFor(
      'web sandbox removed',
      () => node.cri.runtime.listPodSandbox().filter((s) => s.metadata?.name === 'web').length === 0,
      20_000,
      100,
    );
    expect(left.every((s) => s.state !== 0 || true)).toBe(true);
  });
});
