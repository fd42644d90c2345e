/**
 * startProxy against a real apiserver: a Service and EndpointSlice created through the API
 * become nft rules in a namespace made for this run; the bin's --cleanup removes the table.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '@keelson/apiserver';
import { createClientset, type Clientset } from '@keelson/client';
import { startProxy, type RunningProxy } from '../src/run';
import { isRoot } from './netns-fixture';

const ns = `kpsp${process.pid % 100000}`;
const table = `kp-sp-${process.pid}`;
const nftList = () => execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']).toString();

(isRoot() ? describe : describe.skip)('startProxy with a real apiserver', () => {
  let api: RunningApiServer;
  let client: Clientset;
  let proxy: RunningProxy;

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    api = await startApiServer({ storage: 'memory', port: 0, grpcPort: 0 });
    client = createClientset({ grpcAddress: api.grpcAddress });
    proxy = await startProxy(
      { nodeName: 'n1', table, clusterCIDR: '10.244.0.0/16', netns: ns, minSyncPeriodMs: 50 },
      client,
    );
  });
  afterAll(async () => {
    await proxy?.stop(true).catch(() => undefined);
    client?.close();
    await api?.close();
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('programs the kubernetes Service at start, and a new Service once its endpoints appear', async () => {
    expect(nftList()).toContain('10.96.0.1 . tcp . 443');
    const svc = (await client.resource('services').create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    } as never)) as { spec: { clusterIP: string } };
    await client.resource('endpointslices').create({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.7'], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    } as never);
    const deadline = Date.now() + 5000;
    while (!nftList().includes('dnat to 10.244.0.7:8080') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const rules = nftList();
    expect(rules).toContain(`${svc.spec.clusterIP} . tcp . 80 : goto svc-`);
    expect(rules).toContain('dnat to 10.244.0.7:8080');
  });

  it('keelson-proxy --cleanup removes the table', () => {
    const bin = join(__dirname, '../src/bin/keelson-proxy.ts');
    const r = spawnSync(
      process.execPath,
      ['--conditions=keelson-source', '--import', 'tsx', bin, '--cleanup', '--table', table, '--netns', ns],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(nftList()).not.toContain(table);
  });
});
