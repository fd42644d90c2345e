// The part of spdy-transport@3 (SPDY/HTTP2 framing, no bundled types) the kubelet uses.
declare module 'spdy-transport' {
  import type { Duplex } from 'node:stream';
  import type { EventEmitter } from 'node:events';

  /** One SPDY stream: a Duplex over its DATA frames. */
  export interface SpdyStream extends Duplex {
    readonly id: number;
    /** Header block of the SYN_STREAM, names lower-cased. */
    readonly headers: Record<string, string | string[]>;
    /** Sends SYN_REPLY (server side). */
    respond(status: number, headers: Record<string, string>, cb?: (err?: Error) => void): void;
    /** Sends RST_STREAM (default CANCEL). */
    abort(code?: string, cb?: (err?: Error | null) => void): void;
    /** Client side: the SYN_REPLY arrived. */
    on(event: 'response', fn: (status: number, headers: Record<string, string>) => void): this;
    on(event: string | symbol, fn: (...args: any[]) => void): this;
  }

  export interface RequestOptions {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    writable?: boolean;
    readable?: boolean;
  }

  /** A SPDY session over a byte stream. */
  export interface SpdyConnection extends EventEmitter {
    on(event: 'stream', fn: (stream: SpdyStream) => void): this;
    on(event: 'error' | 'close', fn: (err?: Error) => void): this;
    on(event: string | symbol, fn: (...args: any[]) => void): this;
    /** Client side: opens a stream (SYN_STREAM). */
    request(opts: RequestOptions, cb: (err: Error | null, stream: SpdyStream) => void): SpdyStream;
    /** Client side: announces the protocol version and sends SETTINGS (SPDY: 3 or 3.1). */
    start(version: number): void;
    /** Sends GOAWAY and ends the socket. */
    end(cb?: () => void): void;
    destroyStreams(err?: Error): void;
    ping(cb?: (err: Error | null) => void): void;
  }

  export interface ConnectionOptions {
    protocol: 'spdy' | 'http2';
    isServer: boolean;
    windowSize?: number;
    autoSpdy31?: boolean;
    maxStreams?: number;
  }

  /** The CommonJS module object (a default import under esModuleInterop). */
  const transport: {
    connection: {
      create(socket: Duplex, options: ConnectionOptions): SpdyConnection;
    };
  };
  export default transport;
}
