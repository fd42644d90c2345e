import { nextLocalNode, validateNodeName, isNodeReady } from './node-lifecycle';
import { nextFreePodCidr } from './join';
import { isLocalIPv4 } from './up';

describe('validateNodeName', () => {
  it('accepts DNS-1123 subdomains', () => {
    expect(() => validateNodeName('node-4.example', ['node1'])).not.toThrow();
  });
  it.each(['Bad_Name', '-x', 'x-', '', 'a'.repeat(254)])('refuses %j in one line', (name) => {
    expect(() => validateNodeName(name, [])).toThrow(/^invalid node name "[^\n]*"[^\n]*$/);
  });
  it('refuses a taken name', () => {
    expect(() => validateNodeName('node1', ['node1'])).toThrow('a node named "node1" already exists');
  });
});

describe('nextLocalNode', () => {
  it('takes the smallest index whose namespace and pod CIDR are free', () => {
    const n = nextLocalNode(
      'abc123',
      'n',
      new Set(['10.244.1.0/24', '10.244.3.0/24']),
      new Set(['kn-abc123-2']),
    );
    expect(n).toEqual({
      name: 'n',
      netns: 'kn-abc123-4',
      ip: '10.250.0.14',
      podCIDR: '10.244.4.0/24',
      bridge: 'kb-abc123',
    });
  });
  it('fails when every slot is taken', () => {
    const all = new Set(Array.from({ length: 200 }, (_, i) => `10.244.${i + 1}.0/24`));
    expect(() => nextLocalNode('x', 'n', all, new Set())).toThrow(/at most 200 nodes/);
  });
});

describe('nextFreePodCidr', () => {
  it('skips pod CIDRs other Nodes use', () => {
    expect(nextFreePodCidr(new Set(['10.244.0.0/24', '10.244.1.0/24']))).toBe('10.244.2.0/24');
  });
});

describe('isNodeReady', () => {
  it('reads the Ready condition', () => {
    const node = (status: string) =>
      ({ metadata: {}, status: { conditions: [{ type: 'Ready', status }] } }) as never;
    expect(isNodeReady(node('True'))).toBe(true);
    expect(isNodeReady(node('Unknown'))).toBe(false);
    expect(isNodeReady(undefined)).toBe(false);
  });
});

describe('isLocalIPv4 (--advertise-address)', () => {
  it('knows this host’s addresses', () => {
    expect(isLocalIPv4('127.0.0.1')).toBe(true);
    expect(isLocalIPv4('203.0.113.7')).toBe(false);
  });
});
