/**
 * The kubelet HTTP server (plain HTTP) the apiserver proxies to: /healthz, /metrics, /pods,
 * /containerLogs/<ns>/<pod>/<container>, /exec/<ns>/<pod>/<container> (WebSocket, Kubernetes
 * channel protocol v5/v4/v1) and /portForward/<ns>/<pod>[/<uid>] (SPDY/3.1, SPDY tunnelled over
 * WebSocket, or the WebSocket channel framing; see port-forward.ts). Exec relays to the
 * runtime's CRI Exec streaming URL (v4 channel protocol); when the runtime cannot stream it
 * falls back to ExecSync (no stdin, no tty). Port forwarding asks CRI PortForward for every
 * forwarded connection and relays it to the runtime's streaming URL.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import type { Pod } from '@keelson/api';
import type { PodStatus } from '@keelson/api';
import type { CriRuntime } from '../cri/runtime';
import type { Logger } from '../util/log';
import type { RuntimeContainer, RuntimePodState } from '../pod/runtime-state';
import {
  CLOSE,
  ERROR,
  RESIZE,
  STDERR,
  STDIN,
  STDOUT,
  decodeFrame,
  encodeFrame,
  errorPayload,
  errorStatus,
  exitStatus,
  negotiateProtocol,
} from './channel';
import { followLog, renderLogs, type LogOptions } from './logs';
import { openRuntimePortForward, servePortForward } from './port-forward';

function truthy(v: string | null): boolean {
  return v === '1' || v === 'true' || v === 'True';
}

/** What the HTTP server needs from the kubelet. */
export interface KubeletView {
  /** The node's pods by uid. */
  readonly pods: Map<string, Pod>;
  readonly cri: CriRuntime;
  readonly log: Logger;
  /** The latest computed status of a pod. */
  statusOf(uid: string): PodStatus | undefined;
  findPod(namespace: string, name: string): Pod | undefined;
  runtimeState(uid: string): Promise<RuntimePodState>;
  /** Directory holding the pod's container logs. */
  podLogDir(pod: Pod): string;
}

/** Kubelet HTTP API. */
export class KubeletServer {
  private http?: Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (p) => negotiateProtocol(p),
  });
  /** Port forwarding's WebSocket server (its own subprotocols; chosen in port-forward.ts). */
  private readonly pfWss = new WebSocketServer({
    noServer: true,
    handleProtocols: (p) => [...p][0] ?? false,
  });
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly k: KubeletView,
    private readonly address: string,
    private readonly wantPort: number,
    /** Serves /healthz, /metrics and friends (@keelson/client healthHandler); false for other paths. */
    private readonly health?: (req: IncomingMessage, res: ServerResponse) => boolean,
  ) {}

  /** Starts listening; resolves with the port. */
  async listen(): Promise<number> {
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${(e as Error).message}\n`);
      });
    });
    this.http.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.wantPort, this.address, () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    return this.port;
  }

  /** Stops the server and drops open connections. */
  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    for (const c of this.pfWss.clients) c.terminate();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r()));
  }

  private text(res: ServerResponse, code: number, body: string) {
    res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body.endsWith('\n') ? body : `${body}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (this.health?.(req, res)) return;
    if (url.pathname === '/healthz') return this.text(res, 200, 'ok');
    if (url.pathname === '/pods' || url.pathname === '/pods/') {
      const items = [...this.k.pods.values()].map((p) => ({
        ...p,
        status: this.k.statusOf(p.metadata.uid!) ?? p.status,
      }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items }));
      return;
    }
    if (parts[0] === 'containerLogs' && parts.length >= 3)
      return this.logs(req, res, url, parts[1]!, parts[2]!, parts[3]);
    if (parts[0] === 'portForward')
      return this.text(
        res,
        400,
        'Upgrade request required (SPDY/3.1 with X-Stream-Protocol-Version portforward.k8s.io, or WebSocket)',
      );
    if (parts[0] === 'exec')
      return this.text(
        res,
        400,
        'Upgrade request required (WebSocket, subprotocol v5.channel.k8s.io or v4.channel.k8s.io)',
      );
    return this.text(res, 404, `404 page not found`);
  }

  private resolveContainer(pod: Pod, name: string | undefined): string | undefined {
    const names = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((c) => c.name);
    if (!name) return pod.spec?.containers.length === 1 ? pod.spec.containers[0]!.name : undefined;
    return names.includes(name) ? name : undefined;
  }

  private logPathOf(pod: Pod, c: RuntimeContainer): string {
    if (c.logPath && isAbsolute(c.logPath)) return c.logPath;
    return join(this.k.podLogDir(pod), c.logPath || `${c.name}/${c.restartCount}.log`);
  }

  private async logs(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    ns: string,
    podName: string,
    cname?: string,
  ) {
    const pod = this.k.findPod(ns, podName);
    if (!pod) return this.text(res, 404, `pod "${podName}" not found in namespace "${ns}"`);
    const name = this.resolveContainer(pod, cname);
    if (!name) {
      const all = pod.spec?.containers.map((c) => c.name).join(' ');
      return this.text(
        res,
        400,
        cname
          ? `container ${cname} is not valid for pod ${podName}`
          : `a container name must be specified for pod ${podName}, choose one of: [${all}]`,
      );
    }
    const state = await this.k.runtimeState(pod.metadata.uid!);
    const xs = state.containers.filter((c) => c.name === name);
    const previous = truthy(url.searchParams.get('previous'));
    const target = previous ? xs[1] : xs[0];
    if (!target) {
      if (previous)
        return this.text(res, 400, `previous terminated container "${name}" in pod "${podName}" not found`);
      return this.text(
        res,
        400,
        `container "${name}" in pod "${podName}" is waiting to start: ContainerCreating`,
      );
    }
    const o: LogOptions = { timestamps: truthy(url.searchParams.get('timestamps')) };
    const tail = url.searchParams.get('tailLines');
    if (tail !== null) o.tailLines = Number(tail);
    const since = url.searchParams.get('sinceSeconds');
    if (since !== null) o.sinceMs = Date.now() - Number(since) * 1000;
    const sinceTime = url.searchParams.get('sinceTime');
    if (sinceTime) o.sinceMs = Date.parse(sinceTime);
    const limit = url.searchParams.get('limitBytes');
    if (limit !== null) o.limitBytes = Number(limit);
    const path = this.logPathOf(pod, target);
    const text = await readFile(path, 'utf8').catch(() => '');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'transfer-encoding': 'chunked' });
    res.write(renderLogs(text, o));
    if (!truthy(url.searchParams.get('follow')) || previous || o.limitBytes !== undefined) {
      res.end();
      return;
    }
    const ac = new AbortController();
    req.on('close', () => ac.abort());
    const size = Buffer.byteLength(text);
    await followLog(
      path,
      size,
      o,
      (s) => res.write(s),
      async () => {
        try {
          const st = await this.k.cri.containerStatus(target.id);
          return st.state !== 1; // not CONTAINER_RUNNING
        } catch {
          return true;
        }
      },
      ac.signal,
    );
    res.end();
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer) {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const reject = (code: number, msg: string) => {
      socket.end(
        `HTTP/1.1 ${code} ${code === 404 ? 'Not Found' : 'Bad Request'}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${msg}\n`,
      );
    };
    if (parts[0] === 'portForward') {
      if (parts.length < 3) return reject(404, '404 page not found');
      const pod = this.k.findPod(parts[1]!, parts[2]!);
      if (!pod || (parts[3] && parts[3] !== pod.metadata.uid))
        return reject(404, `pod "${parts[2]}" not found in namespace "${parts[1]}"`);
      return servePortForward(req, socket, head, this.pfWss, {
        dial: (port) => this.dialPod(pod, port),
        describe: `pod ${parts[1]}/${parts[2]}, uid ${pod.metadata.uid}`,
        log: this.k.log,
      });
    }
    if ((parts[0] !== 'exec' && parts[0] !== 'attach') || parts.length < 3)
      return reject(404, '404 page not found');
    const attach = parts[0] === 'attach';
    const pod = this.k.findPod(parts[1]!, parts[2]!);
    if (!pod) return reject(404, `pod "${parts[2]}" not found`);
    const name = this.resolveContainer(pod, parts[3]);
    if (!name) return reject(400, `container ${parts[3] ?? ''} is not valid for pod ${parts[2]}`);
    const cmd = url.searchParams.getAll('command');
    if (!attach && cmd.length === 0) return reject(400, 'you must specify at least 1 command');
    const opts = {
      stdin: truthy(url.searchParams.get('stdin') ?? url.searchParams.get('input')),
      stdout: truthy(url.searchParams.get('stdout') ?? url.searchParams.get('output')),
      stderr: truthy(url.searchParams.get('stderr') ?? url.searchParams.get('error')),
      tty: truthy(url.searchParams.get('tty')),
    };
    if (!req.headers['sec-websocket-protocol']) req.headers['sec-websocket-protocol'] = 'channel.k8s.io';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.exec(ws, pod, name, attach ? undefined : cmd, opts).catch((e) => {
        this.k.log.warn({ err: (e as Error).message }, 'exec failed');
        ws.close();
      });
    });
  }

  /** One connection to `port` in the pod's network namespace: CRI PortForward, then its streaming URL. */
  private async dialPod(pod: Pod, port: number) {
    const state = await this.k.runtimeState(pod.metadata.uid!);
    const sandbox = state.sandboxes.find((s) => s.ready);
    if (!sandbox) throw new Error(`pod sandbox of ${pod.metadata.name} is not ready`);
    const url = await this.k.cri.portForward(sandbox.id, [port]);
    return openRuntimePortForward(url, port);
  }

  private async exec(
    ws: WebSocket,
    pod: Pod,
    name: string,
    cmd: string[] | undefined,
    o: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean },
  ) {
    const protocol = ws.protocol || 'channel.k8s.io';
    // buffer client frames (stdin may arrive at once) until the relay is connected
    const early: Buffer[] = [];
    const buffer = (data: Buffer) => early.push(Buffer.from(data));
    ws.on('message', buffer);
    const send = (ch: number, data: Buffer | string) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeFrame(protocol, ch, data));
    };
    const finish = (status: ReturnType<typeof exitStatus>) => {
      send(ERROR, errorPayload(protocol, status));
      ws.close(1000);
    };
    const state = await this.k.runtimeState(pod.metadata.uid!);
    const c = state.containers.find((x) => x.name === name);
    if (!c || c.state !== 'running') {
      send(o.stdout ? STDOUT : o.stderr ? STDERR : ERROR, '');
      return finish(errorStatus(`container ${name} is not running`));
    }
    let url: string | undefined;
    try {
      this.k.log.debug({ cmd, ...o }, cmd ? 'exec' : 'attach');
      const streams = {
        tty: o.tty,
        stdin: o.stdin,
        stdout: o.stdout,
        stderr: o.stdout && o.tty ? false : o.stderr,
      };
      url = cmd
        ? await this.k.cri.exec({ containerId: c.id, cmd, ...streams })
        : await this.k.cri.attach({ containerId: c.id, ...streams });
    } catch (e) {
      this.k.log.debug({ err: (e as Error).message }, 'CRI streaming unavailable');
      if (!cmd) {
        ws.off('message', buffer);
        send(o.stdout ? STDOUT : o.stderr ? STDERR : ERROR, '');
        return finish(errorStatus(`attach: ${(e as Error).message}`));
      }
    }
    if (url) {
      ws.off('message', buffer);
      return this.relay(ws, protocol, url, early);
    }
    ws.off('message', buffer);
    if (!cmd) return;
    // Fallback: ExecSync (no stdin, no tty).
    send(o.stdout ? STDOUT : o.stderr ? STDERR : ERROR, '');
    try {
      const r = await this.k.cri.execSync(c.id, cmd, 0);
      if (o.stdout && r.stdout?.length) send(STDOUT, Buffer.from(r.stdout));
      if (o.stderr && r.stderr?.length) send(o.tty ? STDOUT : STDERR, Buffer.from(r.stderr));
      finish(exitStatus(r.exitCode, cmd));
    } catch (e) {
      finish(errorStatus((e as Error).message));
    }
  }

  /** Relays frames between the client and the runtime's streaming URL (v4 channel protocol upstream). */
  private relay(client: WebSocket, protocol: string, url: string, early: Buffer[]): Promise<void> {
    return new Promise((resolve) => {
      const target = url.replace(/^http/, 'ws');
      const up = new WebSocket(target, ['v4.channel.k8s.io', 'channel.k8s.io']);
      const pendingToUp: Buffer[] = [];
      const upProtocol = () => up.protocol || 'v4.channel.k8s.io';
      const toUp = (b: Buffer) => {
        if (up.readyState === WebSocket.OPEN) up.send(b);
        else pendingToUp.push(b);
      };
      up.on('open', () => {
        for (const b of pendingToUp.splice(0)) up.send(b);
      });
      up.on('message', (data: Buffer, isBinary: boolean) => {
        const f = decodeFrame(upProtocol(), isBinary ? data : Buffer.from(data));
        if (!f) return;
        if (f.channel === ERROR) {
          let payload: string = f.data.toString('utf8');
          if (!(protocol.startsWith('v4.') || protocol.startsWith('v5.'))) {
            try {
              const st = JSON.parse(payload) as { status?: string; message?: string };
              payload = st.status === 'Success' ? '' : (st.message ?? payload);
            } catch {
              /* already text */
            }
          }
          if (client.readyState === WebSocket.OPEN) client.send(encodeFrame(protocol, ERROR, payload));
          return;
        }
        if (client.readyState === WebSocket.OPEN) client.send(encodeFrame(protocol, f.channel, f.data));
      });
      const fromClient = (data: Buffer) => {
        const f = decodeFrame(protocol, data);
        if (!f) return;
        if (f.channel === CLOSE) {
          // v5 half-close of stdin → the v4 runtime convention: an empty stdin frame
          if (f.data[0] === STDIN) toUp(Buffer.from([STDIN]));
          return;
        }
        if (f.channel === STDIN || f.channel === RESIZE)
          toUp(Buffer.concat([Buffer.from([f.channel]), f.data]));
      };
      for (const b of early) fromClient(b);
      client.on('message', (data: Buffer) => fromClient(Buffer.from(data)));
      const done = () => {
        if (client.readyState === WebSocket.OPEN) client.close(1000);
        if (up.readyState === WebSocket.OPEN || up.readyState === WebSocket.CONNECTING) up.close();
        resolve();
      };
      up.on('close', done);
      up.on('error', (e) => {
        if (client.readyState === WebSocket.OPEN)
          client.send(
            encodeFrame(protocol, ERROR, errorPayload(protocol, errorStatus(`streaming: ${e.message}`))),
          );
        done();
      });
      client.on('close', done);
    });
  }
}
