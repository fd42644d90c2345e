// The port-forward handler on its own: a loopback HTTP server whose upgrades go to
// servePortForward, a dialer that connects to a loopback TCP echo server (or fails), and SPDY
// clients made with spdy-transport.
import { createServer, type Server } from 'node:http';
import {
  connect,
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import type { Readable } from 'node:stream';
import type { SpdyConnection, SpdyStream } from 'spdy-transport';
import { WebSocketServer } from 'ws';
import { silentLogger } from '../util/log';
import { parsePorts, servePortForward, type PortDialer } from './port-forward';
import { connectSpdy } from './spdy';

let echo: TcpServer;
let echoPort: number;
let http: Server;
let port: number;

const dial: PortDialer = async (p) => {
  if (p !== echoPort) throw new Error(`dial tcp 127.0.0.1:${p}: connect: connection refused`);
  const s = connect(p, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  return s;
};

beforeAll(async () => {
  echo = createTcpServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as AddressInfo).port;
  const wss = new WebSocketServer({ noServer: true });
  http = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket, head) =>
    servePortForward(req, socket as Socket, head, wss, {
      dial,
      describe: 'pod ns/p, uid u1',
      log: silentLogger,
    }),
  );
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  port = (http.address() as AddressInfo).port;
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await new Promise((r) => echo.close(r));
});

/** Sends the SPDY upgrade; resolves with the status line+headers and the upgraded socket. */
async function upgrade(versionHeader = 'X-Stream-Protocol-Version: portforward.k8s.io\r\n') {
  const sock = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write(
    `POST /portForward/ns/p HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${versionHeader}\r\n`,
  );
  const head = await new Promise<string>((resolve) => {
    let acc = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      acc = Buffer.concat([acc, d]);
      const i = acc.indexOf('\r\n\r\n');
      if (i < 0) return;
      sock.off('data', onData);
      sock.pause();
      if (acc.length > i + 4) sock.unshift(acc.subarray(i + 4));
      resolve(acc.subarray(0, i + 4).toString('latin1'));
    };
    sock.on('data', onData);
  });
  return { sock, head };
}

function open(conn: SpdyConnection, headers: Record<string, string>): Promise<SpdyStream> {
  return new Promise((resolve, reject) =>
    conn.request({ method: 'POST', path: '/', headers }, (err, s) => (err ? reject(err) : resolve(s))),
  );
}

function collect(s: Readable): Promise<string> {
  return new Promise((resolve) => {
    let acc = '';
    s.on('data', (d: Buffer) => (acc += d.toString()));
    s.on('end', () => resolve(acc));
    s.on('error', () => resolve(acc));
  });
}

async function session() {
  const { sock, head } = await upgrade();
  expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
  expect(head).toMatch(/\r\nUpgrade: SPDY\/3\.1\r\n/);
  expect(head).toMatch(/\r\nX-Stream-Protocol-Version: portforward\.k8s\.io\r\n/);
  const conn = connectSpdy(sock);
  conn.on('error', () => undefined);
  return { sock, conn };
}

describe('parsePorts', () => {
  it('reads repeated and comma-separated port / ports parameters', () => {
    expect(parsePorts(new URLSearchParams('port=80&port=81,82'))).toEqual([80, 81, 82]);
    expect(parsePorts(new URLSearchParams('ports=8080,9090'))).toEqual([8080, 9090]);
  });
  it('rejects missing, empty, non-numeric and out-of-range ports in one line', () => {
    expect(() => parsePorts(new URLSearchParams(''))).toThrow('query parameter "port" is required');
    expect(() => parsePorts(new URLSearchParams('port='))).toThrow('cannot be empty');
    expect(() => parsePorts(new URLSearchParams('port=http'))).toThrow('unable to parse "http" as a port');
    expect(() => parsePorts(new URLSearchParams('port=0'))).toThrow('unable to parse "0" as a port');
    expect(() => parsePorts(new URLSearchParams('port=65536'))).toThrow('unable to parse "65536" as a port');
  });
});

describe('SPDY/3.1 port forwarding', () => {
  it('pipes each data stream to its own pod connection, paired with its error stream by request id', async () => {
    const { sock, conn } = await session();
    const pairs = await Promise.all(
      ['1', '2'].map(async (id) => {
        const err = await open(conn, { streamtype: 'error', port: String(echoPort), requestid: id });
        err.end();
        const data = await open(conn, { streamtype: 'data', port: String(echoPort), requestid: id });
        return { id, err: collect(err), data };
      }),
    );
    for (const p of pairs) {
      const got = collect(p.data);
      p.data.write(`ping ${p.id} `);
      p.data.end(`over ${p.id}`);
      // the echo server closes after our FIN: the data stream ends, the error stream stays empty
      expect(await got).toBe(`ping ${p.id} over ${p.id}`);
      expect(await p.err).toBe('');
    }
    sock.destroy();
  });

  it('writes a dial failure on the error stream in upstream words', async () => {
    const { sock, conn } = await session();
    const err = await open(conn, { streamtype: 'error', port: '1', requestid: '9' });
    err.end();
    const text = collect(err);
    const data = await open(conn, { streamtype: 'data', port: '1', requestid: '9' });
    const body = collect(data);
    expect(await text).toBe(
      'error forwarding port 1 to pod ns/p, uid u1: dial tcp 127.0.0.1:1: connect: connection refused',
    );
    expect(await body).toBe('');
    sock.destroy();
  });

  it('pairs streams of old clients without a request id by stream id (error N, data N+2)', async () => {
    const { sock, conn } = await session();
    const err = await open(conn, { streamtype: 'error', port: String(echoPort) });
    err.end();
    const data = await open(conn, { streamtype: 'data', port: String(echoPort) });
    const got = collect(data);
    data.end('legacy');
    expect(await got).toBe('legacy');
    expect(await collect(err)).toBe('');
    sock.destroy();
  });

  it('resets streams without a valid port or stream type', async () => {
    const { sock, conn } = await session();
    for (const headers of <Record<string, string>[]>[
      { streamtype: 'data', requestid: '1' },
      { streamtype: 'data', port: 'x', requestid: '1' },
      { streamtype: 'stdin', port: String(echoPort), requestid: '1' },
    ]) {
      const s = await open(conn, headers);
      const reset = await new Promise<boolean>((resolve) => {
        s.on('error', () => resolve(true));
        s.on('close', () => resolve(true));
        s.on('response', () => resolve(false));
        s.resume();
      });
      expect(reset).toBe(true);
    }
    sock.destroy();
  });

  it('refuses a client that speaks no protocol version we know (403)', async () => {
    const { sock, head } = await upgrade('X-Stream-Protocol-Version: v9.portforward.example\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    sock.destroy();
  });
});
