// Crash consistency: a real keelson-store process is killed with SIGKILL in the middle of a
// concurrent write load; the directory must reopen with every acknowledged write present and
// the history contiguous.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MvccStore, RemoteStore } from '../src/index';
import { Collector } from '../src/testing/collector';

const repo = resolve(__dirname, '../../..');
const bin = join(repo, 'packages/store/src/bin/keelson-store.ts');
const dec = (u: Uint8Array) => new TextDecoder().decode(u);

function startStore(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--conditions=keelson-source', '--import', 'tsx', bin, '--data-dir', dir, '--listen', '127.0.0.1:0'],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`keelson-store did not start: ${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`keelson-store exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolvePort({ child, port: Number(m[1]) });
      }
    });
  });
}

describe('SIGKILL during a write load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-crash-'));
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reopens with every acknowledged write and a gap-free history', async () => {
    const started = await startStore(dir);
    child = started.child;
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));
    const remote = new RemoteStore(`127.0.0.1:${started.port}`);

    // 16 writers, each writing w<i>/<seq> keys and overwriting a shared key; record each ack.
    const acked: Array<{ key: string; value: string; revision: number }> = [];
    let killed = false;
    const writers = Array.from({ length: 16 }, async (_, w) => {
      for (let seq = 0; !killed; seq++) {
        const key = seq % 2 ? `/crash/shared/${w % 4}` : `/crash/w${w}/${seq}`;
        const value = `w${w}-${seq}`;
        try {
          const r = await remote.put(key, new TextEncoder().encode(value));
          acked.push({ key, value, revision: r.revision });
        } catch {
          return; // the server died under this request: not acknowledged
        }
      }
    });
    const deadline = Date.now() + 20_000;
    while (acked.length < 600 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    killed = true;
    await exited;
    await Promise.all(writers);
    await remote.close();
    expect(child.signalCode).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(600);

    const store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
    try {
      const current = await store.currentRevision();
      const maxAcked = Math.max(...acked.map((a) => a.revision));
      expect(current).toBeGreaterThanOrEqual(maxAcked);
      // Every acknowledged write is there, at the revision it was acknowledged with.
      for (const a of acked) {
        const kv = await store.get(a.key, { revision: a.revision });
        expect(kv && { v: dec(kv.value), r: kv.modRevision }).toEqual({ v: a.value, r: a.revision });
      }
      // The history is contiguous: exactly one put per revision from 2 to current.
      const c = new Collector();
      store.watch('/crash/', { prefix: true, startRevision: 2 }, c);
      await c.until(() => c.events.length >= current - 1 || c.error !== undefined);
      expect(c.error).toBeUndefined();
      expect(c.events.map((e) => e.kv.modRevision)).toEqual(
        Array.from({ length: current - 1 }, (_, i) => i + 2),
      );
      // Each writer's own sequence appears in increasing order.
      const last = new Map<string, number>();
      for (const e of c.events) {
        const [w, seq] = dec(e.kv.value).split('-');
        expect(Number(seq)).toBeGreaterThan(last.get(w) ?? -1);
        last.set(w, Number(seq));
      }
      // And the store keeps working from there.
      expect((await store.put('/crash/after', new Uint8Array([1]))).revision).toBe(current + 1);
    } finally {
      await store.close();
    }
  }, 60_000);
});
