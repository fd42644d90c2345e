/**
 * Port forwarding, the kubelet's side of `kubectl port-forward` (upstream
 * pkg/kubelet/cri/streaming/portforward: httpstream.go and websocket.go). Three framings of
 * the same service, chosen by the upgrade request:
 *
 * - SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`): for every
 *   local connection the client opens two streams with headers `streamtype: error|data`,
 *   `port: <n>`, `requestid: <id>`; the data stream is piped to the pod's port, and a failure is
 *   written as text on the error stream, which is then closed.
 * - SPDY tunnelled over WebSocket (subprotocol `SPDY/3.1+portforward.k8s.io`, kubectl ≥ 1.31 by
 *   default, client-go tools/portforward tunneling_dialer.go): the same SPDY bytes carried in
 *   binary WebSocket messages.
 * - The WebSocket channel protocol (subprotocol `v4.channel.k8s.io`, its base64 variant, or
 *   none; ports from the `port` query parameter, or `ports` as @kubernetes/client-node sends):
 *   channel 2i carries the data of the i-th port and 2i+1 its errors; the first message on each
 *   is the port as uint16 little endian. One connection per port; the socket closes when all
 *   have ended.
 *
 * Every forwarded connection is one {@link PortDialer} call (in the kubelet: CRI PortForward for
 * the pod sandbox and the runtime's streaming URL).
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import type { SpdyStream } from 'spdy-transport';
import type { Logger } from '../util/log';
import { decodeFrame, encodeFrame } from './channel';
import { acceptSpdy, SPDY_31 } from './spdy';

/** The port-forward stream protocol (X-Stream-Protocol-Version, upstream PortForwardProtocolV1Name). */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** Prefix of WebSocket subprotocols that tunnel SPDY (k8s.io/apimachinery util/portforward). */
export const SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';
/** WebSocket subprotocols of the channel framing, most preferred first ("" = none offered). */
export const PORT_FORWARD_WS_PROTOCOLS = [
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
];
/** How long the second stream of a SPDY pair may lag the first (upstream's 30 s default). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

/**
 * Opens one TCP connection to `port` inside the pod. The returned stream carries the bytes both
 * ways, ends when the pod side closes, and fails (`error` event, or a rejected promise) with the
 * runtime's message (e.g. "connection refused").
 */
export type PortDialer = (port: number) => Promise<Duplex>;

/** What one port-forward request serves. */
export interface PortForwardTarget {
  dial: PortDialer;
  /** Names the pod in error messages, e.g. "pod <sandbox id>, uid <uid>" as upstream prints. */
  describe: string;
  log: Logger;
}

/** Parses the `port` (upstream) and `ports` (client-node) query parameters; throws a one-line message. */
export function parsePorts(q: URLSearchParams): number[] {
  const raw = [...q.getAll('port'), ...q.getAll('ports')];
  if (!raw.length) throw new Error('query parameter "port" is required');
  const out: number[] = [];
  for (const v of raw) {
    if (!v) throw new Error('query parameter "port" cannot be empty');
    for (const p of v.split(',')) {
      const n = /^\d+$/.test(p) ? Number(p) : NaN;
      if (!(n >= 1 && n <= 65535)) throw new Error(`unable to parse "${p}" as a port`);
      out.push(n);
    }
  }
  return out;
}

function headerList(v: string | string[] | undefined): string[] {
  return (Array.isArray(v) ? v.join(',') : (v ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function rejectUpgrade(socket: Socket, code: number, msg: string): void {
  const reason = code === 403 ? 'Forbidden' : code === 404 ? 'Not Found' : 'Bad Request';
  const body = `${msg}\n`;
  socket.end(
    `HTTP/1.1 ${code} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const tunnelRequests = new WeakSet<IncomingMessage>();

/** ws 'headers' listener: answers the SPDY tunnel subprotocol for requests marked in tunnelRequests. */
function addTunnelProtocol(headers: string[], req: IncomingMessage): void {
  if (tunnelRequests.has(req))
    headers.push(`Sec-WebSocket-Protocol: ${SPDY_TUNNEL_PREFIX}${PORT_FORWARD_PROTOCOL}`);
}

function firstHeader(v: string | string[] | undefined): string {
  if (Array.isArray(v)) return v[0] ?? '';
  return v ?? '';
}

/**
 * Serves a port-forward upgrade request (any of the three framings) on `socket`. Answers 400
 * for a request that is not an upgrade this server speaks (or lacks ports for the channel
 * framing), 403 when SPDY protocol negotiation fails (upstream httpstream.Handshake).
 */
export function servePortForward(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  wss: WebSocketServer,
  target: PortForwardTarget,
): void {
  const upgrade = headerList(req.headers.upgrade).map((s) => s.toLowerCase());
  const url = new URL(req.url ?? '/', 'http://kubelet');
  if (upgrade.includes('websocket')) {
    const offered = headerList(req.headers['sec-websocket-protocol']);
    const tunnel = `${SPDY_TUNNEL_PREFIX}${PORT_FORWARD_PROTOCOL}`;
    if (offered.includes(tunnel)) {
      // "/" is not a token character (RFC 6455 §4.1), so ws refuses to parse this subprotocol:
      // take it off the request and add it to the 101 answer ourselves.
      delete req.headers['sec-websocket-protocol'];
      tunnelRequests.add(req);
      if (!wss.listeners('headers').includes(addTunnelProtocol)) wss.on('headers', addTunnelProtocol);
      wss.handleUpgrade(req, socket, head, (ws) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', (e) => target.log.debug({ err: e.message }, 'port-forward tunnel closed'));
        serveSpdySession(stream, target);
      });
      return;
    }
    let ports: number[];
    try {
      ports = parsePorts(url.searchParams);
    } catch (e) {
      return rejectUpgrade(socket, 400, (e as Error).message);
    }
    const protocol = PORT_FORWARD_WS_PROTOCOLS.find((p) => offered.includes(p));
    if (offered.length && !protocol)
      return rejectUpgrade(
        socket,
        400,
        `unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${[tunnel, ...PORT_FORWARD_WS_PROTOCOLS].join(' ')}]`,
      );
    if (protocol) req.headers['sec-websocket-protocol'] = protocol;
    else delete req.headers['sec-websocket-protocol'];
    wss.handleUpgrade(req, socket, head, (ws) => serveChannels(ws, protocol ?? '', ports, target));
    return;
  }
  if (upgrade.includes(SPDY_31.toLowerCase())) {
    const versions = headerList(req.headers['x-stream-protocol-version']);
    if (versions.length && !versions.includes(PORT_FORWARD_PROTOCOL))
      return rejectUpgrade(
        socket,
        403,
        `unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server accepts [${PORT_FORWARD_PROTOCOL}]`,
      );
    const lines = [
      'HTTP/1.1 101 Switching Protocols',
      'Connection: Upgrade',
      `Upgrade: ${SPDY_31}`,
      ...(versions.length ? [`X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}`] : []),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) socket.unshift(head);
    socket.on('error', (e) => target.log.debug({ err: e.message }, 'port-forward connection closed'));
    serveSpdySession(socket, target);
    return;
  }
  rejectUpgrade(
    socket,
    400,
    `Upgrade request required (${SPDY_31} with X-Stream-Protocol-Version ${PORT_FORWARD_PROTOCOL}, or WebSocket: ${firstHeader(req.headers.upgrade) || 'none given'})`,
  );
}

interface StreamPair {
  requestId: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer?: NodeJS.Timeout;
}

/** Runs the upstream httpStreamHandler over one SPDY session: pairs streams by request id and forwards each pair. */
function serveSpdySession(socket: Duplex, target: PortForwardTarget): void {
  const pairs = new Map<string, StreamPair>();
  const live = new Set<Duplex>();
  const printError = (s: SpdyStream | undefined, msg: string) => {
    if (s && s.writable) s.end(msg);
  };
  const onStream = (s: SpdyStream) => {
    s.on('error', (e: Error) => target.log.debug({ err: e.message, stream: s.id }, 'port-forward stream'));
    const h = (name: string) => {
      const v = s.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const portText = h('port');
    const port = /^\d+$/.test(portText ?? '') ? Number(portText) : NaN;
    const type = h('streamtype');
    let invalid: string | undefined;
    if (!portText) invalid = '"port" header is required';
    else if (!(port >= 1 && port <= 65535)) invalid = `unable to parse "${portText}" as a port`;
    else if (!type) invalid = '"streamType" header is required';
    else if (type !== 'error' && type !== 'data') invalid = `invalid stream type "${type}"`;
    if (invalid) {
      target.log.warn({ stream: s.id }, `port-forward stream rejected: ${invalid}`);
      s.abort();
      return;
    }
    s.respond(200, {});
    // Old clients send no request id: pair error stream N with data stream N+2 (upstream's fallback).
    const requestId = h('requestid') || String(type === 'error' ? s.id : s.id - 2);
    let p = pairs.get(requestId);
    if (!p) {
      p = { requestId };
      pairs.set(requestId, p);
      const pair = p;
      p.timer = setTimeout(() => {
        pairs.delete(requestId);
        printError(pair.error, `timed out waiting for streams (request ${requestId})`);
        pair.data?.abort();
      }, STREAM_CREATION_TIMEOUT_MS);
      p.timer.unref();
    }
    if (type === 'error') {
      // the client writes nothing here; consume its FIN so the stream can close
      s.resume();
      if (p.error)
        return printError(
          s,
          `error processing stream for request ${requestId}: error stream already assigned`,
        );
      p.error = s;
    } else {
      if (p.data) {
        printError(p.error, `error processing stream for request ${requestId}: data stream already assigned`);
        s.abort();
        return;
      }
      p.data = s;
    }
    if (p.data && p.error) {
      clearTimeout(p.timer);
      pairs.delete(requestId);
      void forward(p.data, p.error, port);
    }
  };
  const forward = async (data: SpdyStream, error: SpdyStream, port: number) => {
    let done = false;
    let dialed: Duplex | undefined;
    const finish = (err?: string) => {
      if (done) return;
      done = true;
      if (err) {
        const msg = `error forwarding port ${port} to ${target.describe}: ${err}`;
        target.log.info({ port }, msg);
        printError(error, msg);
      } else if (error.writable) error.end();
      if (data.writable) data.end();
      dialed?.destroy();
    };
    // RST from the client (or the session ending) before the pod side closed
    data.on('close', () => finish());
    try {
      dialed = await target.dial(port);
    } catch (e) {
      return finish((e as Error).message);
    }
    const pod = dialed;
    if (done) return void pod.destroy();
    live.add(pod);
    pod.on('close', () => live.delete(pod));
    pod.on('error', (e) => finish(e.message));
    // pod → client; its end (the pod closed the connection) ends the data stream
    pod.on('end', () => finish());
    pod.on('data', (b: Buffer) => {
      if (!data.writable) return;
      if (!data.write(b)) {
        pod.pause();
        data.once('drain', () => pod.resume());
      }
    });
    // client → pod; FIN half-closes the pod connection, RST (or the session ending) drops it
    data.pipe(pod);
  };
  const conn = acceptSpdy(socket, onStream, (e) =>
    target.log.debug({ err: e.message }, 'port-forward session error'),
  );
  const teardown = () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
    for (const d of live) d.destroy();
    live.clear();
  };
  conn.on('close', teardown);
  socket.on('close', teardown);
}

/** The WebSocket channel framing: one connection per requested port (upstream websocket.go). */
function serveChannels(ws: WebSocket, protocol: string, ports: number[], target: PortForwardTarget): void {
  const send = (ch: number, data: Buffer | string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeFrame(protocol, ch, data));
  };
  const pods: (Duplex | undefined)[] = [];
  const early: Buffer[][] = ports.map(() => []);
  let open = ports.length;
  ports.forEach((port, i) => {
    const head = Buffer.alloc(2);
    head.writeUInt16LE(port);
    send(2 * i, head);
    send(2 * i + 1, head);
    let done = false;
    const finish = (err?: string) => {
      if (done) return;
      done = true;
      if (err) send(2 * i + 1, `error forwarding port ${port} to ${target.describe}: ${err}`);
      if (--open === 0 && ws.readyState === WebSocket.OPEN) ws.close(1000);
    };
    target.dial(port).then(
      (pod) => {
        if (ws.readyState !== WebSocket.OPEN) return pod.destroy();
        pods[i] = pod;
        for (const b of early[i]!.splice(0)) pod.write(b);
        pod.on('data', (b: Buffer) => send(2 * i, b));
        pod.on('error', (e) => finish(e.message));
        pod.on('end', () => finish());
      },
      (e: Error) => finish(e.message),
    );
  });
  ws.on('message', (msg: Buffer, isBinary: boolean) => {
    const f = decodeFrame(protocol, isBinary ? msg : msg.toString('utf8'));
    if (!f || f.channel % 2 !== 0) return;
    const i = f.channel / 2;
    if (i >= ports.length || !f.data.length) return;
    const pod = pods[i];
    if (pod) pod.write(f.data);
    else early[i]!.push(Buffer.from(f.data));
  });
  ws.on('close', () => {
    for (const p of pods) p?.destroy();
  });
  ws.on('error', (e) => target.log.debug({ err: e.message }, 'port-forward websocket error'));
}

/**
 * A {@link PortDialer} connection over a runtime's CRI streaming URL for PortForward of one port
 * (the WebSocket channel framing, subprotocol `v4.channel.k8s.io`: channel 0 data, 1 errors,
 * each starting with the port as uint16 LE; an empty data message half-closes, as the Keelson
 * runtime reads it). Resolves once the WebSocket is open.
 */
export function openRuntimePortForward(url: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v4.channel.k8s.io', 'channel.k8s.io']);
    let stream: Duplex | undefined;
    const skip = [2, 2];
    let errText = '';
    ws.on('message', (msg: Buffer) => {
      if (!stream || !msg.length) return;
      const ch = msg[0]!;
      if (ch > 1) return;
      let payload = msg.subarray(1);
      const n = Math.min(skip[ch]!, payload.length);
      skip[ch]! -= n;
      payload = payload.subarray(n);
      if (!payload.length) return;
      if (ch === 0) stream.push(Buffer.from(payload));
      else errText += payload.toString('utf8');
    });
    ws.once('open', () => {
      stream = new RuntimePortStream(ws);
      resolve(stream);
    });
    ws.on('error', (e) => {
      if (!stream) reject(new Error(`port ${port}: streaming: ${e.message}`));
      else stream.destroy(e);
    });
    ws.on('close', () => {
      if (!stream) return reject(new Error(`port ${port}: the runtime closed the stream`));
      // the Keelson runtime prefixes "port <n>: ", which our own message already says
      if (errText) stream.destroy(new Error(errText.trim().replace(/^port \d+: /, '')));
      else stream.push(null);
    });
  });
}

/** The data channel of a runtime port-forward WebSocket as a byte stream. */
class RuntimePortStream extends Duplex {
  constructor(private readonly ws: WebSocket) {
    super();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return cb();
    const b = Buffer.allocUnsafe(chunk.length + 1);
    b[0] = 0;
    chunk.copy(b, 1);
    this.ws.send(b, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from([0]), () => cb());
    else cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.terminate();
    cb(err);
  }
}
