// Replicated keelson-store vs etcd 3.4, both as 3-member clusters of real processes on loopback:
// puts/s and p50/p99 latency at 16/64/256 concurrent clients, then the time to elect a new
// leader (and to acknowledge the next write) after SIGKILL of the leader. Run by hand:
//   node --conditions=keelson-source --import tsx tools/bench/raft/cluster.ts [--duration 3000] [--no-etcd]
// Every process started here is killed by PID at the end and every temp dir removed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { Etcd3 } from 'etcd3';
import { RemoteStore, memberCall } from '@keelson/store';

const repo = resolve(new URL('.', import.meta.url).pathname, '../../..');
const bin = join(repo, 'packages/store/src/bin/keelson-store.ts');
const VALUE = Buffer.alloc(256, 120);
const NAMES = ['m1', 'm2', 'm3'];

interface Cluster {
  name: string;
  /** One put through a client bound to member `i` (clients are spread over the members). */
  put(i: number, key: string): Promise<void>;
  leader(among: string[]): Promise<string>;
  kill(name: string): Promise<void>;
  alive: string[];
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function killChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await gone;
}

/** Every process this run started, killed by PID at the end whatever happens. */
const started: ChildProcess[] = [];
const tempDirs: string[] = [];

/** Client slot for client `i`: member i % 3, then one of that member's 4 channels. */
const slot = (i: number) => (i % 3) * 4 + (Math.floor(i / 3) % 4);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function keelsonCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-raft-'));
  tempDirs.push(dir);
  const addr: Record<string, string> = {};
  for (const n of NAMES) addr[n] = `127.0.0.1:${await freePort()}`;
  const peers = NAMES.map((n) => `${n}=${addr[n]}`).join(',');
  const procs = new Map<string, ChildProcess>();
  await Promise.all(
    NAMES.map(
      (n) =>
        new Promise<void>((res, rej) => {
          const child = spawn(
            process.execPath,
            [
              '--conditions=keelson-source',
              '--import',
              'tsx',
              bin,
              '--data-dir',
              join(dir, n),
              '--name',
              n,
              '--peers',
              peers,
            ],
            { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] },
          );
          procs.set(n, child);
          started.push(child);
          child.once('exit', (code) => rej(new Error(`${n} exited ${code}`)));
          createInterface({ input: child.stdout! }).on('line', (l) => /listening on/.test(l) && res());
        }),
    ),
  );
  // Per member several gRPC channels, like independent clients.
  const clients = NAMES.flatMap((n) =>
    Array.from({ length: 4 }, () => new RemoteStore(addr[n], { timeoutMs: 10_000 })),
  );
  const c: Cluster = {
    name: 'keelson-store (3 members)',
    alive: [...NAMES],
    put: async (i, key) => void (await clients[slot(i)].put(key, VALUE)),
    async leader(among) {
      const v = await memberCall(among.map((n) => addr[n]).join(','), 'memberList', {}, 1000);
      return among.includes(v.leader) ? v.leader : '';
    },
    async kill(n) {
      await killChild(procs.get(n)!);
      c.alive = c.alive.filter((x) => x !== n);
    },
    async close() {
      for (const cl of clients) await cl.close().catch(() => undefined);
      for (const p of procs.values()) await killChild(p);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}

async function etcdCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-raft-etcd-'));
  tempDirs.push(dir);
  const client: Record<string, string> = {};
  const peer: Record<string, string> = {};
  for (const n of NAMES) {
    client[n] = `http://127.0.0.1:${await freePort()}`;
    peer[n] = `http://127.0.0.1:${await freePort()}`;
  }
  const initial = NAMES.map((n) => `${n}=${peer[n]}`).join(',');
  const token = `bench-${process.pid}-${Date.now()}`;
  const procs = new Map<string, ChildProcess>();
  for (const n of NAMES) {
    procs.set(
      n,
      spawn(
        'etcd',
        [
          '--name',
          n,
          '--data-dir',
          join(dir, n),
          '--listen-client-urls',
          client[n],
          '--advertise-client-urls',
          client[n],
          '--listen-peer-urls',
          peer[n],
          '--initial-advertise-peer-urls',
          peer[n],
          '--initial-cluster',
          initial,
          '--initial-cluster-state',
          'new',
          '--initial-cluster-token',
          token,
          '--log-level',
          'error',
          '--logger',
          'zap',
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      ),
    );
    started.push(procs.get(n)!);
  }
  const per = new Map(NAMES.map((n) => [n, new Etcd3({ hosts: client[n] })]));
  const pool = NAMES.flatMap((n) => Array.from({ length: 4 }, () => new Etcd3({ hosts: client[n] })));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await pool[0].put('/ping').value('x');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`etcd cluster did not start: ${(err as Error).message}`);
      await sleep(200);
    }
  }
  const idToName = new Map<string, string>();
  for (const n of NAMES) {
    const st = await per.get(n)!.maintenance.status();
    idToName.set(String(st.header.member_id), n);
  }
  const c: Cluster = {
    name: 'etcd 3.4 (3 members)',
    alive: [...NAMES],
    put: async (i, key) => void (await pool[slot(i)].put(key).value(VALUE)),
    async leader(among) {
      for (const n of among) {
        try {
          const st = await per.get(n)!.maintenance.status();
          const l = idToName.get(String(st.leader)) ?? '';
          if (among.includes(l)) return l;
        } catch {
          // try the next member
        }
      }
      return '';
    },
    async kill(n) {
      await killChild(procs.get(n)!);
      c.alive = c.alive.filter((x) => x !== n);
    },
    async close() {
      for (const e of [...pool, ...per.values()]) e.close();
      for (const p of procs.values()) await killChild(p);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}

interface PutFigures {
  perSec: number;
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
}

async function putLoad(c: Cluster, clients: number, durationMs: number, tag: string): Promise<PutFigures> {
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const end = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      for (let seq = 0; Date.now() < end; seq++) {
        const t0 = performance.now();
        try {
          await c.put(i, `/bench/${tag}/${i}/${seq}`);
          lat.push(performance.now() - t0);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
  return { perSec: (lat.length * 1000) / durationMs, p50: q(0.5), p99: q(0.99), errors, firstError };
}

/** SIGKILL the leader; ms until survivors report a new leader, and until a put succeeds. */
async function failover(
  c: Cluster,
): Promise<{ electMs: number; writeMs: number; old: string; next: string }> {
  let old = '';
  for (const deadline = Date.now() + 20_000; !old && Date.now() < deadline;)
    old = await c.leader(c.alive).catch(() => '');
  if (!old) throw new Error(`${c.name}: no leader before the kill`);
  const t0 = performance.now();
  await c.kill(old);
  const survivors = NAMES.filter((n) => n !== old);
  let electMs = NaN;
  let writeMs = NaN;
  let next = '';
  const elect = (async () => {
    while (!next && performance.now() - t0 < 30_000) {
      next = await c.leader(survivors).catch(() => '');
      if (next) electMs = performance.now() - t0;
      else await sleep(10);
    }
  })();
  const write = (async () => {
    for (let i = 0; Number.isNaN(writeMs) && performance.now() - t0 < 30_000; i++) {
      const client = NAMES.indexOf(survivors[i % 2]);
      try {
        await c.put(client, `/failover/${i}`);
        writeMs = performance.now() - t0;
      } catch {
        await sleep(10);
      }
    }
  })();
  await Promise.all([elect, write]);
  return { electMs, writeMs, old, next };
}

async function main(): Promise<void> {
  const o = new Command()
    .option('--duration <ms>', 'length of each put phase, ms', (v) => Number(v), 3000)
    .option('--no-etcd', 'skip the etcd cluster')
    .parse()
    .opts<{ duration: number; etcd: boolean }>();
  const haveEtcd = o.etcd && spawnSync('etcd', ['--version']).status === 0;
  const clusters: Cluster[] = [];
  try {
    clusters.push(await keelsonCluster());
    if (haveEtcd) clusters.push(await etcdCluster());
    else console.log('etcd: not run (not installed or --no-etcd)');
    // Warm up (connections, JIT) before measuring.
    for (const c of clusters) await putLoad(c, 16, 500, 'warm');
    const rows: Array<{ clients: number; figs: PutFigures[] }> = [];
    for (const clients of [16, 64, 256]) {
      const figs: PutFigures[] = [];
      for (const c of clusters) figs.push(await putLoad(c, clients, o.duration, `c${clients}`));
      rows.push({ clients, figs });
    }
    console.log(`\nputs of 256-byte values, ${o.duration} ms per phase, clients spread over the 3 members`);
    for (const { clients, figs } of rows) {
      for (let i = 0; i < clusters.length; i++) {
        const f = figs[i];
        console.log(
          `  x${String(clients).padEnd(4)} ${clusters[i].name.padEnd(28)} ${f.perSec.toFixed(0).padStart(6)} puts/s  p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(7)} ms${f.errors ? `  (${f.errors} errors, first: ${f.firstError})` : ''}`,
        );
      }
      if (figs.length === 2) {
        console.log(
          `        ratio keelson/etcd: puts/s ${(figs[0].perSec / figs[1].perSec).toFixed(2)}  p50 ${(figs[0].p50 / figs[1].p50).toFixed(2)}  p99 ${(figs[0].p99 / figs[1].p99).toFixed(2)}`,
        );
      }
    }
    console.log('\nleader failover after SIGKILL of the leader (election timeout: both 1 s base)');
    const fo: Array<{ electMs: number; writeMs: number }> = [];
    for (const c of clusters) {
      const r = await failover(c);
      fo.push(r);
      console.log(
        `  ${c.name.padEnd(28)} killed ${r.old}, new leader ${r.next || '?'} after ${r.electMs.toFixed(0)} ms, first write acknowledged after ${r.writeMs.toFixed(0)} ms`,
      );
    }
    if (fo.length === 2) {
      console.log(
        `  ratio keelson/etcd: election ${(fo[0].electMs / fo[1].electMs).toFixed(2)}  first write ${(fo[0].writeMs / fo[1].writeMs).toFixed(2)}`,
      );
    }
  } finally {
    for (const c of clusters) await c.close().catch(() => undefined);
    for (const p of started) await killChild(p);
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
