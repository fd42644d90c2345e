// keelson-store's command line: bad input prints one line and exits 1; a served store answers
// RemoteStore calls and keeps its data across a clean restart (SIGTERM).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { RemoteStore } from '../src/index';

const repo = resolve(__dirname, '../../..');
const bin = join(repo, 'packages/store/src/bin/keelson-store.ts');
const nodeArgs = ['--conditions=keelson-source', '--import', 'tsx', bin];

function serve(dir: string, extra: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--data-dir', dir, '--listen', '127.0.0.1:0', ...extra],
    {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('keelson-store did not start')), 30_000);
    child.once('exit', (code) => rej(new Error(`keelson-store exited ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /listening on 127\.0\.0\.1:(\d+) revision (\d+)/.exec(l);
      if (m) {
        clearTimeout(t);
        res({ child, port: Number(m[1]) });
      }
    });
  });
}

describe('keelson-store bin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bin-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad listen address with one line and exit code 1', () => {
    const r = spawnSync(process.execPath, [...nodeArgs, '--data-dir', dir, '--listen', 'nowhere'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/HOST:PORT/);
  });

  it('serves, stops on SIGTERM, refuses a locked directory, and restarts with the same data', async () => {
    const first = await serve(dir);
    children.push(first.child);
    const remote = new RemoteStore(`127.0.0.1:${first.port}`);
    const { revision } = await remote.put('/bin/k', new TextEncoder().encode('v'));
    await remote.close();

    // A second process on the same directory fails cleanly (LevelDB lock).
    const locked = spawnSync(process.execPath, [...nodeArgs, '--data-dir', dir, '--listen', '127.0.0.1:0'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(locked.status).toBe(1);
    expect(locked.stderr.trim().split('\n')).toHaveLength(1);
    expect(locked.stderr).toMatch(/^keelson-store: /);

    const exited = new Promise<number | null>((r) => first.child.once('exit', (code) => r(code)));
    first.child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const second = await serve(dir);
    children.push(second.child);
    const again = new RemoteStore(`127.0.0.1:${second.port}`);
    expect(await again.currentRevision()).toBe(revision);
    expect(new TextDecoder().decode((await again.get('/bin/k'))!.value)).toBe('v');
    await again.close();
    second.child.kill('SIGTERM');
  }, 60_000);

  it('auto-compacts history older than the retention', async () => {
    const own = mkdtempSync(join(tmpdir(), 'keelson-bin-ac-'));
    const started = await serve(own, ['--auto-compact-retention', '5', '--auto-compact-interval', '50']);
    children.push(started.child);
    const remote = new RemoteStore(`127.0.0.1:${started.port}`);
    try {
      for (let i = 0; i < 20; i++) await remote.put('/ac/k', new Uint8Array([i]));
      const current = await remote.currentRevision();
      const deadline = Date.now() + 10_000;
      while ((await remote.compactRevision()) < current - 5 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await remote.compactRevision()).toBe(current - 5);
      expect((await remote.get('/ac/k'))!.value).toEqual(new Uint8Array([19]));
    } finally {
      await remote.close();
      started.child.kill('SIGTERM');
      await new Promise((r) => started.child.once('exit', r));
      rmSync(own, { recursive: true, force: true });
    }
  }, 60_000);
});
