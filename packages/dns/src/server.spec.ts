import dgram from 'node:dgram';
import net from 'node:net';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
import * as dnsPacket from 'dns-packet';
import { ClusterDns } from './records';
import { DnsServer } from './server';
import { Forwarder } from './forwarder';

function udpQuery(port: number, msg: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('timeout'));
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(msg, port, '127.0.0.1');
  });
}

function tcpQuery(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      s.write(Buffer.concat([len, msg]));
    });
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    s.on('error', reject);
  });
}

/** Decoded answer with rcode and record data (the typings omit both). */
const decode = (b: Buffer) => dnsPacket.decode(b) as any;

const q = (name: string, type: dnsPacket.RecordType, id = 7) =>
  dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
  });

describe('DnsServer on loopback', () => {
  let upstream: DnsServer;
  let server: DnsServer;
  let records: ClusterDns;

  beforeAll(async () => {
    // A fake upstream resolver on loopback: another DnsServer authoritative for "example.test".
    const upstreamZone = new ClusterDns({ zone: 'example.test' });
    upstreamZone.upsertService({
      metadata: { namespace: 'ns', name: 'www' },
      spec: { clusterIP: '192.0.2.10' },
    });
    upstream = new DnsServer({ records: upstreamZone });
    await upstream.listen({ host: '127.0.0.1', port: 0 });

    records = new ClusterDns({ zone: 'cluster.local' });
    records.upsertService({
      metadata: { namespace: 'default', name: 'web' },
      spec: { clusterIP: '10.96.0.20' },
    });
    // A headless service with enough endpoints to overflow a 512-byte UDP answer.
    records.upsertService({ metadata: { namespace: 'default', name: 'big' }, spec: { clusterIP: 'None' } });
    records.upsertSlice({
      metadata: { namespace: 'default', name: 'big-1', labels: { 'kubernetes.io/service-name': 'big' } },
      endpoints: Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.244.0.${i + 2}`] })),
    });
    server = new DnsServer({
      records,
      forwarder: new Forwarder({
        upstreams: [{ host: '127.0.0.1', port: upstream.ports.udp }],
        timeoutMs: 500,
      }),
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  it('answers cluster names over UDP, authoritatively', async () => {
    const r = decode(await udpQuery(server.ports.udp, q('web.default.svc.cluster.local', 'A')));
    expect(r.id).toBe(7);
    expect(r.flag_aa).toBe(true);
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers?.map((a: any) => a.data)).toEqual(['10.96.0.20']);
  });

  it('answers over TCP', async () => {
    const r = decode(await tcpQuery(server.ports.tcp, q('web.default.svc.cluster.local', 'A')));
    expect(r.answers?.map((a: any) => a.data)).toEqual(['10.96.0.20']);
  });

  it('sets TC on an oversized UDP answer and gives the whole answer over TCP', async () => {
    const udp = decode(await udpQuery(server.ports.udp, q('big.default.svc.cluster.local', 'A')));
    expect(udp.flag_tc).toBe(true);
    const tcp = decode(await tcpQuery(server.ports.tcp, q('big.default.svc.cluster.local', 'A')));
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(60);
  });

  it('returns NXDOMAIN with the SOA for unknown cluster names', async () => {
    const r = decode(await udpQuery(server.ports.udp, q('nope.default.svc.cluster.local', 'A')));
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.authorities?.[0].type).toBe('SOA');
  });

  it('forwards other names to the upstream resolver', async () => {
    const r = decode(await udpQuery(server.ports.udp, q('www.ns.svc.example.test', 'A', 99)));
    expect(r.id).toBe(99);
    expect(r.answers?.map((a: any) => a.data)).toEqual(['192.0.2.10']);
  });

  it('answers SERVFAIL when the upstream does not answer', async () => {
    const dead = new DnsServer({
      records,
      forwarder: new Forwarder({ upstreams: [{ host: '127.0.0.1', port: 9 }], timeoutMs: 200 }),
    });
    await dead.listen({ host: '127.0.0.1', port: 0 });
    try {
      const r = decode(await udpQuery(dead.ports.udp, q('example.org', 'A')));
      expect(r.rcode).toBe('SERVFAIL');
    } finally {
      await dead.close();
    }
  });

  it('answers FORMERR to a malformed packet and drops one too short for a header', async () => {
    const bad = Buffer.concat([
      q('web.default.svc.cluster.local', 'A').subarray(0, 12),
      Buffer.from([0x3f, 0x41]),
    ]);
    bad.writeUInt16BE(1, 4); // one question that is cut short
    const r = await udpQuery(server.ports.udp, bad);
    expect(r.readUInt16BE(0)).toBe(7);
    expect(r[3] & 0x0f).toBe(1);
    await expect(udpQuery(server.ports.udp, Buffer.from([1, 2, 3]), 300)).rejects.toThrow('timeout');
  });

  it('survives a flood of garbage and keeps answering', async () => {
    const s = dgram.createSocket('udp4');
    for (let i = 0; i < 2000; i++)
      s.send(
        Buffer.from(Array.from({ length: (i % 40) + 1 }, (_, j) => (i * 31 + j) & 0xff)),
        server.ports.udp,
        '127.0.0.1',
      );
    await new Promise((r) => setTimeout(r, 200));
    s.close();
    const r = decode(await udpQuery(server.ports.udp, q('web.default.svc.cluster.local', 'A')));
    expect(r.answers?.[0].data).toBe('10.96.0.20');
  });

  const hasDig = (() => {
    try {
      execFileSync('dig', ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  // dig runs as a child process; the server answers from this process's event loop.
  (hasDig ? it : it.skip)('answers dig over UDP and TCP', async () => {
    const a = await run('dig', [
      '+short',
      '-p',
      String(server.ports.udp),
      '@127.0.0.1',
      'web.default.svc.cluster.local',
      'A',
    ]);
    expect(a.stdout.trim()).toBe('10.96.0.20');
    const txt = await run('dig', [
      '+tcp',
      '+short',
      '-p',
      String(server.ports.tcp),
      '@127.0.0.1',
      'dns-version.cluster.local',
      'TXT',
    ]);
    expect(txt.stdout.trim()).toBe('"1.1.0"');
    const big = await run('dig', [
      '-p',
      String(server.ports.udp),
      '@127.0.0.1',
      'big.default.svc.cluster.local',
      'A',
    ]);
    expect(big.stdout).toMatch(/Truncated, retrying in TCP mode/);
    expect(big.stdout).toMatch(/ANSWER: 60/);
  });
});
