// The keelson-apiserver bin, run from source the way CONTRIBUTING describes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { waitFor } from './helpers';

const repo = resolve(__dirname, '../../..');
const BIN = [
  '--conditions=keelson-source',
  '--import',
  'tsx',
  join(repo, 'packages/apiserver/src/bin/keelson-apiserver.ts'),
];

it('prints one line and exits non-zero on a bad flag', () => {
  const r = spawnSync(process.execPath, [...BIN, '--storage', 'bogus:x'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 30000,
  });
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toEqual([
    'keelson-apiserver: unknown storage "bogus:x": expected memory, embedded:DIR, store:ADDR[,ADDR] or etcd:URL[,URL]',
  ]);
  const p = spawnSync(process.execPath, [...BIN, '--port', 'abc'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 30000,
  });
  expect(p.status).toBe(1);
  expect(p.stderr.trim()).toBe('keelson-apiserver: --port must be a non-negative integer, got "abc"');
});

it('serves on embedded storage and writes the kubeconfig', async () => {
  const dir = mkdtempSync(join(tmpdir(), `kas-bin-${process.pid}-`));
  const kc = join(dir, 'kubeconfig');
  const child = spawn(
    process.execPath,
    [
      ...BIN,
      '--storage',
      `embedded:${join(dir, 'data')}`,
      '--port',
      '0',
      '--grpc-port',
      '0',
      '--kubeconfig-out',
      kc,
    ],
    {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    await waitFor(() => out.includes('keelson-apiserver: REST'), 20000, 'the bin to start');
    const cfg = parse(readFileSync(kc, 'utf8'));
    const cluster = cfg.clusters[0].cluster;
    expect(cluster.server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster.extensions).toEqual([
      { name: 'keelson.dev/grpc', extension: { server: expect.stringMatching(/^127\.0\.0\.1:\d+$/) } },
    ]);
    expect(cfg['current-context']).toBe('keelson');
    const v = await (await fetch(`${cluster.server}/version`)).json();
    expect(v).toMatchObject({ major: '1', minor: '32' });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  expect(child.exitCode === 0 || child.signalCode === 'SIGTERM').toBe(true);
});
