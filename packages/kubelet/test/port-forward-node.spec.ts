// `kubectl port-forward` end to end on a real node (root only): the real kubectl, an in-process
// apiserver, the kubelet, keelson-cri (CRI PortForward: nsenter into the pod's netns + busybox
// nc) and a busybox httpd pod on a CNI bridge.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Pod } from '@keelson/api';
import { writeKubeconfig } from '@keelson/apiserver';
import { waitFor } from '../src/testing/wait';
import { describeRoot, startTestNode, type TestNode } from './helpers';

const KUBECTL = '/usr/bin/kubectl';

jest.setTimeout(120_000);

function httpGet(port: number, path = '/'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const run = existsSync(KUBECTL) ? describeRoot : describe.skip;
if (!existsSync(KUBECTL))
  console.log(`skipped: kubectl port-forward on a real node: ${KUBECTL} not installed`);

run('kubectl port-forward on a real runtime', () => {
  let node: TestNode;
  let kubeconfig: string;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    node = await startTestNode('kt-pf-node');
    kubeconfig = join(node.dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, { url: node.api.url, grpcAddress: node.api.grpcAddress });
    await node.cs.resource<Pod>('pods').create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodeName: 'kt-pf-node',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'httpd',
            image: 'busybox:latest',
            imagePullPolicy: 'IfNotPresent',
            command: [
              'sh',
              '-c',
              'mkdir -p /www && echo hello-from-the-pod > /www/index.html && head -c 1048576 /dev/zero > /www/big && exec httpd -f -p 8080 -h /www',
            ],
            ports: [{ containerPort: 8080 }],
          },
        ],
      },
    });
    await waitFor(
      'web Running',
      async () => (await node.cs.resource<Pod>('pods').get('default', 'web')).status?.phase === 'Running',
      60_000,
      100,
    );
  }, 120_000);

  afterAll(async () => {
    for (const p of procs)
      if (p.exitCode === null && p.signalCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        process.kill(p.pid!, 'SIGTERM');
        await exited;
      }
    await node?.cleanup();
  }, 120_000);

  async function forward(remote: number) {
    const proc = spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'port-forward', 'pod/web', `:${remote}`], {
      env: { ...process.env, HOME: node.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push(proc);
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (err += d));
    const port = await waitFor(
      'kubectl Forwarding from',
      () => {
        if (proc.exitCode !== null) throw new Error(`kubectl exited ${proc.exitCode}: ${err}`);
        const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
        return m ? Number(m[1]) : undefined;
      },
      20_000,
    );
    return { proc, port, stderr: () => err };
  }

  it('serves the pod over new connections each time, large bodies included', async () => {
    const f = await forward(8080);
    expect((await httpGet(f.port)).toString()).toBe('hello-from-the-pod\n');
    expect((await httpGet(f.port, '/index.html')).toString()).toBe('hello-from-the-pod\n');
    const big = await httpGet(f.port, '/big');
    expect(big.length).toBe(1048576);
    expect(big.every((b) => b === 0)).toBe(true);
    expect(f.proc.exitCode).toBeNull();
  });

  it('prints the upstream error line for a port with nothing listening', async () => {
    const f = await forward(8081);
    await new Promise<void>((resolve) => {
      const s = connect(f.port, '127.0.0.1');
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.resume();
    });
    await waitFor('kubectl exit', () => f.proc.exitCode !== null, 20_000);
    expect(f.stderr()).toMatch(
      /an error occurred forwarding \d+ -> 8081: error forwarding port 8081 to pod default\/web, uid [-0-9a-f]+: .*[Cc]onnection refused/,
    );
    expect(f.stderr()).toMatch(/error: lost connection to pod/);
  });
});
