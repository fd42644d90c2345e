import { makePod } from '../testing/builders';
import { formatResolvConf, parseResolvConf, podDnsConfig, podHostsFile } from './dns';

const host = parseResolvConf(
  '# comment\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nsearch corp.example\noptions edns0\n',
);
const s = { clusterDns: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolv: host };

describe('pod DNS', () => {
  it('parses resolv.conf', () => {
    expect(host).toEqual({
      nameservers: ['1.1.1.1', '8.8.8.8'],
      searches: ['corp.example'],
      options: ['edns0'],
    });
  });

  it('ClusterFirst: cluster DNS, namespace search path, ndots:5', () => {
    const pod = { ...makePod(), metadata: { ...makePod().metadata, namespace: 'shop' } };
    expect(formatResolvConf(podDnsConfig(pod, s))).toBe(
      'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('Default uses the host resolv.conf; hostNetwork ClusterFirst behaves as Default', () => {
    expect(podDnsConfig(makePod('p', undefined, { dnsPolicy: 'Default' }), s)).toEqual(host);
    expect(podDnsConfig(makePod('p', undefined, { hostNetwork: true }), s)).toEqual(host);
  });

  it('None takes dnsConfig only; dnsConfig merges options by name', () => {
    const none = makePod('p', undefined, {
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['9.9.9.9'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }] },
    });
    expect(podDnsConfig(none, s)).toEqual({
      nameservers: ['9.9.9.9'],
      searches: ['a.b'],
      options: ['ndots:2'],
    });
    const merged = makePod('p', undefined, {
      dnsConfig: { options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }] },
    });
    expect(podDnsConfig(merged, s).options).toEqual(['ndots:1', 'single-request']);
  });

  it('writes a managed /etc/hosts with the pod IP and hostname', () => {
    const pod = makePod('web');
    const text = podHostsFile(pod, ['10.244.1.5'], 'cluster.local');
    expect(text.startsWith('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n')).toBe(true);
    expect(text).toContain('\n10.244.1.5\tweb\n');
    const sub = makePod('web', undefined, {
      hostname: 'h0',
      subdomain: 'svc1',
      hostAliases: [{ ip: '1.2.3.4', hostnames: ['foo', 'bar'] }],
    });
    const t2 = podHostsFile(sub, ['10.244.1.6'], 'cluster.local');
    expect(t2).toContain('10.244.1.6\th0.svc1.default.svc.cluster.local\th0\n');
    expect(t2).toContain('# Entries added by HostAliases.\n1.2.3.4\tfoo\tbar\n');
  });
});
