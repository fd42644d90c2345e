import type { Pod } from '@keelson/api';
import { defaultObject } from './admission';

const pod = (tolerations?: NonNullable<Pod['spec']>['tolerations']): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], tolerations },
});

describe('DefaultTolerationSeconds admission', () => {
  it('adds not-ready and unreachable NoExecute tolerations for 300 s by default', () => {
    const out = defaultObject(pod()) as Pod;
    expect(out.spec!.tolerations).toEqual(
      expect.arrayContaining([
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ]),
    );
  });

  it('uses the configured seconds (--default-*-toleration-seconds)', () => {
    const out = defaultObject(pod(), {
      defaultNotReadyTolerationSeconds: 10,
      defaultUnreachableTolerationSeconds: 20,
    }) as Pod;
    const secs = Object.fromEntries(out.spec!.tolerations!.map((t) => [t.key, t.tolerationSeconds]));
    expect(secs).toEqual({ 'node.kubernetes.io/not-ready': 10, 'node.kubernetes.io/unreachable': 20 });
  });

  it('keeps a toleration the pod set itself', () => {
    const mine = {
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 5000,
    };
    const out = defaultObject(pod([mine]), { defaultUnreachableTolerationSeconds: 20 }) as Pod;
    expect(
      out.spec!.tolerations!.find((t) => t.key === 'node.kubernetes.io/unreachable')!.tolerationSeconds,
    ).toBe(5000);
  });
});
