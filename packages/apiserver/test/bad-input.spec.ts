// Bad input, property-based (fast-check): every malformed request gets a 4xx Kubernetes Status,
// the server keeps serving, and the store does not change (its revision stays put).
import { request } from 'node:http';
import fc from 'fast-check';
import { startApiServer, type RunningApiServer } from '../src';

let s: RunningApiServer;
beforeAll(async () => {
  s = await startApiServer({ storage: 'memory', compactionIntervalMs: 0 });
});
afterAll(async () => {
  await s?.close();
});

const CM = '/api/v1/namespaces/default/configmaps';
const PODS = '/api/v1/namespaces/default/pods';

async function req(method: string, path: string, body?: string | Buffer, contentType = 'application/json') {
  const r = await fetch(s.url + path, {
    method,
    body,
    headers: body !== undefined ? { 'content-type': contentType } : {},
  });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { code: r.status, json, text };
}

/** Runs `fn` and checks it answered a 4xx Status and left the store as it was. */
async function expectRejected(fn: () => Promise<{ code: number; json: any }>, codes?: number[]) {
  const before = await s.storage.currentRevision();
  const r = await fn();
  expect(r.code).toBeGreaterThanOrEqual(400);
  expect(r.code).toBeLessThan(500);
  if (codes) expect(codes).toContain(r.code);
  expect(r.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: r.code });
  expect(typeof r.json.message).toBe('string');
  expect(typeof r.json.reason).toBe('string');
  expect(await s.storage.currentRevision()).toBe(before);
  return r;
}

const RUNS = { numRuns: 40 };

afterEach(async () => {
  const h = await fetch(s.url + '/healthz');
  expect(h.status).toBe(200);
});

it('rejects malformed JSON', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.string().filter((x) => {
        try {
          const v = JSON.parse(x);
          return typeof v !== 'object' || v === null || Array.isArray(v);
        } catch {
          return true;
        }
      }),
      async (body) => {
        await expectRejected(() => req('POST', CM, body), [400]);
      },
    ),
    RUNS,
  );
});

it('rejects malformed YAML', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(
        'a: [1, 2',
        'metadata: {name: x',
        '- just\n- a list',
        ':\n  - : :',
        'kind: ConfigMap\n\tbad: tab',
        '"unterminated',
      ),
      async (body) => {
        await expectRejected(() => req('POST', CM, body, 'application/yaml'), [400]);
      },
    ),
  );
});

it('rejects wrong types', async () => {
  const wrong = fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.string());
  await fc.assert(
    fc.asyncProperty(wrong, wrong, async (meta, labels) => {
      await expectRejected(() =>
        req('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta })),
      );
      await expectRejected(() =>
        req(
          'POST',
          CM,
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'x', labels: typeof labels === 'string' ? [labels] : labels },
          }),
        ),
      );
    }),
    RUNS,
  );
  await expectRejected(
    () =>
      req(
        'POST',
        CM,
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 1 } }),
      ),
    [400, 422],
  );
  await expectRejected(
    () =>
      req(
        'POST',
        '/apis/apps/v1/namespaces/default/deployments',
        JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'd' },
          spec: { replicas: 'three' },
        }),
      ),
    [400, 422],
  );
  await expectRejected(
    () => req('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } })),
    [400],
  );
  await expectRejected(
    () =>
      req('POST', CM, JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } })),
    [400],
  );
});

it('rejects unknown fields with fieldValidation=Strict and warns with Warn', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc
        .stringMatching(/^[a-z][a-zA-Z]{0,10}$/)
        .filter((k) => !['data', 'binaryData', 'immutable', 'kind', 'metadata'].includes(k)),
      async (field) => {
        const body = JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'strict' },
          [field]: 1,
        });
        const r = await expectRejected(() => req('POST', `${CM}?fieldValidation=Strict`, body), [400]);
        expect(r.json.message).toBe(`strict decoding error: unknown field "${field}"`);
      },
    ),
    RUNS,
  );
  const r = await fetch(`${s.url}${CM}?fieldValidation=Warn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warned' }, extra: 1 }),
  });
  expect(r.status).toBe(201);
  expect(r.headers.get('warning')).toBe('299 - "unknown field \\"extra\\""');
  // like upstream's decoding into typed objects, the unknown field is not stored
  expect((await req('GET', `${CM}/warned`)).json.extra).toBeUndefined();
  await expectRejected(
    () => req('POST', `${CM}?fieldValidation=Loud`, JSON.stringify({ metadata: { name: 'x' } })),
    [400],
  );
});

it('rejects invalid names', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc
        .string({ minLength: 1, maxLength: 300 })
        .filter(
          (n) =>
            !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(n) || n.length > 253,
        ),
      async (name) => {
        const r = await expectRejected(
          () => req('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } })),
          [400, 422],
        );
        if (r.code === 422) expect(r.json.details.causes[0].field).toBe('metadata.name');
      },
    ),
    RUNS,
  );
});

it('rejects missing required fields', async () => {
  const r = await expectRejected(
    () => req('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} })),
    [422],
  );
  expect(r.json.message).toContain('metadata.name: Required value');
  const p = await expectRejected(
    () =>
      req('POST', PODS, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} })),
    [422],
  );
  expect(p.json.details.causes.map((c: any) => c.field)).toContain('spec.containers');
  await expectRejected(
    () =>
      req(
        'POST',
        PODS,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p' },
          spec: { containers: [{ name: 'c' }] },
        }),
      ),
    [422],
  );
  await expectRejected(
    () => req('POST', '/api/v1/namespaces/nowhere/configmaps', JSON.stringify({ metadata: { name: 'x' } })),
    [404],
  );
});

it('rejects oversized bodies with 413', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 3 * 1024 * 1024 + 1, max: 4 * 1024 * 1024 }), async (size) => {
      const body = JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(size) } });
      await expectRejected(() => req('POST', CM, body), [413]);
    }),
    { numRuns: 3 },
  );
});

it('rejects bogus resourceVersions, continue tokens and selectors', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.string({ minLength: 1 }).filter((v) => !/^\d+$/.test(v)),
      async (rv) => {
        await expectRejected(
          () => req('GET', `${PODS}?resourceVersion=${encodeURIComponent(rv)}&resourceVersionMatch=Exact`),
          [400],
        );
        await expectRejected(
          () => req('GET', `${PODS}?watch=1&resourceVersion=${encodeURIComponent(rv)}`),
          [400],
        );
        await expectRejected(() => req('GET', `${PODS}?continue=${encodeURIComponent(rv)}`), [400]);
      },
    ),
    RUNS,
  );
  await expectRejected(() => req('GET', `${PODS}?labelSelector=${encodeURIComponent('a in (b')}`), [400]);
  await expectRejected(() => req('GET', `${PODS}?fieldSelector=spec.bogus%3Dx`), [400]);
  await expectRejected(() => req('GET', `${PODS}?limit=abc`), [400]);
  // a stale resourceVersion on update is a 409
  const cm = (await req('POST', CM, JSON.stringify({ metadata: { name: 'rv' } }))).json;
  await req('PUT', `${CM}/rv`, JSON.stringify({ ...cm, data: { a: 'b' } }));
  await expectRejected(() => req('PUT', `${CM}/rv`, JSON.stringify({ ...cm, data: { a: 'c' } })), [409]);
});

it('answers metadata-only clients with PartialObjectMetadataList', async () => {
  const r = await fetch(`${s.url}/api/v1/namespaces`, {
    headers: { accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' },
  });
  expect(r.headers.get('content-type')).toBe(
    'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  );
  const body = await r.json();
  expect(body.kind).toBe('PartialObjectMetadataList');
  expect(body.items[0]).toEqual({
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: expect.objectContaining({ name: 'default' }),
  });
  expect(body.items[0].spec).toBeUndefined();
});

it('rejects unknown resources and methods', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc
        .stringMatching(/^[a-z]{1,12}$/)
        .filter(
          (r) =>
            ![
              'pods',
              'services',
              'configmaps',
              'secrets',
              'events',
              'endpoints',
              'namespaces',
              'nodes',
              'serviceaccounts',
            ].includes(r),
        ),
      async (r) => {
        await expectRejected(() => req('GET', `/api/v1/namespaces/default/${r}`), [404]);
        await expectRejected(() => req('POST', `/apis/example.com/v1/${r}`, '{}'), [404]);
      },
    ),
    RUNS,
  );
  await expectRejected(() => req('POST', `${CM}/x`, '{}'), [405]);
  await expectRejected(
    () => req('PATCH', `${CM}/rv`, '{"data":{"a":"b"}}', 'application/bogus-patch'),
    [415],
  );
  await expectRejected(
    () => req('PATCH', `${CM}/rv`, '[{"op":"remove","path":"/nope"}]', 'application/json-patch+json'),
    [422],
  );
});

it('never answers 5xx to random paths, methods and media types', async () => {
  const seg = fc.oneof(
    fc.constantFrom(
      'api',
      'apis',
      'v1',
      'apps',
      'namespaces',
      'default',
      'pods',
      'configmaps',
      'status',
      'scale',
      'watch',
      'log',
      'exec',
      'binding',
      '%',
      '%zz',
      '..',
      'finalize',
      'openapi',
      'v3',
      'version',
    ),
    fc.stringMatching(/^[a-z0-9.-]{1,8}$/),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(seg, { minLength: 1, maxLength: 7 }),
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
      fc.constantFrom(
        'application/json',
        'application/yaml',
        'application/merge-patch+json',
        'application/json-patch+json',
        'application/strategic-merge-patch+json',
        'application/vnd.kubernetes.protobuf',
        'text/plain',
      ),
      fc.constantFrom('{}', '[]', '', 'null', '{"metadata":{"name":"fz"}}', 'k8s\u0000garbage'),
      fc.constantFrom(
        '',
        '?watch=1&timeoutSeconds=1',
        '?limit=1',
        '?labelSelector=a%3Db',
        '?resourceVersion=0',
      ),
      async (segs, method, type, body, query) => {
        const path = '/' + segs.join('/') + query;
        const before = await s.storage.currentRevision();
        const ctl = new AbortController();
        const timer = setTimeout(() => ctl.abort(), 3000);
        try {
          const r = await fetch(s.url + path, {
            method,
            body: method === 'GET' || method === 'DELETE' ? undefined : body,
            headers: { 'content-type': type },
            signal: ctl.signal,
          });
          expect(r.status).toBeLessThan(500);
          await r.text().catch(() => undefined);
        } catch (err) {
          if ((err as Error).name !== 'AbortError') throw err;
        } finally {
          clearTimeout(timer);
        }
        // writes may succeed (e.g. a POST of {"metadata":{"name":"fz"}}); clean up so later cases start equal
        if ((await s.storage.currentRevision()) !== before)
          await fetch(s.url + '/api/v1/namespaces/default/configmaps/fz', { method: 'DELETE' });
      },
    ),
    { numRuns: 150 },
  );
}, 120000);

it('answers 429 with Retry-After beyond the in-flight limit and recovers', async () => {
  const small = await startApiServer({ storage: 'memory', compactionIntervalMs: 0, maxRequestsInflight: 1 });
  try {
    // hold the only slot with a POST whose body has not finished arriving
    const held = request(`${small.url}${CM}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '40' },
    });
    const heldDone = new Promise<number>((resolve) =>
      held.on('response', (r) => (r.resume(), resolve(r.statusCode ?? 0))),
    );
    held.write('{"metadata":');
    let r: Response | undefined;
    for (let i = 0; i < 50; i++) {
      r = await fetch(`${small.url}/api/v1/namespaces`);
      if (r.status === 429) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(r!.status).toBe(429);
    expect(r!.headers.get('retry-after')).toBe('1');
    expect(await r!.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    held.end('{"name":"held"}}'.padEnd(28, ' '));
    expect(await heldDone).toBe(201);
    expect((await fetch(`${small.url}/api/v1/namespaces`)).status).toBe(200);
  } finally {
    await small.close();
  }
});
