/**
 * One-shot probe and hook handlers: exec (CRI ExecSync), httpGet, tcpSocket and grpc
 * (grpc.health.v1.Health/Check), as the kubelet's pkg/probe runs them. A probe never throws;
 * it resolves with a result and a message.
 */
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container, HTTPGetAction, IntOrString, Probe } from '@keelson/api';
import type { CriRuntime } from '../cri/runtime';

/** Outcome of one probe run. */
export type ProbeResult = 'success' | 'failure' | 'unknown';

/** A probe outcome with the reason, for events and logs. */
export interface ProbeOutcome {
  result: ProbeResult;
  message: string;
}

/** Where a probe runs: the pod's IP and the container's runtime id. */
export interface ProbeTarget {
  podIp: string;
  containerId: string;
  container: Container;
}

/** Resolves a port number or a named container port; throws when the name is unknown. */
export function resolvePort(port: IntOrString, c: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = (c.ports ?? []).find((x) => x.name === port);
  if (!p) throw new Error(`couldn't find port ${port} in container ${c.name}`);
  return p.containerPort;
}

/** Upstream probe User-Agent. */
export const PROBE_USER_AGENT = 'kube-probe/1.32';

/** HTTP GET; success for status 200–399 (redirects are not followed). */
export function httpProbe(
  action: HTTPGetAction,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const scheme = (action.scheme ?? 'HTTP').toUpperCase();
    const lib = scheme === 'HTTPS' ? https : http;
    const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
    for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
    let done = false;
    const finish = (o: ProbeOutcome) => {
      if (!done) {
        done = true;
        resolve(o);
      }
    };
    const req = lib.request(
      {
        host,
        port,
        path: action.path || '/',
        method: 'GET',
        headers,
        timeout: timeoutMs,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        res.on('end', () => undefined);
        if (code >= 200 && code < 400)
          finish({ result: 'success', message: `HTTP probe succeeded with statuscode: ${code}` });
        else finish({ result: 'failure', message: `HTTP probe failed with statuscode: ${code}` });
        req.destroy();
      },
    );
    const timer = setTimeout(() => {
      finish({
        result: 'failure',
        message: `Get "${scheme.toLowerCase()}://${host}:${port}${action.path || '/'}": context deadline exceeded`,
      });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) =>
      finish({
        result: 'failure',
        message: `Get "${scheme.toLowerCase()}://${host}:${port}${action.path || '/'}": ${e.message}`,
      }),
    );
    req.on('close', () => clearTimeout(timer));
    req.end();
  });
}

/** TCP connect; success when the connection opens within the timeout. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ result: 'failure', message: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ result: 'success', message: '' });
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      resolve({ result: 'failure', message: `dial tcp ${host}:${port}: ${e.message}` });
    });
  });
}

/** Encodes grpc.health.v1.HealthCheckRequest { string service = 1; }. */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (!service) return Buffer.alloc(0);
  const s = Buffer.from(service, 'utf8');
  const len: number[] = [];
  let n = s.length;
  while (n > 0x7f) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0x0a, ...len]), s]);
}

/** Decodes grpc.health.v1.HealthCheckResponse { ServingStatus status = 1; } → status number (1 = SERVING). */
export function decodeHealthCheckResponse(b: Buffer): number {
  let i = 0;
  let status = 0;
  while (i < b.length) {
    const tag = b[i++]!;
    const field = tag >> 3;
    const wire = tag & 7;
    if (wire === 0) {
      let v = 0;
      let shift = 0;
      for (;;) {
        const byte = b[i++]!;
        v |= (byte & 0x7f) << shift;
        if (!(byte & 0x80)) break;
        shift += 7;
      }
      if (field === 1) status = v;
    } else if (wire === 2) {
      let l = 0;
      let shift = 0;
      for (;;) {
        const byte = b[i++]!;
        l |= (byte & 0x7f) << shift;
        if (!(byte & 0x80)) break;
        shift += 7;
      }
      i += l;
    } else break;
  }
  return status;
}

/** grpc.health.v1.Health/Check; success when the answer is SERVING. */
export function grpcProbe(
  host: string,
  port: number,
  service: string,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const client = new Client(`${host}:${port}`, credentials.createInsecure());
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (x: Buffer) => x,
      (x: Buffer) => x,
      encodeHealthCheckRequest(service),
      { deadline: new Date(Date.now() + timeoutMs) },
      (err: ServiceError | null, res?: Buffer) => {
        client.close();
        if (err) {
          resolve({
            result: 'failure',
            message: `timeout: failed to connect service "${host}:${port}" within ${timeoutMs / 1000}s: ${err.details}`,
          });
          return;
        }
        const st = decodeHealthCheckResponse(res ?? Buffer.alloc(0));
        if (st === 1) resolve({ result: 'success', message: '' });
        else
          resolve({
            result: 'failure',
            message: `service unhealthy (responded with "${['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][st] ?? st}")`,
          });
      },
    );
  });
}

/** Runs a handler of any kind against the target. Never throws. */
export async function runProbe(cri: CriRuntime, p: Probe, t: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutS = p.timeoutSeconds ?? 1;
  const timeoutMs = timeoutS * 1000;
  try {
    if (p.exec) {
      const res = await cri.execSync(t.containerId, p.exec.command ?? [], timeoutS);
      const out = Buffer.concat([res.stdout ?? Buffer.alloc(0), res.stderr ?? Buffer.alloc(0)]).toString(
        'utf8',
      );
      return res.exitCode === 0
        ? { result: 'success', message: out }
        : { result: 'failure', message: out || `command exited with ${res.exitCode}` };
    }
    if (p.httpGet) {
      return await httpProbe(
        p.httpGet,
        p.httpGet.host || t.podIp,
        resolvePort(p.httpGet.port, t.container),
        timeoutMs,
      );
    }
    if (p.tcpSocket) {
      return await tcpProbe(
        p.tcpSocket.host || t.podIp,
        resolvePort(p.tcpSocket.port, t.container),
        timeoutMs,
      );
    }
    if (p.grpc) {
      return await grpcProbe(t.podIp, p.grpc.port, p.grpc.service ?? '', timeoutMs);
    }
    return { result: 'unknown', message: 'missing probe handler' };
  } catch (e) {
    const msg = (e as Error).message;
    // exec timeout / exec errors count as failure (upstream treats a timed-out exec probe as failed)
    return { result: 'failure', message: msg };
  }
}
