import type { ServicePortInfo } from '../service-ports';
import { buildRuleset, renderFull, renderUpdate } from './ruleset';

const port = (over: Partial<ServicePortInfo> = {}): ServicePortInfo => ({
  name: 'ns/web:http',
  namespace: 'ns',
  service: 'web',
  portName: 'http',
  protocol: 'tcp',
  clusterIP: '10.96.0.20',
  port: 80,
  nodePort: 0,
  externalIPs: [],
  affinityTimeoutSeconds: 0,
  internalLocal: false,
  externalLocal: false,
  endpoints: [
    { ip: '10.244.0.2', port: 8080, local: true, ready: true, serving: true, terminating: false },
    { ip: '10.244.0.3', port: 8080, local: false, ready: true, serving: true, terminating: false },
  ],
  ...over,
});
const opts = { table: 't', clusterCIDR: '10.244.0.0/16' };

describe('nftables ruleset', () => {
  it('dispatches a ClusterIP through the service-ips verdict map and numgen over endpoints', () => {
    const rs = buildRuleset([port()], opts);
    expect(rs.maps.get('service-ips')!.elements).toEqual([
      '10.96.0.20 . tcp . 80 : goto svc-HA6ITNXU-ns/web/tcp/http',
    ]);
    const rules = rs.chains.get('svc-HA6ITNXU-ns/web/tcp/http')!;
    expect(rules[0]).toBe(
      'ip daddr 10.96.0.20 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade',
    );
    expect(rules[1]).toMatch(
      /^numgen random mod 2 vmap \{ 0 : goto ep-\S+__10\.244\.0\.2\/8080 , 1 : goto ep-\S+__10\.244\.0\.3\/8080 \}$/,
    );
  });

  it('sends a Service without endpoints to the reject chain', () => {
    const rs = buildRuleset([port({ endpoints: [], nodePort: 30001 })], opts);
    expect(rs.maps.get('no-endpoint-services')!.elements).toEqual([
      '10.96.0.20 . tcp . 80 : goto reject-chain',
    ]);
    expect(rs.maps.get('no-endpoint-nodeports')!.elements).toEqual(['tcp . 30001 : goto reject-chain']);
    expect(rs.maps.get('service-ips')!.elements).toEqual([]);
  });

  it('keeps only local endpoints for externalTrafficPolicy Local, without masquerade', () => {
    const rs = buildRuleset([port({ nodePort: 30001, externalLocal: true })], opts);
    const ext = [...rs.chains.entries()].find(([n]) => n.startsWith('ext-'))![1];
    expect(ext).toEqual([
      expect.stringMatching(/^numgen random mod 1 vmap \{ 0 : goto ep-\S+__10\.244\.0\.2\/8080 \}$/),
    ]);
  });

  it('updates incrementally: only changed chains and maps, removed chains deleted last', () => {
    const a = buildRuleset([port()], opts);
    const b = buildRuleset([port({ endpoints: [port().endpoints[1]] })], opts);
    const script = renderUpdate(a, b);
    expect(script).not.toContain('delete table');
    expect(script).toContain('flush chain ip t svc-HA6ITNXU-ns/web/tcp/http');
    const lines = script.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^delete chain ip t ep-\S+__10\.244\.0\.2\/8080$/);
    expect(renderUpdate(b, b)).toBe('');
  });

  it('renders a full replace as one transaction that works whether or not the table exists', () => {
    const script = renderFull(buildRuleset([], opts));
    expect(script.split('\n').slice(0, 3)).toEqual(['add table ip t', 'delete table ip t', 'add table ip t']);
  });
});
