import { Counter } from 'prom-client';
import { createMetricsRegistry, serveHealth, type HealthServer } from './health-server';
import { RateLimitingQueue } from '../workqueue/rate-limiting-queue';
import { registerWorkqueueMetrics } from '../workqueue/workqueue-metrics';

/** Parses Prometheus text exposition into `name{labels}` → value (comments skipped). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe('serveHealth', () => {
  let server: HealthServer;
  let synced = false;
  const registry = createMetricsRegistry();
  const attempts = new Counter({
    name: 'test_attempts_total',
    help: 'attempts',
    labelNames: ['result'],
    registers: [registry],
  });

  beforeAll(async () => {
    server = await serveHealth({
      port: 0,
      registry,
      checks: [{ name: 'log', check: () => undefined }],
      readyChecks: [
        {
          name: 'informer-sync',
          check: () => {
            if (!synced) throw new Error('informers not synced');
          },
        },
      ],
    });
  });
  afterAll(() => server.close());

  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`);
    return { code: res.status, body: await res.text(), type: res.headers.get('content-type') };
  };

  it('answers /healthz and /livez ok while a readiness check fails', async () => {
    synced = false;
    expect(await get('/healthz')).toMatchObject({ code: 200, body: 'ok' });
    expect(await get('/livez')).toMatchObject({ code: 200, body: 'ok' });
  });

  it('fails /readyz with one line per check while a readiness check fails', async () => {
    synced = false;
    const r = await get('/readyz');
    expect(r.code).toBe(500);
    expect(r.body).toBe(
      '[+]ping ok\n[+]log ok\n[-]informer-sync failed: reason withheld\nreadyz check failed\n',
    );
    const v = await get('/readyz?verbose');
    expect(v.body).toContain('[-]informer-sync failed: informers not synced');
    expect((await get('/readyz/informer-sync')).code).toBe(500);
    expect((await get('/readyz?exclude=informer-sync')).code).toBe(200);
  });

  it('passes /readyz once the check passes; ?verbose lists the checks', async () => {
    synced = true;
    expect(await get('/readyz')).toMatchObject({ code: 200, body: 'ok' });
    expect((await get('/readyz?verbose')).body).toBe(
      '[+]ping ok\n[+]log ok\n[+]informer-sync ok\nreadyz check passed\n',
    );
    expect((await get('/readyz/nope')).code).toBe(404);
  });

  it('serves parseable metrics with process metrics, build info and the component metrics', async () => {
    attempts.inc({ result: 'scheduled' }, 3);
    const r = await get('/metrics');
    expect(r.code).toBe(200);
    expect(r.type).toContain('text/plain');
    const m = parseMetrics(r.body);
    expect(m.get('test_attempts_total{result="scheduled"}')).toBe(3);
    expect(m.get('process_cpu_seconds_total')).toBeGreaterThan(0);
    const build = [...m.keys()].find((k) => k.startsWith('kubernetes_build_info{'));
    expect(build).toContain('git_version="v1.32.0-keelson"');
  });

  it('serves /version and 404 elsewhere', async () => {
    const v = await get('/version');
    expect(JSON.parse(v.body)).toMatchObject({ major: '1', minor: '32' });
    expect((await get('/nope')).code).toBe(404);
  });

  it('rejects with the listen error when the port is taken', async () => {
    await expect(serveHealth({ port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('registerWorkqueueMetrics', () => {
  it('reports depth, adds and retries of the queues at scrape time', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const queue = new RateLimitingQueue<string>();
    registerWorkqueueMetrics(registry, () => [{ name: 'replicaset', queue }]);
    queue.add('a');
    queue.add('a');
    queue.add('b');
    const key = await queue.get();
    queue.done(key!);
    queue.addRateLimited('c');
    const m = parseMetrics(await registry.metrics());
    expect(m.get('workqueue_depth{name="replicaset"}')).toBe(1);
    expect(m.get('workqueue_adds_total{name="replicaset"}')).toBe(2);
    expect(m.get('workqueue_retries_total{name="replicaset"}')).toBe(1);
    queue.shutDown();
  });
});
