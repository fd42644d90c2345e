import { ClusterDns, reverseName } from './records';
import type { DnsEndpointSlice, DnsService } from './cluster-state';

const svc = (ns: string, name: string, spec: DnsService['spec']): DnsService => ({
  metadata: { namespace: ns, name },
  spec,
});
const slice = (
  ns: string,
  svcName: string,
  name: string,
  endpoints: DnsEndpointSlice['endpoints'],
  ports: DnsEndpointSlice['ports'] = [],
): DnsEndpointSlice => ({
  metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints,
  ports,
});

function cluster(): ClusterDns {
  const dns = new ClusterDns({ zone: 'cluster.local', ttl: 30 });
  dns.upsertService(
    svc('default', 'web', {
      type: 'ClusterIP',
      clusterIP: '10.96.0.20',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    }),
  );
  dns.upsertService(
    svc('default', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }),
  );
  dns.upsertSlice(
    slice(
      'default',
      'db',
      'db-abc',
      [
        { addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.244.1.6'], hostname: 'db-1', conditions: { ready: true } },
        { addresses: ['10.244.1.7'], hostname: 'db-2', conditions: { ready: false } },
      ],
      [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    ),
  );
  dns.upsertService(svc('default', 'ext', { type: 'ExternalName', externalName: 'example.org' }));
  return dns;
}

describe('ClusterDns (Kubernetes DNS-based service discovery spec)', () => {
  it('answers a ClusterIP service A record with the ClusterIP', () => {
    const a = cluster().answer('web.default.svc.cluster.local.', 'A')!;
    expect(a.rcode).toBe('NOERROR');
    expect(a.answers).toEqual([
      { type: 'A', name: 'web.default.svc.cluster.local', ttl: 30, data: '10.96.0.20' },
    ]);
  });

  it('is case-insensitive', () => {
    expect(cluster().answer('WEB.Default.SVC.cluster.local', 'A')!.answers[0].data).toBe('10.96.0.20');
  });

  it('answers a headless service with one record per ready endpoint', () => {
    const a = cluster().answer('db.default.svc.cluster.local', 'A')!;
    expect(a.answers.map((r) => r.data).sort()).toEqual(['10.244.0.5', '10.244.1.6']);
  });

  it('answers <hostname>.<svc> for headless endpoints with a hostname', () => {
    const dns = cluster();
    expect(dns.answer('db-1.db.default.svc.cluster.local', 'A')!.answers[0].data).toBe('10.244.1.6');
    expect(dns.answer('db-2.db.default.svc.cluster.local', 'A')!.rcode).toBe('NXDOMAIN');
  });

  it('answers SRV for named ports, with target A records as additionals', () => {
    const dns = cluster();
    const a = dns.answer('_http._tcp.web.default.svc.cluster.local', 'SRV')!;
    expect(a.answers).toEqual([
      {
        type: 'SRV',
        name: '_http._tcp.web.default.svc.cluster.local',
        ttl: 30,
        data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
      },
    ]);
    expect(a.additionals.map((r) => r.data)).toEqual(['10.96.0.20']);
    const h = dns.answer('_pg._tcp.db.default.svc.cluster.local', 'SRV')!;
    expect(h.answers.map((r) => (r.data as { target: string }).target).sort()).toEqual([
      'db-0.db.default.svc.cluster.local',
      'db-1.db.default.svc.cluster.local',
    ]);
    expect(dns.answer('_nope._tcp.web.default.svc.cluster.local', 'SRV')!.rcode).toBe('NXDOMAIN');
  });

  it('answers PTR for ClusterIPs and headless endpoints, and forwards unknown addresses', () => {
    const dns = cluster();
    expect(dns.answer(reverseName('10.96.0.20'), 'PTR')!.answers[0].data).toBe(
      'web.default.svc.cluster.local',
    );
    expect(dns.answer('5.0.244.10.in-addr.arpa', 'PTR')!.answers[0].data).toBe(
      'db-0.db.default.svc.cluster.local',
    );
    expect(dns.answer(reverseName('192.0.2.1'), 'PTR')).toBeUndefined();
  });

  it('answers ExternalName services with a CNAME for every type', () => {
    const a = cluster().answer('ext.default.svc.cluster.local', 'A')!;
    expect(a.answers).toEqual([
      { type: 'CNAME', name: 'ext.default.svc.cluster.local', ttl: 30, data: 'example.org' },
    ]);
  });

  it('answers pod A records a-b-c-d.<ns>.pod.<zone>', () => {
    expect(cluster().answer('10-244-0-5.default.pod.cluster.local', 'A')!.answers[0].data).toBe('10.244.0.5');
    expect(cluster().answer('10-244-0-999.default.pod.cluster.local', 'A')!.rcode).toBe('NXDOMAIN');
  });

  it('serves dns-version.<zone> TXT 1.1.0', () => {
    expect(cluster().answer('dns-version.cluster.local', 'TXT')!.answers[0].data).toEqual(['1.1.0']);
  });

  it('tells NXDOMAIN from NODATA, with the SOA in the authority section', () => {
    const dns = cluster();
    const nx = dns.answer('nope.default.svc.cluster.local', 'A')!;
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authorities[0].type).toBe('SOA');
    const nodata = dns.answer('web.default.svc.cluster.local', 'AAAA')!;
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answers).toEqual([]);
    expect(nodata.authorities[0].type).toBe('SOA');
    expect(dns.answer('default.svc.cluster.local', 'A')!.rcode).toBe('NOERROR');
    expect(dns.answer('nons.svc.cluster.local', 'A')!.rcode).toBe('NXDOMAIN');
  });

  it('leaves names outside the zone to the forwarder', () => {
    expect(cluster().answer('example.org', 'A')).toBeUndefined();
  });

  it('follows changes: deleting a service removes its names, slices arriving before their service count', () => {
    const dns = new ClusterDns({ zone: 'cluster.local' });
    dns.upsertSlice(slice('ns1', 'h', 'h-1', [{ addresses: ['10.244.0.9'] }]));
    dns.upsertService(svc('ns1', 'h', { clusterIP: 'None' }));
    expect(dns.answer('h.ns1.svc.cluster.local', 'A')!.answers[0].data).toBe('10.244.0.9');
    dns.deleteService(svc('ns1', 'h', {}));
    expect(dns.answer('h.ns1.svc.cluster.local', 'A')!.rcode).toBe('NXDOMAIN');
    expect(dns.answer('ns1.svc.cluster.local', 'A')!.rcode).toBe('NXDOMAIN');
  });

  it('reverse names IPv6 addresses by nibbles', () => {
    expect(reverseName('fd00::1')).toBe(
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa',
    );
  });
});
