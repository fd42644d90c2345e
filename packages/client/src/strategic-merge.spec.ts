import { strategicMergePatch } from './strategic-merge';
import { applyPatchOfType } from './patch';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', finalizers: ['a'], labels: { x: '1', y: '2' } },
  spec: {
    containers: [
      { name: 'c1', image: 'busybox:1', ports: [{ containerPort: 80 }] },
      { name: 'c2', image: 'nginx' },
    ],
    tolerations: [{ key: 'k1', operator: 'Exists' }],
  },
  status: {
    phase: 'Pending',
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'False' },
    ],
  },
};

describe('strategicMergePatch', () => {
  it('merges keyed lists by their merge key', () => {
    const out = strategicMergePatch(pod, {
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'Initialized', status: 'True' },
        ],
      },
    });
    expect(out.status.conditions).toEqual([
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'True' },
      { type: 'Initialized', status: 'True' },
    ]);
    const c = strategicMergePatch(pod, { spec: { containers: [{ name: 'c1', image: 'busybox:2' }] } });
    expect(c.spec.containers).toEqual([
      { name: 'c1', image: 'busybox:2', ports: [{ containerPort: 80 }] },
      { name: 'c2', image: 'nginx' },
    ]);
  });

  it('replaces lists without a merge strategy; merges primitive merge lists as sets', () => {
    const out = strategicMergePatch(pod, {
      metadata: { finalizers: ['b', 'a'] },
      spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] },
    });
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
    expect(out.spec.tolerations).toEqual([{ key: 'k2', operator: 'Exists' }]);
  });

  it('honours $patch delete/replace, $deleteFromPrimitiveList and null', () => {
    const out = strategicMergePatch(pod, {
      metadata: { labels: { x: null }, '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: { containers: [{ name: 'c2', $patch: 'delete' }] },
      status: { $patch: 'replace', phase: 'Running' },
    });
    expect(out.metadata.labels).toEqual({ y: '2' });
    expect(out.metadata.finalizers).toEqual([]);
    expect(out.spec.containers.map((c) => c.name)).toEqual(['c1']);
    expect(out.status).toEqual({ phase: 'Running' });
    expect(pod.status.phase).toBe('Pending'); // input untouched
  });

  it('is what the fake uses for "strategic"; unknown kinds merge like a merge patch', () => {
    const viaPatch = applyPatchOfType(pod, 'strategic', {
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(viaPatch.status.conditions).toHaveLength(2);
    const other = applyPatchOfType(
      { apiVersion: 'x/v1', kind: 'Widget', metadata: {}, spec: { list: [1, 2] } },
      'strategic',
      { spec: { list: [3] } },
    );
    expect(other.spec.list).toEqual([3]);
  });
});
