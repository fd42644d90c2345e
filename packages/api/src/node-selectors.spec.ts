import type { Node } from './core-v1';
import {
  nodeSelectorRequirementMatches,
  nodeSelectorTermMatches,
  nodeSelectorTermsMatch,
  podSpecMatchesNode,
  toleratesTaint,
} from './node-selectors';

const node: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1', labels: { disk: 'ssd', cores: '8' } },
};

describe('node selectors', () => {
  it('evaluates each operator as upstream (Gt/Lt: one integer value)', () => {
    expect(nodeSelectorRequirementMatches({ key: 'k', operator: 'In', values: ['a'] }, 'a')).toBe(true);
    expect(nodeSelectorRequirementMatches({ key: 'k', operator: 'NotIn', values: ['a'] }, undefined)).toBe(
      true,
    );
    expect(nodeSelectorRequirementMatches({ key: 'k', operator: 'Exists' }, undefined)).toBe(false);
    expect(nodeSelectorRequirementMatches({ key: 'k', operator: 'DoesNotExist' }, undefined)).toBe(true);
    expect(nodeSelectorRequirementMatches({ key: 'k', operator: 'Gt', values: ['4'] }, '8')).toBe(true);
    expect(nodeSelectorRequirementMatches({ key: 'k', operator: 'Lt', values: ['4'] }, '8')).toBe(false);
    expect(nodeSelectorRequirementMatches({ key: 'k', operator: 'Gt', values: ['4', '5'] }, '8')).toBe(false);
    expect(nodeSelectorRequirementMatches({ key: 'k', operator: 'Gt', values: ['x'] }, '8')).toBe(false);
  });

  it('ANDs a term, matches fields only on metadata.name, and ORs terms; an empty term matches nothing', () => {
    const ssd = { key: 'disk', operator: 'In', values: ['ssd'] };
    const name = { key: 'metadata.name', operator: 'In', values: ['n1'] };
    expect(nodeSelectorTermMatches({ matchExpressions: [ssd], matchFields: [name] }, node)).toBe(true);
    expect(nodeSelectorTermMatches({ matchFields: [{ ...name, key: 'metadata.uid' }] }, node)).toBe(false);
    expect(nodeSelectorTermMatches({}, node)).toBe(false);
    expect(nodeSelectorTermsMatch([{}, { matchExpressions: [ssd] }], node)).toBe(true);
  });

  it('requires both nodeSelector and required node affinity of a pod spec', () => {
    expect(podSpecMatchesNode(undefined, node)).toBe(true);
    expect(podSpecMatchesNode({ nodeSelector: { disk: 'hdd' } }, node)).toBe(false);
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['16'] }] }],
        },
      },
    };
    expect(podSpecMatchesNode({ nodeSelector: { disk: 'ssd' }, affinity }, node)).toBe(false);
  });

  it('tolerates taints by effect, key and operator (Toleration.ToleratesTaint)', () => {
    const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    expect(toleratesTaint({ operator: 'Exists' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', value: 'gpu' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', value: 'cpu' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
    expect(toleratesTaint({ value: 'gpu' }, taint)).toBe(false); // Equal needs a key
  });
});
