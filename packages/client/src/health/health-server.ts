/**
 * A component's health and metrics endpoints over node:http, as Kubernetes components serve
 * them (k8s.io/apiserver/pkg/server/healthz, k8s.io/component-base/metrics):
 * - `/healthz`, `/livez`: the checks (a `ping` check always passes first); `/readyz`: the checks
 *   plus the readiness checks. 200 `ok` when all pass; otherwise 500 with one `[+]name ok` /
 *   `[-]name failed: reason withheld` line per check and `<path> check failed`. `?verbose` lists
 *   the checks (with the failure's message) even when all pass; `?exclude=name` skips a check;
 *   `/readyz/<name>` runs one check.
 * - `/metrics`: the Prometheus text exposition of a registry (prom-client).
 * - `/version`: the version.Info JSON every Keelson component reports.
 * Plain HTTP (upstream serves these over HTTPS on the secure port; Keelson has no auth yet).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { buildInfoMetric, versionInfo } from '@keelson/api';

/** One named health check: resolves when healthy, throws (or rejects) with the reason otherwise. */
export interface HealthCheck {
  /** Name shown in `[+]name ok` lines and addressable as `/healthz/<name>` (e.g. "informer-sync"). */
  name: string;
  check(): void | Promise<void>;
}

/** Anything that renders Prometheus text: a prom-client Registry. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** What the health handler serves. */
export interface HealthHandlerOptions {
  /** Liveness checks: `/healthz`, `/livez` and `/readyz` run them. */
  checks?: HealthCheck[];
  /** Readiness-only checks, run by `/readyz` after {@link checks} (e.g. informers synced). */
  readyChecks?: HealthCheck[];
  /** Served at `/metrics`; without it `/metrics` is 404. */
  registry?: MetricsSource;
  /** Serve `/version` (default true). */
  version?: boolean;
}

/** Options of {@link serveHealth}. */
export interface HealthServerOptions extends HealthHandlerOptions {
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** TCP port; 0 picks a free one. */
  port: number;
}

/** A running health server. */
export interface HealthServer {
  /** The bound port. */
  readonly port: number;
  /** "http://host:port". */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const ping: HealthCheck = { name: 'ping', check: () => undefined };

async function runChecks(
  checks: HealthCheck[],
  excluded: Set<string>,
): Promise<Array<{ name: string; error?: string }>> {
  return Promise.all(
    checks
      .filter((c) => !excluded.has(c.name))
      .map(async (c) => {
        try {
          await c.check();
          return { name: c.name };
        } catch (err) {
          return { name: c.name, error: err instanceof Error ? err.message : String(err) };
        }
      }),
  );
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * A request handler for the health, metrics and version paths, to mount on an existing server
 * (e.g. the kubelet's). Returns false, without answering, for any other path.
 */
export function healthHandler(
  opts: HealthHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const live = [ping, ...(opts.checks ?? [])];
  const ready = [...live, ...(opts.readyChecks ?? [])];
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!/^\/(healthz|livez|readyz|metrics|version)(\/|$)/.test(path)) return false;
      text(res, 405, 'method not allowed\n');
      return true;
    }
    const m = /^\/(healthz|livez|readyz)(?:\/(.+))?$/.exec(path);
    if (m) {
      const kind = m[1];
      const checks = kind === 'readyz' ? ready : live;
      if (m[2]) {
        const one = checks.find((c) => c.name === m[2]);
        if (!one) {
          text(res, 404, '404 page not found\n');
          return true;
        }
        void runChecks([one], new Set()).then(([r]) =>
          r.error ? text(res, 500, `internal server error: ${r.error}\n`) : text(res, 200, 'ok'),
        );
        return true;
      }
      const excluded = new Set(url.searchParams.getAll('exclude'));
      const verbose = url.searchParams.has('verbose');
      void runChecks(checks, excluded).then((results) => {
        const failed = results.some((r) => r.error !== undefined);
        if (!failed && !verbose) return text(res, 200, 'ok');
        const lines = results.map((r) =>
          r.error === undefined
            ? `[+]${r.name} ok`
            : `[-]${r.name} failed: ${verbose ? r.error : 'reason withheld'}`,
        );
        for (const name of excluded) lines.push(`[+]${name} excluded: ok`);
        lines.push(`${kind} check ${failed ? 'failed' : 'passed'}`);
        text(res, failed ? 500 : 200, `${lines.join('\n')}\n`);
      });
      return true;
    }
    if (path === '/metrics' && opts.registry) {
      const registry = opts.registry;
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(body);
        },
        (err: Error) => text(res, 500, `metrics: ${err.message}\n`),
      );
      return true;
    }
    if (path === '/version' && opts.version !== false) {
      const body = JSON.stringify(versionInfo(), null, 2);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    }
    return false;
  };
}

/**
 * Serves {@link healthHandler} on its own port (other paths: 404).
 * @throws the listen error (EADDRINUSE, EADDRNOTAVAIL, EACCES)
 */
export async function serveHealth(opts: HealthServerOptions): Promise<HealthServer> {
  const host = opts.host ?? '127.0.0.1';
  const handle = healthHandler(opts);
  const server = createServer((req, res) => {
    if (!handle(req, res)) text(res, 404, '404 page not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A component's own prom-client Registry, holding what every Kubernetes component exposes: the
 * default process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
 * `nodejs_*`) and `kubernetes_build_info{git_version,...} 1` (component-base/metrics).
 */
export function createMetricsRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const info = buildInfoMetric();
  new Gauge({
    name: info.name,
    help: info.help,
    labelNames: Object.keys(info.labels),
    registers: [registry],
  }).set(info.labels, 1);
  return registry;
}
