// Store benchmark (run by hand; prints figures, no pass/fail):
//   node --conditions=keelson-source --import tsx tools/bench/store/run.ts [--duration 3000] [--no-etcd]
// Drives keelson-store (a child process, gRPC through RemoteStore) with sync on and off, the
// in-process MvccStore, and — if `etcd` is on PATH — a single-member etcd on loopback through the
// etcd3 npm client with the same load, then prints the figures and keelson/etcd ratios.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { Etcd3 } from 'etcd3';
import { MvccStore, RemoteStore, type KV } from '@keelson/store';

const repo = resolve(__dirname, '../../..');

interface Target {
  name: string;
  put(key: string, value: Buffer): Promise<void>;
  rangeCount(prefix: string): Promise<number>;
  /** Starts a prefix watch; resolves once the watch is registered. */
  watch(prefix: string, onValue: (value: Uint8Array) => void): Promise<() => void>;
  close(): Promise<void>;
}

interface PutFigures {
  opsPerSec: number;
  p50: number;
  p99: number;
}

// ---------- helpers ----------

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

function waitLine(child: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${what} did not start: ${err.slice(-500)}`)), 30_000);
    child.once('exit', (c) => rej(new Error(`${what} exited ${c}: ${err.slice(-500)}`)));
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (l) => {
        const m = re.exec(l);
        if (m) {
          clearTimeout(t);
          res(m);
        }
      });
    }
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    child.once('exit', () => res());
    child.kill('SIGKILL');
  });
}

// ---------- targets ----------

function kvTarget(name: string, kv: KV, onClose: () => Promise<void>): Target {
  return {
    name,
    put: async (k, v) => void (await kv.put(k, v)),
    rangeCount: async (p) => (await kv.range(p, { prefix: true })).kvs.length,
    async watch(prefix, onValue) {
      const start = (await kv.currentRevision()) + 1;
      const h = kv.watch(
        prefix,
        { prefix: true, startRevision: start },
        {
          onEvents: (events) => {
            for (const e of events) onValue(e.kv.value);
          },
          onError: (err) => console.error(`watch error: ${err.message}`),
        },
      );
      return () => h.cancel();
    },
    async close() {
      await kv.close();
      await onClose();
    },
  };
}

async function keelsonProcess(sync: boolean): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-store-'));
  const args = [
    '--conditions=keelson-source',
    '--import',
    'tsx',
    join(repo, 'packages/store/src/bin/keelson-store.ts'),
  ];
  args.push('--data-dir', dir, '--listen', '127.0.0.1:0', ...(sync ? [] : ['--no-sync']));
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitLine(child, /listening on 127\.0\.0\.1:(\d+)/, 'keelson-store');
  const remote = new RemoteStore(`127.0.0.1:${m[1]}`);
  return kvTarget(`keelson-store${sync ? '' : ' (no sync)'}`, remote, async () => {
    await kill(child);
    rmSync(dir, { recursive: true, force: true });
  });
}

async function keelsonLocal(sync: boolean): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-local-'));
  const store = await MvccStore.open(dir, { sync });
  return kvTarget(`in-process MvccStore${sync ? '' : ' (no sync)'}`, store, async () =>
    rmSync(dir, { recursive: true, force: true }),
  );
}

async function etcdProcess(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const c = `http://127.0.0.1:${client}`;
  const p = `http://127.0.0.1:${peer}`;
  const name = `bench-${process.pid}`;
  const child = spawn(
    'etcd',
    [
      '--name',
      name,
      '--data-dir',
      dir,
      '--listen-client-urls',
      c,
      '--advertise-client-urls',
      c,
      '--listen-peer-urls',
      p,
      '--initial-advertise-peer-urls',
      p,
      '--initial-cluster',
      `${name}=${p}`,
      '--log-level',
      'error',
      '--logger',
      'zap',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const etcd = new Etcd3({ hosts: c });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await etcd.get('/ping').string();
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) {
        await kill(child);
        throw new Error(`etcd did not start: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    name: 'etcd 3.4',
    put: async (k, v) => void (await etcd.put(k).value(v)),
    rangeCount: async (pfx) => Object.keys(await etcd.getAll().prefix(pfx).buffers()).length,
    async watch(prefix, onValue) {
      const w = await etcd.watch().prefix(prefix).create();
      w.on('put', (kv) => onValue(kv.value));
      return () => void w.cancel();
    },
    async close() {
      etcd.close();
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------- workloads ----------

const VALUE = Buffer.alloc(256, 120);

async function putLoad(t: Target, clients: number, durationMs: number, tag: string): Promise<PutFigures> {
  const lat: number[] = [];
  const stopAt = nowMs() + durationMs;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: clients }, async (_, w) => {
      for (let i = 0; nowMs() < stopAt; i++) {
        const s = nowMs();
        await t.put(`/bench/put/${tag}/${w}/${i}`, VALUE);
        lat.push(nowMs() - s);
      }
    }),
  );
  const elapsed = nowMs() - t0;
  lat.sort((a, b) => a - b);
  return { opsPerSec: (lat.length / elapsed) * 1000, p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function rangeLoad(t: Target, keys: number): Promise<{ ms: number; p50: number }> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = next++; i < keys; i = next++)
        await t.put(`/bench/range/${String(i).padStart(6, '0')}`, VALUE);
    }),
  );
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const s = nowMs();
    const n = await t.rangeCount('/bench/range/');
    times.push(nowMs() - s);
    if (n !== keys) throw new Error(`${t.name}: range returned ${n} keys, expected ${keys}`);
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  times.sort((a, b) => a - b);
  return { ms: mean, p50: pct(times, 50) };
}

async function watchLoad(
  t: Target,
  watchers: number,
  puts: number,
): Promise<{ p50: number; p99: number; delivered: number }> {
  const lat: number[] = [];
  const cancels: Array<() => void> = [];
  let delivered = 0;
  let wake: (() => void) | undefined;
  for (let i = 0; i < watchers; i++) {
    cancels.push(
      await t.watch('/bench/watch/', (v) => {
        lat.push(nowMs() - Number(Buffer.from(v).toString()));
        delivered++;
        if (delivered >= watchers * puts) wake?.();
      }),
    );
  }
  // Four writers, so deliveries overlap the way they do under real load.
  let n = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = n++; i < puts; i = n++)
        await t.put(`/bench/watch/${i % 50}`, Buffer.from(String(nowMs())));
    }),
  );
  if (delivered < watchers * puts) {
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 30_000);
    });
  }
  for (const c of cancels) c();
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99), delivered };
}

// ---------- main ----------

interface Results {
  puts: Map<number, PutFigures>;
  range?: { ms: number; p50: number };
  watch?: { p50: number; p99: number; delivered: number };
}

/**
 * Runs every workload against every target, interleaved (workload by workload, target by target)
 * so that a change in machine load during the run hits all targets alike.
 */
async function runInterleaved(
  targets: Array<{ t: Target; full: boolean }>,
  o: { duration: number; rangeKeys: number; watchers: number; watchPuts: number },
): Promise<Map<string, Results>> {
  const results = new Map<string, Results>(targets.map(({ t }) => [t.name, { puts: new Map() }]));
  for (const c of [1, 16, 64]) {
    for (const { t } of targets) {
      const f = await putLoad(t, c, o.duration, `c${c}`);
      results.get(t.name)!.puts.set(c, f);
      console.log(
        `  put x${c} ${t.name}: ${fmt(f.opsPerSec)} puts/s, p50 ${fmt(f.p50, 2)} ms, p99 ${fmt(f.p99, 2)} ms`,
      );
    }
  }
  for (const { t, full } of targets) {
    if (!full) continue;
    const r = await rangeLoad(t, o.rangeKeys);
    results.get(t.name)!.range = r;
    console.log(`  range ${o.rangeKeys} keys ${t.name}: mean ${fmt(r.ms, 1)} ms, p50 ${fmt(r.p50, 1)} ms`);
  }
  for (const { t, full } of targets) {
    if (!full) continue;
    const w = await watchLoad(t, o.watchers, o.watchPuts);
    results.get(t.name)!.watch = w;
    console.log(
      `  watch x${o.watchers} ${t.name}: ${w.delivered} deliveries, p50 ${fmt(w.p50, 2)} ms, p99 ${fmt(w.p99, 2)} ms`,
    );
  }
  return results;
}

async function main(): Promise<void> {
  const o = new Command()
    .option('--duration <ms>', 'duration of each put phase, ms', (v) => Number(v), 3000)
    .option('--range-keys <n>', 'keys in the range test', (v) => Number(v), 10_000)
    .option('--watchers <n>', 'watchers in the watch test', (v) => Number(v), 100)
    .option('--watch-puts <n>', 'puts observed by the watchers', (v) => Number(v), 500)
    .option('--no-etcd', 'skip the etcd comparison')
    .option('--no-local', 'skip the in-process store')
    .parse()
    .opts<{
      duration: number;
      rangeKeys: number;
      watchers: number;
      watchPuts: number;
      etcd: boolean;
      local: boolean;
    }>();
  const haveEtcd = o.etcd && spawnSync('etcd', ['--version']).status === 0;
  console.log(`store benchmark: ${o.duration} ms per put phase, 256-byte values, loopback gRPC`);

  const targets: Array<{ t: Target; full: boolean }> = [];
  let results: Map<string, Results>;
  try {
    targets.push({ t: await keelsonProcess(true), full: true });
    if (haveEtcd) targets.push({ t: await etcdProcess(), full: true });
    else console.log('etcd: not run (not installed or --no-etcd)');
    targets.push({ t: await keelsonProcess(false), full: false });
    if (o.local) {
      targets.push({ t: await keelsonLocal(true), full: false });
      targets.push({ t: await keelsonLocal(false), full: false });
    }
    results = await runInterleaved(targets, o);
  } finally {
    for (const { t } of targets) await t.close();
  }

  // Side by side.
  const k = results.get('keelson-store')!;
  const e = results.get('etcd 3.4');
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}x` : 'n/a');
  console.log('\nsummary (ratio = keelson-store / etcd; for latencies lower is better)');
  console.log('workload              keelson-store        etcd 3.4             ratio');
  for (const c of [1, 16, 64]) {
    const a = k.puts.get(c)!;
    const b = e?.puts.get(c);
    console.log(
      `put x${String(c).padEnd(3)} puts/s       ${fmt(a.opsPerSec).padEnd(20)} ${fmt(b?.opsPerSec ?? NaN).padEnd(20)} ${ratio(a.opsPerSec, b?.opsPerSec)}`,
    );
    console.log(
      `put x${String(c).padEnd(3)} p99 ms       ${fmt(a.p99, 2).padEnd(20)} ${fmt(b?.p99 ?? NaN, 2).padEnd(20)} ${ratio(a.p99, b?.p99)}`,
    );
  }
  console.log(
    `range ${o.rangeKeys} ms       ${fmt(k.range!.ms, 1).padEnd(20)} ${fmt(e?.range?.ms ?? NaN, 1).padEnd(20)} ${ratio(k.range!.ms, e?.range?.ms)}`,
  );
  console.log(
    `watch x${o.watchers} p50 ms     ${fmt(k.watch!.p50, 2).padEnd(20)} ${fmt(e?.watch?.p50 ?? NaN, 2).padEnd(20)} ${ratio(k.watch!.p50, e?.watch?.p50)}`,
  );
  console.log(
    `watch x${o.watchers} p99 ms     ${fmt(k.watch!.p99, 2).padEnd(20)} ${fmt(e?.watch?.p99 ?? NaN, 2).padEnd(20)} ${ratio(k.watch!.p99, e?.watch?.p99)}`,
  );
  const ns = results.get('keelson-store (no sync)');
  if (ns) {
    console.log(
      `no sync: put x1/x16/x64 ${[1, 16, 64].map((c) => fmt(ns.puts.get(c)!.opsPerSec)).join(' / ')} puts/s (etcd 3.4 has no no-fsync mode)`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
