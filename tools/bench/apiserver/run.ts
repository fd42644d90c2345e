// Apiserver benchmark (run by hand; prints figures, no pass/fail):
//   node --conditions=keelson-source --import tsx tools/bench/apiserver/run.ts [--pods 10000] [--watchers 1000]
// Starts keelson-apiserver as a child process (the real bin, temp dirs, loopback) and drives it
// over gRPC and REST: creates/s, gets/s and list latency for N pods, watch fan-out latency
// (write → delivery, p50/p99) with W gRPC watchers on pods, and the server's RSS per 10k pods.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Command } from 'commander';
import { parse } from 'yaml';
import {
  ApiServerClient,
  ListOptions,
  type ListResponse,
  type WatchEvent,
} from '@keelson/api/generated/keelson/apiserver/v1/apiserver';

const repo = resolve(__dirname, '../../..');
const opts = new Command()
  .option('--pods <n>', 'pods per protocol', '10000')
  .option('--watchers <n>', 'gRPC watchers for the fan-out test', '1000')
  .option('--writes <n>', 'writes observed by the watchers', '100')
  .option('--concurrency <n>', 'requests in flight', '64')
  .option('--storage <spec>', 'memory or embedded (temp dir)', 'memory')
  .parse()
  .opts();
const N = Number(opts.pods);
const W = Number(opts.watchers);
const WRITES = Number(opts.writes);
const C = Number(opts.concurrency);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const fmt = (n: number, d = 1) => n.toFixed(d);

async function pool(n: number, fn: (i: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(C, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  return (performance.now() - start) / 1000;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const pod = (name: string) =>
  Buffer.from(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'bench', shard: String(name.length % 7) } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'busybox:1.36',
            command: ['sleep', '3600'],
            resources: { requests: { cpu: '10m', memory: '16Mi' } },
          },
        ],
      },
    }),
  );

async function main() {
  const dir = mkdtempSync(join(tmpdir(), `kas-bench-${process.pid}-`));
  const kc = join(dir, 'kubeconfig');
  const storage = opts.storage === 'embedded' ? `embedded:${join(dir, 'data')}` : 'memory';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--conditions=keelson-source',
      '--import',
      'tsx',
      join(repo, 'packages/apiserver/src/bin/keelson-apiserver.ts'),
      '--storage',
      storage,
      '--port',
      '0',
      '--grpc-port',
      '0',
      '--kubeconfig-out',
      kc,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((res, rej) => {
      child.stdout!.on('data', (d) => String(d).includes('keelson-apiserver: REST') && res());
      child.once('exit', (c) => rej(new Error(`apiserver exited with ${c}`)));
    });
    const cfg = parse(readFileSync(kc, 'utf8'));
    const url: string = cfg.clusters[0].cluster.server;
    const grpcAddr: string = cfg.clusters[0].cluster.extensions[0].extension.server;
    const client = new ApiServerClient(grpcAddr, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 512 * 1024 * 1024,
    });
    const agent = new Agent({ keepAlive: true, maxSockets: C });
    const http = (method: string, path: string, body?: Buffer, accept = 'application/json') =>
      new Promise<{ code: number; body: Buffer }>((res, rej) => {
        const r = request(
          url + path,
          { method, agent, headers: { 'content-type': 'application/json', accept } },
          (resp) => {
            const chunks: Buffer[] = [];
            resp.on('data', (c) => chunks.push(c));
            resp.on('end', () => res({ code: resp.statusCode ?? 0, body: Buffer.concat(chunks) }));
          },
        );
        r.on('error', rej);
        r.end(body);
      });
    const g = <Req, Res>(m: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req) =>
      new Promise<Res>((res, rej) => m.call(client, req, (e, r) => (e ? rej(e) : res(r))));
    const ref = (namespace: string, name = '') => ({
      group: '',
      version: 'v1',
      resource: 'pods',
      namespace,
      name,
      subresource: '',
    });
    for (const ns of ['grpc', 'rest', 'fanout'])
      await http('POST', '/api/v1/namespaces', Buffer.from(JSON.stringify({ metadata: { name: ns } })));

    const rss0 = rssKb(child.pid!);
    console.log(
      `keelson-apiserver (${storage === 'memory' ? 'memory storage' : 'embedded MvccStore'}), ${N} pods per protocol, concurrency ${C}`,
    );

    // gRPC
    let t = await pool(N, (i) =>
      g(client.create, { ref: ref('grpc'), object: pod(`p-${i}`), options: undefined }).then(() => undefined),
    );
    console.log(`gRPC  create: ${fmt(N / t, 0)} /s`);
    t = await pool(N, (i) =>
      g(client.get, { ref: ref('grpc', `p-${(i * 7919) % N}`), resourceVersion: '' }).then(() => undefined),
    );
    console.log(`gRPC  get:    ${fmt(N / t, 0)} /s`);
    const glist: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      await g(client.list, { ref: ref('grpc'), options: undefined });
      glist.push(performance.now() - s);
    }
    console.log(`gRPC  list of ${N}: p50 ${fmt(pct(glist, 50))} ms, max ${fmt(Math.max(...glist))} ms`);
    const paged: number[] = [];
    let cont = '';
    do {
      const s = performance.now();
      const r: ListResponse = await g(client.list, {
        ref: ref('grpc'),
        options: ListOptions.fromPartial({ limit: 500, continue: cont }),
      });
      paged.push(performance.now() - s);
      cont = JSON.parse(Buffer.from(r.list).toString()).metadata.continue ?? '';
    } while (cont);
    console.log(`gRPC  list pages of 500: p50 ${fmt(pct(paged, 50))} ms over ${paged.length} pages`);

    // REST
    t = await pool(N, (i) =>
      http('POST', '/api/v1/namespaces/rest/pods', pod(`p-${i}`)).then(() => undefined),
    );
    console.log(`REST  create: ${fmt(N / t, 0)} /s`);
    t = await pool(N, (i) =>
      http('GET', `/api/v1/namespaces/rest/pods/p-${(i * 7919) % N}`).then(() => undefined),
    );
    console.log(`REST  get:    ${fmt(N / t, 0)} /s`);
    for (const [label, accept] of [
      ['JSON', 'application/json'],
      ['Table', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'],
    ]) {
      const xs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = performance.now();
        await http('GET', '/api/v1/namespaces/rest/pods', undefined, accept);
        xs.push(performance.now() - s);
      }
      console.log(
        `REST  list of ${N} (${label}): p50 ${fmt(pct(xs, 50))} ms, max ${fmt(Math.max(...xs))} ms`,
      );
    }
    const rss1 = rssKb(child.pid!);
    console.log(
      `memory: RSS ${fmt(rss0 / 1024)} MiB → ${fmt(rss1 / 1024)} MiB with ${2 * N} pods ≈ ${fmt(((rss1 - rss0) / 1024) * (10000 / (2 * N)))} MiB per 10k pods`,
    );

    // watch fan-out
    await g(client.create, { ref: ref('fanout'), object: pod('target'), options: undefined });
    const sent = new Map<number, number>();
    const lat: number[] = [];
    let received = 0;
    const streams = [];
    let ready = 0;
    for (let i = 0; i < W; i++) {
      const st = client.watch({
        ref: ref('fanout'),
        options: ListOptions.fromPartial({ allowWatchBookmarks: false }),
      });
      st.on('data', (e: WatchEvent) => {
        if (e.type === 'ADDED') {
          ready++;
          return;
        }
        const seq = Number(JSON.parse(Buffer.from(e.object).toString()).metadata.annotations?.seq);
        const at = sent.get(seq);
        if (at !== undefined) {
          lat.push(performance.now() - at);
          received++;
        }
      });
      st.on('error', () => undefined);
      streams.push(st);
    }
    const deadline = Date.now() + 60000;
    while (ready < W && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const fanStart = performance.now();
    for (let k = 0; k < WRITES; k++) {
      sent.set(k, performance.now());
      await g(client.patch, {
        ref: ref('fanout', 'target'),
        patchType: 'application/merge-patch+json',
        patch: Buffer.from(JSON.stringify({ metadata: { annotations: { seq: String(k) } } })),
        options: undefined,
        force: false,
      });
      await new Promise((r) => setTimeout(r, 5));
    }
    while (received < W * WRITES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const fanSecs = (performance.now() - fanStart) / 1000;
    console.log(
      `watch fan-out: ${W} gRPC watchers, ${WRITES} writes → ${received}/${W * WRITES} deliveries in ${fmt(fanSecs)} s; write→delivery p50 ${fmt(pct(lat, 50))} ms, p99 ${fmt(pct(lat, 99))} ms`,
    );
    for (const st of streams) st.cancel();
    client.close();
    agent.destroy();
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
