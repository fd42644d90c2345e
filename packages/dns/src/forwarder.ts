/**
 * Forwards queries outside the cluster zone to upstream resolvers over UDP (TCP when the answer
 * is truncated), trying each upstream in turn, with a small TTL-bounded answer cache.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { UpstreamError, DnsConfigError } from './errors';

/** A resolver address. */
export interface Upstream {
  host: string;
  port: number;
}

/**
 * Parses "1.2.3.4", "1.2.3.4:53", "[::1]:53" or "::1" into an {@link Upstream}.
 * @throws DnsConfigError for anything else
 */
export function parseUpstream(text: string): Upstream {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) return { host: bracket[1], port: bracket[2] ? Number(bracket[2]) : 53 };
  if (net.isIP(text)) return { host: text, port: 53 };
  const m = /^([^:]+):(\d+)$/.exec(text);
  if (m && net.isIP(m[1]) && Number(m[2]) > 0 && Number(m[2]) < 65536)
    return { host: m[1], port: Number(m[2]) };
  throw new DnsConfigError(`invalid upstream resolver "${text}": want IP or IP:PORT`);
}

/**
 * The `nameserver` lines of a resolv.conf file (default /etc/resolv.conf), as upstreams.
 * Returns [] if the file is missing.
 */
export function upstreamsFromResolvConf(path = '/etc/resolv.conf'): Upstream[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && net.isIP(m[1].replace(/%.*$/, ''))) out.push({ host: m[1].replace(/%.*$/, ''), port: 53 });
  }
  return out;
}

/** Options of {@link Forwarder}. */
export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Per-upstream timeout, ms (default 2000). */
  timeoutMs?: number;
  /** Cached answers kept at most (default 1000); 0 disables the cache. */
  cacheSize?: number;
  /** Clock for cache expiry, ms since the epoch (default Date.now). */
  now?: () => number;
}

interface CacheEntry {
  expires: number;
  /** The raw answer without its 2-byte id. */
  body: Buffer;
}

/** Sends raw DNS queries to upstream resolvers. */
export class Forwarder {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly timeoutMs: number;
  private readonly cacheSize: number;
  private readonly now: () => number;

  constructor(private readonly opts: ForwarderOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.cacheSize = opts.cacheSize ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Forwards one raw query and resolves with the raw answer, its id set to the query's.
   * @param cacheKey key for the answer cache (name/type/class), or undefined to bypass it
   * @param ttlSeconds how long to cache the answer, seconds (the answer's minimum TTL)
   * @throws UpstreamError when no upstream answered in time
   */
  async forward(query: Buffer, cacheKey?: string, ttlOf?: (answer: Buffer) => number): Promise<Buffer> {
    if (cacheKey && this.cacheSize > 0) {
      const hit = this.cache.get(cacheKey);
      if (hit && hit.expires > this.now()) {
        const out = Buffer.concat([query.subarray(0, 2), hit.body]);
        return out;
      }
      if (hit) this.cache.delete(cacheKey);
    }
    if (!this.opts.upstreams.length) throw new UpstreamError('no upstream resolvers configured');
    let lastError = '';
    for (const upstream of this.opts.upstreams) {
      try {
        let answer = await this.udp(upstream, query);
        // TC bit: retry over TCP for the full answer.
        if (answer.length > 3 && (answer[2] & 0x02) !== 0) answer = await this.tcp(upstream, query);
        if (cacheKey && this.cacheSize > 0 && ttlOf) {
          const ttl = ttlOf(answer);
          if (ttl > 0) {
            if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
            this.cache.set(cacheKey, {
              expires: this.now() + ttl * 1000,
              body: Buffer.from(answer.subarray(2)),
            });
          }
        }
        return answer;
      } catch (err) {
        lastError = `${upstream.host}:${upstream.port}: ${(err as Error).message}`;
      }
    }
    throw new UpstreamError(`all upstream resolvers failed (last: ${lastError})`);
  }

  private udp(upstream: Upstream, query: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error(`timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      socket.on('message', (msg) => {
        // Accept only the answer to our id.
        if (msg.length < 2 || msg.readUInt16BE(0) !== query.readUInt16BE(0)) return;
        clearTimeout(timer);
        socket.close();
        resolve(msg);
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        socket.close();
        reject(err);
      });
      socket.send(query, upstream.port, upstream.host);
    });
  }

  private tcp(upstream: Upstream, query: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(upstream.port, upstream.host);
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`timed out after ${this.timeoutMs} ms (tcp)`));
      }, this.timeoutMs);
      socket.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        socket.write(Buffer.concat([len, query]));
      });
      socket.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          clearTimeout(timer);
          socket.destroy();
          resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        }
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }
}
