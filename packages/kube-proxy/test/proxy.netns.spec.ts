import { execFileSync } from 'node:child_process';
import type { EndpointSlice, Service } from '@keelson/api';
import { NftablesBackend } from '../src/nftables/backend';
import { IptablesBackend } from '../src/iptables/backend';
import type { ProxyBackend } from '../src/backend';
import { Proxier } from '../src/proxier';
import { createFixture, isRoot, requestsScript, type NetnsFixture } from './netns-fixture';

const VIP = '10.96.77.10';

const service = (name: string, ip: string, extra: Partial<NonNullable<Service['spec']>> = {}): Service => ({
  metadata: { namespace: 'default', name },
  spec: {
    clusterIP: ip,
    type: 'NodePort',
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }],
    ...extra,
  },
});
const slice = (svc: string, ips: string[]): EndpointSlice => ({
  metadata: { namespace: 'default', name: `${svc}-abc`, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'n1' })),
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
});

const suites: Array<[string, (fx: NetnsFixture) => ProxyBackend, number]> = [
  [
    'nftables',
    (fx) =>
      new NftablesBackend({ table: `kp-${process.pid}`, clusterCIDR: '10.244.0.0/16' }, { netns: fx.node }),
    201,
  ],
  ['iptables', (fx) => new IptablesBackend({ clusterCIDR: '10.244.0.0/16' }, { netns: fx.node }), 202],
];

for (const [mode, makeBackend, subnet] of suites) {
  (isRoot() ? describe : describe.skip)(`kube-proxy ${mode} backend in network namespaces`, () => {
    let fx: NetnsFixture;
    let backend: ProxyBackend;
    let proxier: Proxier;

    beforeAll(async () => {
      fx = await createFixture(subnet);
      backend = makeBackend(fx);
      proxier = new Proxier(backend, { nodeName: 'n1', minSyncPeriodMs: 50 });
      proxier.onService(service('web', VIP));
      proxier.onEndpointSlice(
        slice(
          'web',
          fx.backends.map((b) => b.ip),
        ),
      );
      proxier.onService(
        service('empty', '10.96.77.11', {
          type: 'ClusterIP',
          ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
        }),
      );
      await proxier.synced();
    }, 60_000);

    afterAll(async () => {
      await proxier?.stop();
      await backend?.cleanup().catch(() => undefined);
      fx?.destroy();
    });

    it('spreads 200 connections to the ClusterIP over both backends', async () => {
      const counts = JSON.parse(await fx.inClient(requestsScript(VIP, 80, 200)));
      expect(counts.be1 + counts.be2).toBe(200);
      expect(counts.be1).toBeGreaterThan(20);
      expect(counts.be2).toBeGreaterThan(20);
    }, 60_000);

    it('answers on the NodePort of the node address', async () => {
      const counts = JSON.parse(await fx.inClient(requestsScript(fx.nodeLinkIP, 30080, 20)));
      expect((counts.be1 ?? 0) + (counts.be2 ?? 0)).toBe(20);
    }, 30_000);

    it('rejects at once for a Service without endpoints', async () => {
      const counts = JSON.parse(await fx.inClient(requestsScript('10.96.77.11', 80, 3)));
      expect(counts).toEqual({ 'error:ECONNREFUSED': 3 });
    }, 30_000);

    it('moves all new connections when the endpoints shrink to one', async () => {
      proxier.onEndpointSlice(slice('web', [fx.backends[1].ip]));
      await proxier.synced();
      const counts = JSON.parse(await fx.inClient(requestsScript(VIP, 80, 30)));
      expect(counts).toEqual({ be2: 30 });
      proxier.onEndpointSlice(
        slice(
          'web',
          fx.backends.map((b) => b.ip),
        ),
      );
      await proxier.synced();
    }, 30_000);

    it('keeps a client on one backend with ClientIP session affinity', async () => {
      proxier.onService(
        service('web', VIP, {
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        }),
      );
      await proxier.synced();
      const counts = JSON.parse(await fx.inClient(requestsScript(VIP, 80, 30)));
      expect(Object.values(counts)).toEqual([30]);
      proxier.onService(service('web', VIP));
      await proxier.synced();
    }, 30_000);

    it('leaves nothing behind after cleanup', async () => {
      await backend.cleanup();
      if (mode === 'nftables') {
        expect(
          execFileSync('ip', ['netns', 'exec', fx.node, 'nft', 'list', 'tables']).toString(),
        ).not.toContain(`kp-${process.pid}`);
      } else {
        const saved = execFileSync('ip', ['netns', 'exec', fx.node, 'iptables-save']).toString();
        expect(saved).not.toMatch(/KEELSON/);
      }
    }, 30_000);
  });
}

if (!isRoot()) console.log('skipped: kube-proxy namespace tests need root');
