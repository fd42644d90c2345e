/**
 * Cluster DNS against a real apiserver (in-process, memory storage, gRPC on loopback): records
 * follow Services and EndpointSlices created through the API; queried with dns-packet and dig.
 */
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as dnsPacket from 'dns-packet';
import { startApiServer, type RunningApiServer } from '@keelson/apiserver';
import { createClientset, type Clientset } from '@keelson/client';
import { startClusterDns, type RunningClusterDns } from '../src/cluster-dns';

const run = promisify(execFile);

function query(port: number, name: string, type: dnsPacket.RecordType): Promise<any> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('timeout'));
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(dnsPacket.decode(m));
    });
    s.send(
      dnsPacket.encode({
        type: 'query',
        id: 3,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type, name }],
      }),
      port,
      '127.0.0.1',
    );
  });
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('cluster DNS with a real apiserver', () => {
  let api: RunningApiServer;
  let client: Clientset;
  let dns: RunningClusterDns;

  beforeAll(async () => {
    api = await startApiServer({ storage: 'memory', bindAddress: '127.0.0.1', port: 0, grpcPort: 0 });
    client = createClientset({ grpcAddress: api.grpcAddress });
    dns = await startClusterDns(
      { listen: { host: '127.0.0.1', port: 0 }, upstreams: ['127.0.0.1:9'], healthPort: 0 },
      client,
    );
  });
  afterAll(async () => {
    await dns?.stop();
    client?.close();
    await api?.close();
  });

  it('answers the kubernetes Service created by the apiserver', async () => {
    const r = await eventually(
      () => query(dns.server.ports.udp, 'kubernetes.default.svc.cluster.local', 'A'),
      (r) => r.answers.length > 0,
    );
    expect(r.answers[0].data).toBe('10.96.0.1');
  });

  it('follows a new Service, its named port, and its deletion', async () => {
    await client.resource('services').create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    } as never);
    const a = await eventually(
      () => query(dns.server.ports.udp, 'web.default.svc.cluster.local', 'A'),
      (r) => r.answers.length > 0,
    );
    const ip = a.answers[0].data;
    expect(ip).toMatch(/^10\.(9[6-9]|1[01][0-9])\./);
    const srv = await query(dns.server.ports.udp, '_http._tcp.web.default.svc.cluster.local', 'SRV');
    expect(srv.answers[0].data).toMatchObject({ port: 80, target: 'web.default.svc.cluster.local' });
    const dig = await run('dig', ['+short', '-p', String(dns.server.ports.udp), '@127.0.0.1', '-x', ip]);
    expect(dig.stdout.trim()).toBe('web.default.svc.cluster.local.');
    await client.resource('services').delete('default', 'web');
    const gone = await eventually(
      () => query(dns.server.ports.udp, 'web.default.svc.cluster.local', 'A'),
      (r) => r.rcode === 'NXDOMAIN',
    );
    expect(gone.rcode).toBe('NXDOMAIN');
  });

  it('answers headless Services from their EndpointSlices, with hostnames', async () => {
    await client.resource('services').create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db', namespace: 'default' },
      spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
    } as never);
    await client.resource('endpointslices').create({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'db-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.244.0.6'], hostname: 'db-1', conditions: { ready: true } },
      ],
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    } as never);
    const r = await eventually(
      () => query(dns.server.ports.udp, 'db.default.svc.cluster.local', 'A'),
      (r) => r.answers.length === 2,
    );
    expect(r.answers.map((a: any) => a.data).sort()).toEqual(['10.244.0.5', '10.244.0.6']);
    const one = await query(dns.server.ports.udp, 'db-1.db.default.svc.cluster.local', 'A');
    expect(one.answers[0].data).toBe('10.244.0.6');
  });

  it('resolves a bare service name through the pod search path with ndots:5', async () => {
    // What a pod's resolver does for "kubernetes" with search "default.svc.cluster.local svc.cluster.local cluster.local".
    const out = await run('dig', [
      '+short',
      '+search',
      '+ndots=5',
      '+domain=default.svc.cluster.local',
      '-p',
      String(dns.server.ports.udp),
      '@127.0.0.1',
      'kubernetes',
    ]);
    expect(out.stdout.trim()).toBe('10.96.0.1');
  });

  it('serves health and metrics', async () => {
    const ready = await fetch(`http://127.0.0.1:${dns.healthPort}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${dns.healthPort}/metrics`)).text();
    expect(metrics).toMatch(/keelson_dns_queries_total\{type="A",rcode="NOERROR",transport="udp"\} \d+/);
  });
});
