// @kubernetes/client-node 1.4 (the official JavaScript client) lists, watches and runs an
// informer against the apiserver. The client is ESM-only, so it runs in a child process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startTestServer, waitFor, type TestServer } from './helpers';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});
const ref = (name = '') => ({ group: '', version: 'v1', resource: 'pods', namespace: 'default', name });

it('lists and watches pods', async () => {
  const h = t.server.handler;
  await h.create(ref(), pod('existing'));
  const child = spawn(process.execPath, [join(__dirname, 'fixtures/client-node-probe.mjs'), t.kubeconfig], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: any[] = [];
  let err = '';
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on('data', (d) => (err += d));
  try {
    await waitFor(
      () => lines.some((l) => l.step === 'watching'),
      15000,
      `client-node to start watching (stderr: ${err})`,
    );
    expect(lines.find((l) => l.step === 'list').names).toEqual(['existing']);
    await waitFor(
      () => lines.some((l) => l.step === 'informer-add' && l.name === 'existing'),
      10000,
      'informer add of the existing pod',
    );
    await h.create(ref(), pod('fresh'));
    await h.patch(
      ref('fresh'),
      'application/merge-patch+json',
      Buffer.from('{"metadata":{"labels":{"x":"y"}}}'),
    );
    await h.delete(ref('fresh'));
    await waitFor(
      () => lines.filter((l) => l.step === 'event' && l.name === 'fresh').length >= 3,
      10000,
      'watch events',
    );
    expect(lines.filter((l) => l.step === 'event' && l.name === 'fresh').map((l) => l.type)).toEqual([
      'ADDED',
      'MODIFIED',
      'DELETED',
    ]);
    await waitFor(
      () => lines.some((l) => l.step === 'informer-delete' && l.name === 'fresh'),
      10000,
      'informer delete',
    );
    expect(lines.some((l) => l.step === 'informer-add' && l.name === 'fresh')).toBe(true);
  } finally {
    child.stdin.write('stop\n');
    await new Promise((r) => {
      const timer = setTimeout(() => {
        child.kill();
        r(undefined);
      }, 3000);
      child.on('exit', () => {
        clearTimeout(timer);
        r(undefined);
      });
    });
  }
});
