/**
 * The cluster DNS server: UDP and TCP listeners (wire format through dns-packet) answering the
 * cluster zone from {@link ClusterDns} and forwarding everything else through {@link Forwarder}.
 * Malformed queries get FORMERR when their header can be read, and are dropped otherwise.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { Counter, Histogram, Registry } from 'prom-client';
import type { ClusterDns, DnsAnswer } from './records';
import type { Forwarder } from './forwarder';

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODE;
/** Largest UDP answer without EDNS (RFC 1035 §4.2.1), bytes. */
const UDP_MIN = 512;
/** Largest EDNS UDP payload we honour, bytes. */
const UDP_MAX = 4096;

/** Options of {@link DnsServer}. */
export interface DnsServerOptions {
  records: ClusterDns;
  /** Forwarder for names outside the zone; without one such queries get REFUSED. */
  forwarder?: Forwarder;
  /** Registry for the metrics (default: a private one, see {@link DnsServer.metrics}). */
  registry?: Registry;
}

/** Where the server listens. */
export interface ListenAddress {
  host: string;
  /** 0 picks a free port (the same for UDP and TCP is not guaranteed then: read {@link DnsServer.ports}). */
  port: number;
}

/** A running DNS server. */
export class DnsServer {
  readonly metrics: Registry;
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly queries: Counter<'type' | 'rcode' | 'transport'>;
  private readonly latency: Histogram<'transport'>;
  /** The bound ports once started. */
  ports = { udp: 0, tcp: 0 };

  constructor(private readonly opts: DnsServerOptions) {
    this.metrics = opts.registry ?? new Registry();
    this.queries = new Counter({
      name: 'keelson_dns_queries_total',
      help: 'DNS queries answered, by query type, response code and transport.',
      labelNames: ['type', 'rcode', 'transport'],
      registers: [this.metrics],
    });
    this.latency = new Histogram({
      name: 'keelson_dns_request_duration_seconds',
      help: 'Time to answer a DNS query, seconds.',
      labelNames: ['transport'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5],
      registers: [this.metrics],
    });
  }

  /**
   * Binds UDP and TCP on the address.
   * @throws the socket error (e.g. EADDRINUSE, EACCES for port 53 without privileges)
   */
  async listen(addr: ListenAddress): Promise<void> {
    const type = net.isIPv6(addr.host) ? 'udp6' : 'udp4';
    const udp = dgram.createSocket({ type, reuseAddr: false });
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, 'udp').then((out) => {
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(addr.port, addr.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined);
    this.udp = udp;
    this.ports.udp = udp.address().port;

    const tcp = net.createServer((socket) => this.serveTcp(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(addr.port === 0 ? this.ports.udp : addr.port, addr.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.tcp = tcp;
    this.ports.tcp = (tcp.address() as net.AddressInfo).port;
  }

  /** Stops listening and closes open TCP connections. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
  }

  private serveTcp(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > 70_000) return socket.destroy();
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.handle(Buffer.from(msg), 'tcp').then((out) => {
          if (!out || socket.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          socket.write(Buffer.concat([len, out]));
        });
      }
    });
  }

  /**
   * Answers one raw query. Resolves with the raw response, or undefined to drop the query
   * (unreadable header, or a response packet).
   */
  async handle(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const end = this.latency.startTimer({ transport });
    try {
      return await this.answer(msg, transport);
    } finally {
      end();
    }
  }

  private async answer(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (msg.length < 12) return undefined;
    if ((msg[2] & 0x80) !== 0) return undefined; // a response, not a query
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      this.count('unknown', 'FORMERR', transport);
      return this.headerOnly(msg, 'FORMERR');
    }
    const opcode = (msg[2] >> 3) & 0x0f;
    if (opcode !== 0) {
      this.count('unknown', 'NOTIMP', transport);
      return this.headerOnly(msg, 'NOTIMP');
    }
    if (query.questions?.length !== 1) {
      this.count('unknown', 'FORMERR', transport);
      return this.headerOnly(msg, 'FORMERR');
    }
    const q = query.questions[0];
    const maxSize = transport === 'tcp' ? 65535 : udpLimit(query);
    const local = this.opts.records.answer(q.name, q.type);
    if (local) {
      this.count(q.type, local.rcode, transport);
      return this.encode(query, local, maxSize);
    }
    if (!this.opts.forwarder) {
      this.count(q.type, 'REFUSED', transport);
      return this.headerOnly(msg, 'REFUSED', query);
    }
    try {
      const answer = await this.opts.forwarder.forward(
        msg,
        `${q.name.toLowerCase()}/${q.type}/${q.class ?? 'IN'}`,
        minTtl,
      );
      this.count(q.type, rcodeOf(answer), transport);
      if (transport === 'udp' && answer.length > maxSize) return this.truncate(answer, query);
      return answer;
    } catch {
      this.count(q.type, 'SERVFAIL', transport);
      return this.headerOnly(msg, 'SERVFAIL', query);
    }
  }

  private count(type: string, rcode: string, transport: string): void {
    this.queries.inc({ type, rcode, transport });
  }

  private encode(query: dnsPacket.Packet, a: DnsAnswer, maxSize: number): Buffer {
    const rd = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
    const flags = dnsPacket.AUTHORITATIVE_ANSWER | rd | RCODE[a.rcode];
    const packet = {
      type: 'response' as const,
      id: query.id,
      flags,
      questions: query.questions,
      answers: a.answers as dnsPacket.Answer[],
      authorities: a.authorities as dnsPacket.Answer[],
      additionals: a.additionals as dnsPacket.Answer[],
    };
    const out = dnsPacket.encode(packet);
    if (out.length <= maxSize) return out;
    // RFC 1035 §4.1.1 / RFC 2181 §9: set TC and send what fits; the client retries over TCP.
    return dnsPacket.encode({
      ...packet,
      flags: flags | dnsPacket.TRUNCATED_RESPONSE,
      answers: [],
      additionals: [],
      authorities: [],
    });
  }

  private truncate(answer: Buffer, query: dnsPacket.Packet): Buffer {
    const flags = (answer.readUInt16BE(2) & 0x7fff) | dnsPacket.TRUNCATED_RESPONSE;
    return dnsPacket.encode({ type: 'response', id: query.id, flags, questions: query.questions });
  }

  /** A response carrying only the header (and the question when it could be decoded). */
  private headerOnly(msg: Buffer, rcode: Rcode, query?: dnsPacket.Packet): Buffer {
    if (query) {
      const rd = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
      return dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: rd | RCODE[rcode],
        questions: query.questions,
      });
    }
    const out = Buffer.alloc(12);
    msg.copy(out, 0, 0, 2); // id
    out.writeUInt16BE(0x8000 | (msg.readUInt16BE(2) & 0x7900) | RCODE[rcode], 2); // QR, opcode, RD
    return out;
  }
}

function udpLimit(query: dnsPacket.Packet): number {
  const opt = (query.additionals ?? []).find((r) => r.type === 'OPT') as
    { udpPayloadSize?: number } | undefined;
  const size = opt?.udpPayloadSize ?? UDP_MIN;
  return Math.min(Math.max(size, UDP_MIN), UDP_MAX);
}

function rcodeOf(answer: Buffer): string {
  const code = answer.length >= 4 ? answer[3] & 0x0f : 2;
  return (Object.keys(RCODE) as Rcode[]).find((k) => RCODE[k] === code) ?? String(code);
}

/** The smallest TTL of an upstream answer's records, seconds (0: don't cache). */
function minTtl(answer: Buffer): number {
  try {
    const p = dnsPacket.decode(answer);
    if (rcodeOf(answer) !== 'NOERROR' && rcodeOf(answer) !== 'NXDOMAIN') return 0;
    const ttls = [...(p.answers ?? []), ...(p.authorities ?? [])].map(
      (r) => (r as { ttl?: number }).ttl ?? 0,
    );
    return ttls.length ? Math.min(30, ...ttls) : 0;
  } catch {
    return 0;
  }
}
