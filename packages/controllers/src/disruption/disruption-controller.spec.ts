import type { PodDisruptionBudget } from '@keelson/api';
import { harness, makePod, type TestHarness } from '../testing';
import { DisruptionController } from './disruption-controller';

const pdb = (spec: object, status?: object): PodDisruptionBudget =>
  ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'default', generation: 1 },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    ...(status ? { status } : {}),
  }) as PodDisruptionBudget;

async function drain(h: TestHarness, c: DisruptionController) {
  for (let i = 0; i < 10 && c.queue.len() > 0; i++) {
    const k = await c.queue.get();
    await c.processKey(k!);
    c.queue.done(k!);
    h.refresh('poddisruptionbudgets', 'pods');
  }
}

describe('DisruptionController', () => {
  it('writes the budget status from the covered pods and leaves it alone when current', async () => {
    const h = harness();
    h.seed(
      'pods',
      makePod('a', { labels: { app: 'web' }, ready: true }),
      makePod('b', { labels: { app: 'web' }, ready: true }),
      makePod('c', { labels: { app: 'web' }, ready: false }),
      makePod('x', { labels: { app: 'db' }, ready: true }),
    );
    h.seed('poddisruptionbudgets', pdb({ minAvailable: 1 }));
    const c = new DisruptionController(h.ctx);
    await drain(h, c);
    expect(h.writes()).toEqual(['update poddisruptionbudgets/status default/web']);
    const st = h.client.peek<PodDisruptionBudget>('poddisruptionbudgets', 'default', 'web')!.status!;
    expect(st).toMatchObject({
      observedGeneration: 1,
      expectedPods: 3,
      currentHealthy: 2,
      desiredHealthy: 1,
      disruptionsAllowed: 1,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }],
    });
    c.queue.add('default/web');
    await drain(h, c);
    expect(h.writes()).toHaveLength(1);
  });

  it("expects the replicas of the pods' Deployment for maxUnavailable budgets", async () => {
    const h = harness();
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', uid: 'uid-web' },
      spec: { replicas: 3, selector: {}, template: {} },
    };
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-1',
        namespace: 'default',
        uid: 'uid-web-1',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true },
        ],
      },
      spec: { replicas: 3, selector: {}, template: {} },
    };
    h.seed('deployments', deploy as never);
    h.seed('replicasets', rs as never);
    // one of the three pods has not been created yet
    h.seed(
      'pods',
      makePod('a', { labels: { app: 'web' }, ready: true, owner: rs as never }),
      makePod('b', { labels: { app: 'web' }, ready: true, owner: rs as never }),
    );
    h.seed('poddisruptionbudgets', pdb({ maxUnavailable: 1 }));
    const c = new DisruptionController(h.ctx);
    await drain(h, c);
    expect(
      h.client.peek<PodDisruptionBudget>('poddisruptionbudgets', 'default', 'web')!.status,
    ).toMatchObject({
      expectedPods: 3,
      currentHealthy: 2,
      desiredHealthy: 2,
      disruptionsAllowed: 0,
    });
  });
});
