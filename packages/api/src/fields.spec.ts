import { FieldSelectorParseError } from './errors';
import { objectFields, parseFieldSelector } from './fields';
import type { Pod } from './core-v1';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default' },
  spec: {
    nodeName: 'n1',
    containers: [{ name: 'c', image: 'nginx' }],
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
  },
  status: { phase: 'Running', podIP: '10.244.0.5' },
};

describe('field selectors', () => {
  it('parses =, == and != and matches pods', () => {
    const s = parseFieldSelector(
      'metadata.name=web-1,metadata.namespace!=kube-system,spec.nodeName==n1,status.phase=Running',
    );
    expect(s.requirements).toHaveLength(4);
    expect(s.matches(pod)).toBe(true);
    expect(parseFieldSelector('spec.nodeName=n2').matches(pod)).toBe(false);
    expect(parseFieldSelector('spec.nodeName=').matches({ ...pod, spec: { containers: [] } } as Pod)).toBe(
      true,
    );
    expect(parseFieldSelector('status.podIP=10.244.0.5').matches(pod)).toBe(true);
    expect(parseFieldSelector('').matches(pod)).toBe(true);
  });

  it('rejects unsupported fields with the upstream message', () => {
    expect(() => parseFieldSelector('spec.foo=bar').matches(pod)).toThrow(
      new FieldSelectorParseError('field label not supported: spec.foo'),
    );
    expect(() => parseFieldSelector('status.phase=Running').validateFor('ConfigMap')).toThrow(
      'field label not supported: status.phase',
    );
  });

  it('rejects terms without an operator', () => {
    expect(() => parseFieldSelector('metadata.name')).toThrow(
      "invalid selector: 'metadata.name'; can't understand 'metadata.name'",
    );
  });

  it('handles escapes', () => {
    const s = parseFieldSelector('metadata.name=a\\,b\\=c');
    expect(s.requiresExactMatch('metadata.name')).toBe('a,b=c');
    expect(s.toString()).toBe('metadata.name=a\\,b\\=c');
  });

  it('supports events, secrets and nodes', () => {
    const ev = {
      kind: 'Event',
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' },
      reason: 'Scheduled',
      type: 'Normal',
      source: { component: 'default-scheduler' },
    };
    expect(
      parseFieldSelector(
        'involvedObject.name=web-1,involvedObject.kind=Pod,type=Normal,reason=Scheduled',
      ).matches(ev),
    ).toBe(true);
    expect(objectFields(ev).source).toBe('default-scheduler');
    expect(
      parseFieldSelector('type=kubernetes.io/tls').matches({
        kind: 'Secret',
        metadata: { name: 's' },
        type: 'kubernetes.io/tls',
      } as never),
    ).toBe(true);
    expect(
      parseFieldSelector('spec.unschedulable=false').matches({ kind: 'Node', metadata: { name: 'n' } }),
    ).toBe(true);
  });
});
