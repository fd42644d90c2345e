// Static token authentication (--token-auth-file): the CSV format, and REST + gRPC answering 401
// Unauthorized (a Kubernetes Status) without a valid bearer token while health and version stay
// anonymous.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ApiServerClient } from '@keelson/api/generated/keelson/apiserver/v1/apiserver';
import {
  AUTHENTICATED_GROUP,
  isLocalConnection,
  parseTokenAuthFile,
  STATUS_METADATA_KEY,
  startApiServer,
  TokenAuthenticator,
  type RunningApiServer,
} from '../src';

describe('parseTokenAuthFile', () => {
  it('reads token,user,uid and a quoted group list, skipping blank lines', () => {
    const t = parseTokenAuthFile('tok1,admin,uid-1,"system:masters,ops"\n\ntok2, kubelet ,2\n');
    expect(t.get('tok1')).toEqual({ username: 'admin', uid: 'uid-1', groups: ['system:masters', 'ops'] });
    expect(t.get('tok2')).toEqual({ username: 'kubelet', uid: '2', groups: [] });
    expect(t.size).toBe(2);
  });

  it('rejects a line with fewer than three columns, naming it', () => {
    expect(() => parseTokenAuthFile('a,b,c\nonly,two\n')).toThrow(/line 2/);
  });
});

describe('TokenAuthenticator', () => {
  const auth = new TokenAuthenticator(parseTokenAuthFile('s3cret,alice,1,"g1"\n'));
  it('accepts a listed bearer token and adds system:authenticated', () => {
    expect(auth.authenticate('Bearer s3cret')).toEqual({
      username: 'alice',
      uid: '1',
      groups: ['g1', AUTHENTICATED_GROUP],
    });
  });
  it.each([undefined, '', 'Bearer', 'Bearer wrong', 'Basic s3cret'])('refuses %j with 401', (h) => {
    expect(() => auth.authenticate(h)).toThrow(expect.objectContaining({ code: 401 }));
  });
});

describe('apiserver with --token-auth-file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-authn-'));
  const file = join(dir, 'tokens.csv');
  writeFileSync(file, 'admintoken,admin,0,"system:masters"\n');
  let server: RunningApiServer;
  let client: ApiServerClient;

  beforeAll(async () => {
    server = await startApiServer({
      storage: 'memory',
      compactionIntervalMs: 0,
      tokenAuthFile: file,
      kubeconfigOut: join(dir, 'kubeconfig'),
      kubeconfigToken: 'admintoken',
    });
    client = new ApiServerClient(server.grpcAddress, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers REST requests without a valid token with a 401 Unauthorized Status', async () => {
    for (const headers of [{}, { Authorization: 'Bearer nope' }] as Array<Record<string, string>>) {
      const res = await fetch(`${server.url}/api/v1/namespaces`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    const ok = await fetch(`${server.url}/api/v1/namespaces`, {
      headers: { Authorization: 'Bearer admintoken' },
    });
    expect(ok.status).toBe(200);
    expect((await ok.json()).kind).toBe('NamespaceList');
  });

  it('keeps /healthz, /livez, /readyz and /version anonymous', async () => {
    for (const p of ['/healthz', '/livez', '/readyz', '/version'])
      expect((await fetch(`${server.url}${p}`)).status).toBe(200);
  });

  it('answers gRPC calls without a token UNAUTHENTICATED with the Status, and serves them with one', async () => {
    const ref = {
      group: '',
      version: 'v1',
      resource: 'namespaces',
      namespace: '',
      name: '',
      subresource: '',
    };
    const err = await new Promise<ServiceError>((resolve) =>
      client.list({ ref }, (e) => resolve(e as ServiceError)),
    );
    expect(err.code).toBe(status.UNAUTHENTICATED);
    const st = JSON.parse(String(err.metadata.get(STATUS_METADATA_KEY)[0]));
    expect(st).toMatchObject({ reason: 'Unauthorized', code: 401 });
    // the watch stream is refused the same way
    const watchErr = await new Promise<ServiceError>((resolve) => {
      const call = client.watch({ ref });
      call.on('error', (e) => resolve(e as ServiceError));
      call.on('data', () => undefined);
    });
    expect(watchErr.code).toBe(status.UNAUTHENTICATED);
    const md = new Metadata();
    md.set('authorization', 'Bearer admintoken');
    const list = await new Promise<{ list: Uint8Array }>((resolve, reject) =>
      client.list({ ref }, md, (e, r) => (e ? reject(e) : resolve(r as { list: Uint8Array }))),
    );
    expect(JSON.parse(Buffer.from(list.list).toString()).items.length).toBeGreaterThan(0);
  });

  it('serves REST requests from this host without a token only with anonymousLocal', async () => {
    const s = await startApiServer({
      storage: 'memory',
      compactionIntervalMs: 0,
      tokenAuthFile: file,
      anonymousLocal: true,
    });
    try {
      expect((await fetch(`${s.url}/api/v1/namespaces`)).status).toBe(200);
    } finally {
      await s.close();
    }
    expect(isLocalConnection({ remoteAddress: '10.250.0.1', localAddress: '10.250.0.1' })).toBe(true);
    expect(isLocalConnection({ remoteAddress: '::ffff:127.0.0.1', localAddress: '::ffff:127.0.0.1' })).toBe(
      true,
    );
    expect(isLocalConnection({ remoteAddress: '10.251.0.2', localAddress: '10.250.0.1' })).toBe(false);
  });

  it('writes the token into the kubeconfig it writes', () => {
    expect(readFileSync(join(dir, 'kubeconfig'), 'utf8')).toContain('token: admintoken');
  });
});
