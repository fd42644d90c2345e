/**
 * kube-proxy benchmark (run by hand, as root; prints figures, asserts nothing):
 *   node --conditions=keelson-source --import tsx tools/bench/proxy/run.ts [--sizes 1000,10000] [--connects 2000]
 * Everything runs inside network namespaces made for this run (the kube-proxy package's test
 * fixture: a NODE namespace with a bridge, two backend "pod" namespaces running Node.js HTTP
 * servers, a CLIENT namespace), so no rule touches the host.
 * 1. For each backend (nftables, then iptables) and each size N: a full sync of N synthetic
 *    ClusterIP Services with 10 endpoints each into NODE (`ExecTarget { netns }`): time of
 *    buildServicePorts, of rendering the script (buildRuleset+renderFull / renderIptables), of the
 *    whole backend.sync (render + nft -f / iptables-restore), script bytes, rule and element
 *    counts. At the largest N, also adding one Service to the existing set (incremental sync).
 * 2. At the largest N, with the backend's rules in place plus one real Service (VIP → backend 1):
 *    --connects sequential TCP connects (new connection each) from CLIENT to the VIP and directly
 *    to the pod IP, interleaved in blocks, and also HTTP/1.0 GETs; p50/p99 in ms.
 * Options: --sizes, --connects, --max-sync-seconds, --modes nftables,iptables.
 * Namespaces, backend processes and rules are removed at the end, on failure and SIGINT too.
 */
import type { EndpointSlice, Service } from '@keelson/api';
import {
  IptablesBackend,
  NftablesBackend,
  buildRuleset,
  buildServicePorts,
  renderFull,
  renderIptables,
  renderUpdate,
  type ProxyBackend,
  type ServicePortInfo,
} from '@keelson/kube-proxy';
import { createFixture, type NetnsFixture } from '../../../packages/kube-proxy/test/netns-fixture';

const argStr = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const SIZES = argStr('--sizes', '1000,10000').split(',').map(Number);
const CONNECTS = Number(argStr('--connects', '2000'));
/** A size whose full sync, extrapolated linearly from the previous size, would exceed this is skipped. */
const MAX_SYNC_S = Number(argStr('--max-sync-seconds', '180'));
const MODES = argStr('--modes', 'nftables,iptables').split(',') as Array<'nftables' | 'iptables'>;
const ENDPOINTS = 10;
const NODE = 'bench-node';
const CLUSTER_CIDR = '10.244.0.0/16';
const VIP = '10.111.250.10';

/** N ClusterIP Services (port 80 → 8080), 10 ready endpoints each on unused pod addresses. */
function synthetic(n: number, offset = 0): { services: Service[]; slices: EndpointSlice[] } {
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  for (let j = 0; j < n; j++) {
    const i = j + offset;
    const name = `svc-${i}`;
    const k = i + 1;
    services.push({
      metadata: { namespace: 'bench', name },
      spec: {
        type: 'ClusterIP',
        clusterIP: `10.${96 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`,
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      },
    });
    slices.push({
      metadata: { namespace: 'bench', name: `${name}-abcde`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: Array.from({ length: ENDPOINTS }, (_, e) => {
        const a = i * ENDPOINTS + e;
        return {
          addresses: [`10.${200 + (a >> 16)}.${(a >> 8) & 255}.${a & 255}`],
          conditions: { ready: true },
          nodeName: 'other',
        };
      }),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
  }
  return { services, slices };
}

/** The one Service with a real backend (VIP:80 → backend 1:8080). */
function realService(ip: string): { services: Service[]; slices: EndpointSlice[] } {
  return {
    services: [
      {
        metadata: { namespace: 'bench', name: 'real' },
        spec: {
          type: 'ClusterIP',
          clusterIP: VIP,
          ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
        },
      },
    ],
    slices: [
      {
        metadata: {
          namespace: 'bench',
          name: 'real-abcde',
          labels: { 'kubernetes.io/service-name': 'real' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: [ip], conditions: { ready: true }, nodeName: NODE }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  };
}

const ms = (t0: number) => performance.now() - t0;
const fmt = (x: number) => x.toFixed(x < 10 ? 2 : 0);
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

/** Counts of what the kernel gets: nft rules in chains + map elements; iptables -A rules + chains. */
function nftCounts(
  ports: ServicePortInfo[],
  table: string,
): { script: string; renderMs: number; desc: string } {
  const t0 = performance.now();
  const rs = buildRuleset(ports, { table, clusterCIDR: CLUSTER_CIDR });
  const script = renderFull(rs);
  const renderMs = ms(t0);
  let rules = 0;
  for (const r of rs.chains.values()) rules += r.length;
  let elements = 0;
  for (const m of rs.maps.values()) elements += m.elements.length;
  return { script, renderMs, desc: `${rs.chains.size} chains, ${rules} rules, ${elements} map elements` };
}

function iptCounts(ports: ServicePortInfo[]): { script: string; renderMs: number; desc: string } {
  const t0 = performance.now();
  const { script, chains } = renderIptables(ports, { clusterCIDR: CLUSTER_CIDR });
  const renderMs = ms(t0);
  const rules = script.split('\n').filter((l) => l.startsWith('-A ')).length;
  return { script, renderMs, desc: `${chains.length} chains, ${rules} rules` };
}

/** Client script: interleaved blocks of sequential TCP connects and HTTP GETs to two targets; prints JSON of latencies (ms). */
function latencyScript(targets: Array<{ key: string; host: string; port: number }>, n: number): string {
  return `
const net = require('net');
const { performance } = require('perf_hooks');
const out = {};
for (const t of ${JSON.stringify(targets)}) out[t.key] = { connect: [], request: [], errors: 0 };
const once = (t) => new Promise((resolve) => {
  const t0 = performance.now();
  let tc = 0;
  const s = net.connect({ host: t.host, port: t.port });
  s.setTimeout(3000, () => s.destroy(new Error('timeout')));
  s.once('connect', () => { tc = performance.now(); s.end('GET / HTTP/1.0\\r\\n\\r\\n'); });
  s.on('data', () => {});
  s.once('error', () => { out[t.key].errors++; resolve(); });
  s.once('close', (hadErr) => {
    if (!hadErr && tc) { out[t.key].connect.push(tc - t0); out[t.key].request.push(performance.now() - t0); }
    resolve();
  });
});
(async () => {
  const targets = ${JSON.stringify(targets)};
  for (let i = 0; i < 50; i++) for (const t of targets) await once(t); // warm-up
  for (const t of targets) out[t.key] = { connect: [], request: [], errors: 0 };
  const block = 100;
  for (let done = 0; done < ${n}; done += block) for (const t of targets) for (let i = 0; i < block && done + i < ${n}; i++) await once(t);
  console.log(JSON.stringify(out));
})();`;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.max(0, Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1))] : NaN;
}

async function bench(mode: 'nftables' | 'iptables', fx: NetnsFixture, table: string): Promise<void> {
  const make = (): ProxyBackend =>
    mode === 'nftables'
      ? new NftablesBackend({ table, clusterCIDR: CLUSTER_CIDR }, { netns: fx.node })
      : new IptablesBackend({ clusterCIDR: CLUSTER_CIDR }, { netns: fx.node });
  const sizes = [...SIZES].sort((a, b) => a - b);
  let prev: { n: number; ms: number } | undefined;
  for (let si = 0; si < sizes.length; si++) {
    const n = sizes[si];
    if (prev && (prev.ms * n) / prev.n > MAX_SYNC_S * 1000) {
      console.log(
        `${mode.padEnd(8)} ${String(n).padStart(6)} svc  skipped: full sync extrapolated to ~${((prev.ms * n) / prev.n / 1000).toFixed(0)} s from ${prev.n} (over --max-sync-seconds ${MAX_SYNC_S})`,
      );
      continue;
    }
    const nextN = sizes[si + 1];
    const backend = make();
    try {
      const { services, slices } = synthetic(n);
      const real = realService(fx.backends[0].ip);
      services.push(...real.services);
      slices.push(...real.slices);
      let t0 = performance.now();
      const ports = buildServicePorts(services, slices, NODE);
      const portsMs = ms(t0);
      const c = mode === 'nftables' ? nftCounts(ports, table) : iptCounts(ports);
      t0 = performance.now();
      const bytes = await backend.sync(ports);
      const syncMs = ms(t0);
      console.log(
        `${mode.padEnd(8)} ${String(n).padStart(6)} svc  full sync ${fmt(syncMs).padStart(6)} ms (render ${fmt(c.renderMs)} ms, buildServicePorts ${fmt(portsMs)} ms)  script ${kib(bytes)}  ${c.desc}`,
      );
      prev = { n, ms: syncMs };
      // The incremental and latency phases run at the largest size this backend gets to.
      if (nextN !== undefined && (syncMs * nextN) / n <= MAX_SYNC_S * 1000) continue;

      // Incremental: one more Service (10 endpoints) on top of N.
      const more = synthetic(1, n);
      const services2 = [...services, ...more.services];
      const slices2 = [...slices, ...more.slices];
      t0 = performance.now();
      const ports2 = buildServicePorts(services2, slices2, NODE);
      const ports2Ms = ms(t0);
      let renderMs: number;
      if (mode === 'nftables') {
        t0 = performance.now();
        renderUpdate(
          buildRuleset(ports, { table, clusterCIDR: CLUSTER_CIDR }),
          buildRuleset(ports2, { table, clusterCIDR: CLUSTER_CIDR }),
        );
        renderMs = ms(t0);
      } else {
        // As the backend does: the previous sync's chain list is passed to find stale chains.
        const prevChains = renderIptables(ports, { clusterCIDR: CLUSTER_CIDR }).chains;
        t0 = performance.now();
        renderIptables(ports2, { clusterCIDR: CLUSTER_CIDR }, prevChains);
        renderMs = ms(t0);
      }
      t0 = performance.now();
      const bytes2 = await backend.sync(ports2);
      const incMs = ms(t0);
      console.log(
        `${mode.padEnd(8)} ${String(n).padStart(6)} svc  +1 Service ${fmt(incMs).padStart(6)} ms (render ${fmt(renderMs)} ms, buildServicePorts ${fmt(ports2Ms)} ms)  script ${bytes2 < 10240 ? `${bytes2} B` : kib(bytes2)}`,
      );
      t0 = performance.now();
      const bytes3 = await backend.sync(ports2);
      console.log(
        `${mode.padEnd(8)} ${String(n).padStart(6)} svc  no-change resync ${fmt(ms(t0))} ms  script ${bytes3} B`,
      );

      // Connection latency via the VIP vs directly to the pod, with N+1 Services programmed.
      const be = fx.backends[0];
      const out = JSON.parse(
        await fx.inClient(
          latencyScript(
            [
              { key: 'vip', host: VIP, port: 80 },
              { key: 'direct', host: be.ip, port: 8080 },
            ],
            CONNECTS,
          ),
        ),
      ) as Record<string, { connect: number[]; request: number[]; errors: number }>;
      for (const [k, label] of [
        ['vip', `ClusterIP ${VIP}:80`],
        ['direct', `pod ${be.ip}:8080`],
      ]) {
        const r = out[k];
        console.log(
          `${mode.padEnd(8)} ${String(n + 1).padStart(6)} svc  ${label.padEnd(24)} ${r.connect.length} connects: connect p50 ${pct(r.connect, 50).toFixed(3)} ms p99 ${pct(r.connect, 99).toFixed(3)} ms; HTTP GET p50 ${pct(r.request, 50).toFixed(3)} ms p99 ${pct(r.request, 99).toFixed(3)} ms${r.errors ? `; ${r.errors} errors` : ''}`,
        );
      }
      const v = out.vip;
      const d = out.direct;
      console.log(
        `${mode.padEnd(8)} ${String(n + 1).padStart(6)} svc  VIP/direct: connect p50 ${(pct(v.connect, 50) / pct(d.connect, 50)).toFixed(2)}x p99 ${(pct(v.connect, 99) / pct(d.connect, 99)).toFixed(2)}x`,
      );
    } finally {
      const t0 = performance.now();
      await backend.cleanup().catch((err) => console.log(`cleanup failed: ${String(err)}`));
      console.log(`${mode.padEnd(8)} ${String(n).padStart(6)} svc  cleanup ${fmt(ms(t0))} ms`);
    }
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: the proxy benchmark needs root (network namespaces)');
    return;
  }
  console.log(
    `Keelson kube-proxy benchmark (${new Date().toISOString()}; Node ${process.version}; load average ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`,
  );
  const subnet = 100 + (process.pid % 100);
  const fx = await createFixture(subnet);
  const table = `kpb-${process.pid}`;
  const onSignal = () => {
    fx.destroy();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  console.log(
    `namespaces: node ${fx.node}, client ${fx.client}, backends ${fx.backends.map((b) => `${b.ns} (${b.ip})`).join(', ')}; nft table ${table}`,
  );
  try {
    for (const mode of MODES) await bench(mode, fx, table);
  } finally {
    fx.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
