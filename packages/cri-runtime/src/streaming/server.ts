import { createServer, IncomingMessage, Server } from 'node:http';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import type { KeelsonRuntime } from '../runtime';

/** Stream channel numbers (the Kubernetes `v4.channel.k8s.io` websocket framing). */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

/** The websocket subprotocols accepted. */
export const STREAM_PROTOCOLS = ['v4.channel.k8s.io', 'channel.k8s.io'];

/** A pending Exec or Attach session, registered by the CRI call and redeemed by one websocket. */
export interface StreamRequest {
  kind: 'exec' | 'attach' | 'portforward';
  /** Container for exec/attach; the pod sandbox id for portforward. */
  containerId: string;
  /** TCP ports to forward (portforward only). */
  ports?: number[];
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/**
 * The streaming server behind CRI Exec and Attach. Protocol (documented in the package README):
 * the URL a CRI call answers (`http://<addr>/exec/<token>` or `/attach/<token>`, single use,
 * valid 60 s) is opened as a WebSocket, subprotocol `v4.channel.k8s.io`. Every binary message
 * starts with a channel byte: 0 stdin (client → server; an empty payload closes stdin),
 * 1 stdout, 2 stderr, 3 status (server → client, last message: a Kubernetes `Status` JSON,
 * `{"status":"Success"}` or `{"status":"Failure","reason":"NonZeroExitCode","details":
 * {"causes":[{"reason":"ExitCode","message":"<n>"}]}}`), 4 resize (accepted, ignored). Then the
 * server closes the socket. Exec with `tty` runs `<oci runtime> exec --tty` under util-linux
 * `script` (a pseudo-terminal relayed over the pipes: stdout carries the terminal, no resize).
 * Attach streams the container's output from its log file from the moment of attaching; stdin
 * (channel 0) goes to the container's stdin when it was created with `stdin: true` (an empty
 * stdin message closes it for `stdin_once` containers).
 */
export class StreamingServer {
  private readonly pending = new Map<string, { req: StreamRequest; expires: number }>();
  private http?: Server;
  private wss?: WebSocketServer;
  /** `http://host:port` once listening. */
  url = '';

  constructor(private readonly rt: KeelsonRuntime) {}

  /** Binds `host:port` (port 0: any free port). */
  async listen(address: string): Promise<void> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i) || '127.0.0.1';
    const port = Number(address.slice(i + 1) || 0);
    this.http = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('use a websocket (subprotocol v4.channel.k8s.io)\n');
    });
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols) => STREAM_PROTOCOLS.find((p) => protocols.has(p)) ?? false,
    });
    this.http.on('upgrade', (req: IncomingMessage, socket, head) => {
      const m = /^\/(exec|attach|portforward)\/([a-f0-9]+)$/.exec((req.url ?? '').split('?')[0]);
      const p = m ? this.pending.get(m[2]) : undefined;
      if (!m || !p || p.expires < Date.now() || p.req.kind !== m[1]) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      this.pending.delete(m[2]);
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.serve(ws, p.req));
    });
    await new Promise<void>((resolve) => this.http!.listen(port, host, resolve));
    const a = this.http.address() as AddressInfo;
    this.url = `http://${host}:${a.port}`;
  }

  /** Registers a session and returns its URL. */
  register(req: StreamRequest): string {
    const token = randomBytes(16).toString('hex');
    const t = Date.now();
    for (const [k, v] of this.pending) if (v.expires < t) this.pending.delete(k);
    this.pending.set(token, { req, expires: t + 60_000 });
    return `${this.url}/${req.kind}/${token}`;
  }

  private send(ws: WebSocket, channel: number, data: Buffer | string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    ws.send(Buffer.concat([Buffer.from([channel]), payload]));
  }

  private finish(ws: WebSocket, exitCode: number | null, error?: string): void {
    const status =
      error !== undefined
        ? { metadata: {}, status: 'Failure', message: error, reason: 'InternalError' }
        : exitCode === 0
          ? { metadata: {}, status: 'Success' }
          : {
              metadata: {},
              status: 'Failure',
              message: `command terminated with non-zero exit code: ${exitCode}`,
              reason: 'NonZeroExitCode',
              details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
            };
    this.send(ws, Channel.error, JSON.stringify(status));
    ws.close(1000);
  }

  private serve(ws: WebSocket, req: StreamRequest): void {
    if (req.kind === 'exec') this.serveExec(ws, req);
    else if (req.kind === 'portforward') this.servePortForward(ws, req);
    else this.serveAttach(ws, req);
  }

  /**
   * Port forwarding (the Kubernetes websocket port-forward framing): for the i-th requested port,
   * channel 2i carries data and 2i+1 errors; the server first sends the port (uint16, little
   * endian) on both. Each port gets one TCP connection to 127.0.0.1:<port> inside the pod's
   * network namespace (`nsenter --net=<netns> busybox nc`), or on the host for host-network pods.
   * The socket closes when every connection has ended.
   */
  private servePortForward(ws: WebSocket, req: StreamRequest): void {
    let netns: string | undefined;
    try {
      netns = this.rt.portForwardTarget(req.containerId);
    } catch (e) {
      this.finish(ws, null, (e as Error).message);
      return;
    }
    const ports = req.ports ?? [];
    let open = ports.length;
    const streams: Array<{ write(b: Buffer): void; end(): void }> = [];
    ports.forEach((port, i) => {
      const head = Buffer.alloc(2);
      head.writeUInt16LE(port);
      this.send(ws, 2 * i, head);
      this.send(ws, 2 * i + 1, head);
      const done = (err?: string) => {
        if (err) this.send(ws, 2 * i + 1, err);
        if (--open === 0) ws.close(1000);
      };
      if (!netns) {
        const sock = connect(port, '127.0.0.1');
        sock.on('data', (d: Buffer) => this.send(ws, 2 * i, d));
        sock.on('error', (e) => done(`port ${port}: ${e.message}`));
        sock.on('end', () => done());
        streams[i] = { write: (b) => sock.write(b), end: () => sock.end() };
      } else {
        const nc = spawn('nsenter', [`--net=${netns}`, '/bin/busybox', 'nc', '127.0.0.1', String(port)], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let errText = '';
        nc.stdout.on('data', (d: Buffer) => this.send(ws, 2 * i, d));
        nc.stderr.on('data', (d: Buffer) => (errText += d.toString()));
        nc.stdin.on('error', () => undefined);
        nc.on('error', (e) => done(`port ${port}: ${e.message}`));
        nc.on('close', (code) =>
          done(code ? `port ${port}: ${errText.trim() || `nc exited ${code}`}` : undefined),
        );
        streams[i] = { write: (b) => nc.stdin.write(b), end: () => nc.stdin.end() };
        ws.on('close', () => nc.kill('SIGKILL'));
      }
    });
    ws.on('message', (data: Buffer) => {
      if (!data.length || data[0] % 2 !== 0) return;
      const s = streams[data[0] / 2];
      if (!s) return;
      if (data.length === 1) s.end();
      else s.write(data.subarray(1));
    });
    if (!ports.length) this.finish(ws, null, 'no ports requested');
  }

  private serveExec(ws: WebSocket, req: StreamRequest): void {
    let argv: string[];
    try {
      argv = this.rt.execCommand(req.containerId, req.cmd, req.tty);
    } catch (e) {
      this.finish(ws, null, (e as Error).message);
      return;
    }
    if (req.tty) {
      // `<oci runtime> exec --tty` needs a terminal of its own: util-linux `script` gives it one
      // and relays it over our pipes (-e: exit with the command's status).
      const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
      argv = ['script', '-q', '-e', '-c', argv.map(quote).join(' '), '/dev/null'];
    }
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => req.stdout && this.send(ws, Channel.stdout, d));
    child.stderr.on('data', (d: Buffer) => req.stderr && this.send(ws, Channel.stderr, d));
    child.stdin.on('error', () => undefined);
    if (!req.stdin) child.stdin.end();
    ws.on('message', (data: Buffer) => {
      if (!data.length) return;
      if (data[0] === Channel.stdin && req.stdin) {
        if (data.length === 1) child.stdin.end();
        else child.stdin.write(data.subarray(1));
      }
    });
    ws.on('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', (e) => this.finish(ws, null, e.message));
    child.on('close', (code, signal) => this.finish(ws, code ?? (signal ? 137 : 1)));
  }

  private serveAttach(ws: WebSocket, req: StreamRequest): void {
    let logPath: string;
    let stdinSocket: string | undefined;
    try {
      ({ logPath, stdinSocket } = this.rt.attachTarget(req.containerId));
    } catch (e) {
      this.finish(ws, null, (e as Error).message);
      return;
    }
    if (req.stdin && stdinSocket) {
      const sock = connect(stdinSocket);
      sock.on('error', () => undefined);
      ws.on('message', (data: Buffer) => {
        if (!data.length || data[0] !== Channel.stdin) return;
        if (data.length === 1) sock.end();
        else sock.write(data.subarray(1));
      });
      ws.on('close', () => sock.end());
    }
    let offset = 0;
    try {
      offset = statSync(logPath).size;
    } catch {
      /* not yet written */
    }
    let partial = '';
    const pump = () => {
      let fd: number;
      try {
        fd = openSync(logPath, 'r');
      } catch {
        return;
      }
      try {
        const buf = Buffer.alloc(64 * 1024);
        for (;;) {
          const n = readSync(fd, buf, 0, buf.length, offset);
          if (n <= 0) break;
          offset += n;
          partial += buf.subarray(0, n).toString();
        }
      } finally {
        closeSync(fd);
      }
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^\S+ (stdout|stderr) ([FP]) (.*)$/s.exec(line);
        if (!m) continue;
        const text = m[3] + (m[2] === 'F' ? '\n' : '');
        if (m[1] === 'stdout' && req.stdout) this.send(ws, Channel.stdout, text);
        if (m[1] === 'stderr' && req.stderr) this.send(ws, Channel.stderr, text);
      }
    };
    const timer = setInterval(() => {
      pump();
      if (!this.rt.isRunning(req.containerId)) {
        clearInterval(timer);
        pump();
        this.finish(ws, 0);
      }
    }, 100);
    ws.on('close', () => clearInterval(timer));
  }

  /** Stops listening and closes open sessions. */
  async close(): Promise<void> {
    for (const c of this.wss?.clients ?? []) c.terminate();
    this.wss?.close();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
  }
}
