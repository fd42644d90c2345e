/**
 * SPDY/3.1 sessions as Kubernetes' httpstream uses them (k8s.io/apimachinery util/httpstream/spdy
 * over moby/spdystream), framed by the `spdy-transport` library (the framing and zlib header
 * dictionary of the `spdy` package). Two differences between spdystream and the HTTP-over-SPDY
 * that spdy-transport was written for are bridged here, and only here:
 *
 * - spdystream streams carry only their own headers (`streamtype`, `port`, `requestid` for port
 *   forwarding), without the HTTP pseudo-headers `:method`/`:path` that spdy-transport's parser
 *   requires on every SYN_STREAM; placeholders are added to header blocks that lack them.
 * - spdystream does no flow control: it never sends WINDOW_UPDATE (nor SETTINGS). spdy-transport
 *   would stop writing on a stream after its initial 64 KiB send window, so send-side flow
 *   control is switched off on every stream of a session built here (what upstream's Go server
 *   does too). The receive side still sends WINDOW_UPDATE frames, which spdystream ignores.
 */
import type { Duplex } from 'node:stream';
import transport, { type SpdyConnection, type SpdyStream } from 'spdy-transport';

/** Upgrade token of SPDY/3.1 (HTTP `Upgrade:` header). */
export const SPDY_31 = 'SPDY/3.1';

type KVCallback = (err: Error | null, headers?: Record<string, unknown>) => void;
interface Internals {
  _spdyState: {
    parser: { parseKVs(buf: unknown, cb: KVCallback): void };
  };
}
interface StreamInternals {
  _spdyState: { window: { send: { update(size: number, cb?: () => void): void } } };
}

/** Switches send-side flow control off on `stream` (see the module comment). */
export function disableSendFlowControl(stream: SpdyStream): void {
  const send = (stream as unknown as StreamInternals)._spdyState.window.send;
  send.update = (_size, cb) => {
    if (cb) process.nextTick(cb);
  };
}

/**
 * Starts the server side of a SPDY session on `socket` (a TCP socket after `101 Switching
 * Protocols`, or a WebSocket wrapped as a byte stream). `onStream` receives every stream the
 * client opens, with flow control already off; it must answer each with `respond()` (SYN_REPLY)
 * or `abort()` (RST_STREAM). Session errors are passed to `onError`; the session ends with the
 * socket.
 */
export function acceptSpdy(
  socket: Duplex,
  onStream: (stream: SpdyStream) => void,
  onError: (err: Error) => void,
): SpdyConnection {
  const conn = transport.connection.create(socket, { protocol: 'spdy', isServer: true });
  const parser = (conn as unknown as Internals)._spdyState.parser;
  const parseKVs = parser.parseKVs;
  parser.parseKVs = function (buf, cb) {
    parseKVs.call(this, buf, (err, headers) => {
      if (!err && headers && headers[':method'] === undefined && headers[':status'] === undefined)
        headers = { ':method': 'POST', ':path': '/', ...headers };
      cb(err, headers);
    });
  };
  conn.on('stream', (s) => {
    disableSendFlowControl(s);
    onStream(s);
  });
  conn.on('error', (e) => onError(e ?? new Error('spdy session error')));
  return conn;
}

/**
 * The client side of a SPDY/3.1 session on `socket` (for tests and tools): streams opened with
 * `request()` carry the given headers (plus spdy-transport's HTTP pseudo-headers, which
 * Kubernetes servers ignore).
 */
export function connectSpdy(socket: Duplex): SpdyConnection {
  const conn = transport.connection.create(socket, { protocol: 'spdy', isServer: false });
  conn.start(3.1);
  return conn;
}
