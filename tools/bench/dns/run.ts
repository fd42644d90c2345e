/**
 * Cluster DNS benchmark (run by hand; prints figures, asserts nothing):
 *   node --conditions=keelson-source --import tsx tools/bench/dns/run.ts [--duration 10] [--rate 2000] [--services 1000]
 * Feeds @keelson/dns's ClusterDns directly with N synthetic Services and EndpointSlices (no
 * apiserver), serves it with DnsServer on 127.0.0.1:<free port>, and serves the same names from
 * dnsmasq (Debian's dnsmasq-base: an addn-hosts file plus srv-host lines) on another free
 * loopback port. dnsperf then sends the same query mix to each in turn: once unthrottled
 * (queries/s, latency under saturation) and once at a fixed --rate (latency at moderate load).
 * Latency percentiles come from dnsperf's -v per-query lines (written to a temp file).
 * dnsmasq is killed by PID and the temp dir removed at the end, on failure too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import {
  ClusterDns,
  DnsServer,
  SERVICE_NAME_LABEL,
  type DnsEndpointSlice,
  type DnsService,
} from '@keelson/dns';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const DURATION_S = arg('--duration', 10);
const RATE = arg('--rate', 2000);
const SERVICES = arg('--services', 1000);
const NAMESPACES = 10;
const ENDPOINTS = 3;
const ZONE = 'cluster.local';

/** Deterministic PRNG (mulberry32) so every run sends the same query file. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Synthetic {
  name: string;
  ns: string;
  headless: boolean;
  clusterIP?: string;
  podIPs: string[];
}

/** Every 10th Service is headless; the rest are ClusterIP. Ports "http" 80 and "metrics" 9090. */
function synthesize(n: number): Synthetic[] {
  const out: Synthetic[] = [];
  for (let i = 0; i < n; i++) {
    const headless = i % 10 === 9;
    const podIPs = Array.from({ length: ENDPOINTS }, (_, e) => {
      const k = i * ENDPOINTS + e;
      return `10.244.${(k >> 8) & 255}.${k & 255}`;
    });
    out.push({
      name: `svc-${i}`,
      ns: `ns-${i % NAMESPACES}`,
      headless,
      clusterIP: headless ? undefined : `10.96.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`,
      podIPs,
    });
  }
  return out;
}

function feed(records: ClusterDns, svcs: Synthetic[]): void {
  for (const s of svcs) {
    const svc: DnsService = {
      metadata: { name: s.name, namespace: s.ns },
      spec: {
        type: 'ClusterIP',
        clusterIP: s.headless ? 'None' : s.clusterIP,
        clusterIPs: s.headless ? undefined : [s.clusterIP!],
        ports: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'metrics', port: 9090, protocol: 'TCP' },
        ],
      },
    };
    const slice: DnsEndpointSlice = {
      metadata: { name: `${s.name}-abcde`, namespace: s.ns, labels: { [SERVICE_NAME_LABEL]: s.name } },
      addressType: 'IPv4',
      endpoints: s.podIPs.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP' },
      ],
    };
    records.upsertService(svc);
    records.upsertSlice(slice);
  }
}

const fqdn = (s: Synthetic) => `${s.name}.${s.ns}.svc.${ZONE}`;

/** dnsmasq config: hosts file (A records) and a conf file with srv-host lines and local=/zone/. */
function dnsmasqFiles(dir: string, svcs: Synthetic[]): { hosts: string; conf: string } {
  const hosts: string[] = [];
  const conf: string[] = [`local=/${ZONE}/`];
  for (const s of svcs) {
    if (s.headless) for (const ip of s.podIPs) hosts.push(`${ip} ${fqdn(s)}`);
    else {
      hosts.push(`${s.clusterIP} ${fqdn(s)}`);
      conf.push(`srv-host=_http._tcp.${fqdn(s)},${fqdn(s)},80,0,100`);
      conf.push(`srv-host=_metrics._tcp.${fqdn(s)},${fqdn(s)},9090,0,100`);
    }
  }
  const h = join(dir, 'hosts');
  const c = join(dir, 'dnsmasq.conf');
  writeFileSync(h, hosts.join('\n') + '\n');
  writeFileSync(c, conf.join('\n') + '\n');
  return { hosts: h, conf: c };
}

/** The query mix: 40% A ClusterIP, 20% SRV (named port), 20% A headless, 20% NXDOMAIN. */
function queryFile(path: string, svcs: Synthetic[], lines = 20_000): Record<string, number> {
  const r = rng(42);
  const cip = svcs.filter((s) => !s.headless);
  const hl = svcs.filter((s) => s.headless);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const mix = { 'A clusterIP': 0, 'SRV named port': 0, 'A headless': 0, 'A NXDOMAIN': 0 };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const x = r();
    if (x < 0.4) {
      out.push(`${fqdn(pick(cip))} A`);
      mix['A clusterIP']++;
    } else if (x < 0.6) {
      out.push(`_${r() < 0.5 ? 'http' : 'metrics'}._tcp.${fqdn(pick(cip))} SRV`);
      mix['SRV named port']++;
    } else if (x < 0.8) {
      out.push(`${fqdn(pick(hl))} A`);
      mix['A headless']++;
    } else {
      out.push(`missing-${Math.floor(r() * 1e6)}.ns-${Math.floor(r() * NAMESPACES)}.svc.${ZONE} A`);
      mix['A NXDOMAIN']++;
    }
  }
  writeFileSync(path, out.join('\n') + '\n');
  return mix;
}

/** A loopback port free for both UDP and TCP (dnsmasq binds both). */
async function freeUdpPort(): Promise<number> {
  for (let i = 0; ; i++) {
    const t = net.createServer();
    await new Promise<void>((res) => t.listen(0, '127.0.0.1', () => res()));
    const port = (t.address() as net.AddressInfo).port;
    const s = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((res) => {
      s.once('error', () => res(false));
      s.bind(port, '127.0.0.1', () => res(true));
    });
    await new Promise<void>((res) => t.close(() => res()));
    if (ok) await new Promise<void>((res) => s.close(() => res()));
    if (ok || i > 20) return port;
  }
}

/** One UDP query; resolves with rcode and answer/additional counts (for the agreement check). */
async function ask(port: number, name: string, type: string): Promise<string> {
  const sock = dgram.createSocket('udp4');
  try {
    const q = dnsPacket.encode({
      type: 'query',
      id: 1,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: type as 'A', name }],
    });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout ${name}`)), 2000);
      sock.once('message', (m) => {
        clearTimeout(t);
        resolve(m);
      });
      sock.send(q, port, '127.0.0.1');
    });
    const d = dnsPacket.decode(reply) as {
      rcode?: string;
      answers?: Array<{ type: string; data?: unknown }>;
    };
    const answers = (d.answers ?? [])
      .map((a) => {
        const data = a.data as { target?: string; port?: number } | string;
        return typeof data === 'object' && a.type === 'SRV'
          ? `SRV:${data.target}:${data.port}`
          : `${a.type}:${String(data)}`;
      })
      .sort();
    return `${d.rcode ?? '?'} ${answers.join(',')}`;
  } finally {
    sock.close();
  }
}

interface PerfResult {
  qps: number;
  sent: number;
  lost: number;
  avgMs: number;
  p50: number;
  p99: number;
  rcodes: string;
  /** p50 latency, ms, by query category. */
  byKind: Record<string, number>;
}

/** Category of a query line (for the per-kind breakdown). */
function kindOf(name: string, type: string): string {
  if (type === 'SRV') return 'SRV';
  if (name.startsWith('missing-')) return 'NXDOMAIN';
  const i = Number(/^svc-(\d+)\./.exec(name)?.[1]);
  return i % 10 === 9 ? 'A headless' : 'A clusterIP';
}

function pct(sorted: number[], p: number): number {
  return sorted.length
    ? sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]
    : NaN;
}

const children = new Set<ChildProcess>();

async function dnsperf(
  dir: string,
  port: number,
  queries: string,
  extra: string[],
  tag: string,
): Promise<PerfResult> {
  const outPath = join(dir, `dnsperf-${tag}.out`);
  const fd = openSync(outPath, 'w');
  const args = [
    '-s',
    '127.0.0.1',
    '-p',
    String(port),
    '-d',
    queries,
    '-l',
    String(DURATION_S),
    '-c',
    '8',
    '-v',
    ...extra,
  ];
  const child = spawn('dnsperf', args, { stdio: ['ignore', fd, fd] });
  children.add(child);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  children.delete(child);
  closeSync(fd);
  const text = readFileSync(outPath, 'utf8');
  if (code !== 0) throw new Error(`dnsperf exited ${code}: ${text.slice(-500)}`);
  const lat: number[] = [];
  const kinds: Record<string, number[]> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('> ')) {
      const f = line.split(' ');
      const ms = Number(f[f.length - 1]) * 1000;
      lat.push(ms);
      (kinds[kindOf(f[2], f[3])] ??= []).push(ms);
    }
  }
  lat.sort((a, b) => a - b);
  const byKind: Record<string, number> = {};
  for (const [k, xs] of Object.entries(kinds))
    byKind[k] = pct(
      xs.sort((a, b) => a - b),
      50,
    );
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  rmSync(outPath);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    rcodes: /Response codes:\s+(.*)/.exec(text)?.[1] ?? '',
    byKind,
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    console.log('note: not root; dnsmasq may refuse to switch user (it runs here with --user=root)');
  const dir = mkdtempSync(join(tmpdir(), 'kdnsb-'));
  let server: DnsServer | undefined;
  let dnsmasq: ChildProcess | undefined;
  const cleanup = () => {
    for (const c of children) if (c.pid) process.kill(c.pid, 'SIGKILL');
    if (dnsmasq?.pid && dnsmasq.exitCode === null) process.kill(dnsmasq.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const svcs = synthesize(SERVICES);
    const records = new ClusterDns({ zone: ZONE });
    const t0 = performance.now();
    feed(records, svcs);
    const feedMs = performance.now() - t0;
    server = new DnsServer({ records });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const kPort = server.ports.udp;

    const files = dnsmasqFiles(dir, svcs);
    const mPort = await freeUdpPort();
    dnsmasq = spawn(
      'dnsmasq',
      [
        '--no-daemon',
        '--port',
        String(mPort),
        '--listen-address',
        '127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--addn-hosts',
        files.hosts,
        `--conf-file=${files.conf}`,
        '--pid-file=',
        '--user=root',
        '--cache-size=10000',
        '--log-facility=-',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let dnsmasqErr = '';
    dnsmasq.stderr!.on('data', (d) => (dnsmasqErr += String(d)));
    const queries = join(dir, 'queries.txt');
    const mix = queryFile(queries, svcs);

    // Wait for dnsmasq to answer, then check both servers agree on a sample of names.
    const sample = readFileSync(queries, 'utf8').split('\n').filter(Boolean).slice(0, 200);
    for (let i = 0; ; i++) {
      try {
        await ask(mPort, sample[0].split(' ')[0], sample[0].split(' ')[1]);
        break;
      } catch (err) {
        if (i > 50 || dnsmasq.exitCode !== null)
          throw new Error(`dnsmasq not answering: ${String(err)} ${dnsmasqErr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    let agree = 0;
    const differ: string[] = [];
    for (const line of sample) {
      const [name, type] = line.split(' ');
      const [a, b] = [await ask(kPort, name, type), await ask(mPort, name, type)];
      if (a === b) agree++;
      else if (differ.length < 3) differ.push(`${line}: keelson "${a}" dnsmasq "${b}"`);
    }

    console.log(`Keelson cluster DNS benchmark (Node ${process.version}; ${new Date().toISOString()})`);
    console.log(
      `${SERVICES} Services in ${NAMESPACES} namespaces (${SERVICES / 10} headless), ${ENDPOINTS} ready endpoints each; fed into ClusterDns in ${feedMs.toFixed(1)} ms`,
    );
    console.log(
      `query mix (${Object.values(mix).reduce((a, b) => a + b)} lines, looped): ${Object.entries(mix)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    console.log(
      `answers agree on ${agree}/${sample.length} sampled queries (rcode + answer records)${differ.length ? `; e.g. ${differ.join(' | ')}` : ''}`,
    );
    console.log(`dnsperf -c 8 -l ${DURATION_S}; keelson DnsServer on udp/${kPort}, dnsmasq on udp/${mPort}`);
    console.log('');
    const row = (who: string, mode: string, r: PerfResult) =>
      console.log(
        `${who.padEnd(8)} ${mode.padEnd(14)} ${r.qps.toFixed(0).padStart(8)} q/s  avg ${r.avgMs.toFixed(2).padStart(6)} ms  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(6)} ms  lost ${r.lost}/${r.sent}\n` +
          `         p50 by kind: ${Object.entries(r.byKind)
            .sort()
            .map(([k, v]) => `${k} ${v.toFixed(2)} ms`)
            .join(', ')}; ${r.rcodes}`,
      );
    const results: Record<string, PerfResult> = {};
    for (const [mode, extra] of [
      ['saturated', []],
      [`at ${RATE} q/s`, ['-Q', String(RATE)]],
    ] as Array<[string, string[]]>) {
      for (const [who, port] of [
        ['keelson', kPort],
        ['dnsmasq', mPort],
      ] as Array<[string, number]>) {
        const r = await dnsperf(dir, port, queries, extra, `${who}-${mode.replace(/\W+/g, '')}`);
        results[`${who} ${mode}`] = r;
        row(who, mode, r);
      }
    }
    console.log('');
    const k = results['keelson saturated'];
    const m = results['dnsmasq saturated'];
    const kr = results[`keelson at ${RATE} q/s`];
    const mr = results[`dnsmasq at ${RATE} q/s`];
    console.log(
      `ratio keelson/dnsmasq: saturated q/s ${(k.qps / m.qps).toFixed(2)}x, saturated p99 ${(k.p99 / m.p99).toFixed(2)}x, p99 at ${RATE} q/s ${(kr.p99 / mr.p99).toFixed(2)}x`,
    );
  } finally {
    await server?.close();
    cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
