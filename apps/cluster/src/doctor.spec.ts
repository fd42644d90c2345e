import { formatChecks, otherClusterBridges } from './doctor';

const ipJson = JSON.stringify([
  { ifname: 'lo', addr_info: [{ local: '127.0.0.1', prefixlen: 8 }] },
  { ifname: 'kb-1553b5', addr_info: [{ local: '10.244.0.1', prefixlen: 24 }] },
  { ifname: 'kh-abcdef', addr_info: [{ local: '10.250.0.1', prefixlen: 24 }] },
  { ifname: 'kb-0a0b0c', addr_info: [{ local: '10.244.0.1', prefixlen: 24 }] },
  { ifname: 'kb-notanid', addr_info: [] },
]);

describe('otherClusterBridges', () => {
  it("lists other clusters' pod and host bridges with their addresses, not this cluster's", () => {
    expect(otherClusterBridges(ipJson, '0a0b0c')).toEqual([
      { name: 'kb-1553b5', clusterId: '1553b5', addresses: ['10.244.0.1/24'] },
      { name: 'kh-abcdef', clusterId: 'abcdef', addresses: ['10.250.0.1/24'] },
    ]);
  });

  it('returns nothing for output it cannot read', () => {
    expect(otherClusterBridges('not json', 'x')).toEqual([]);
    expect(otherClusterBridges('{}', 'x')).toEqual([]);
  });
});

describe('formatChecks', () => {
  it('marks required failures MISSING and optional ones warn, with their fix', () => {
    const out = formatChecks([
      { name: 'root', ok: false, detail: 'not root', fix: 'sudo ./keelson up', required: true },
      {
        name: 'cluster-bridges',
        ok: false,
        detail: 'kb-1 present',
        fix: 'ip link del kb-1',
        required: false,
      },
      { name: 'kubectl', ok: true, detail: 'found', required: false },
    ]);
    expect(out.split('\n')).toEqual([
      'MISSING root: not root  (fix: sudo ./keelson up)',
      'warn    cluster-bridges: kb-1 present  (fix: ip link del kb-1)',
      'ok      kubectl: found',
    ]);
  });
});
