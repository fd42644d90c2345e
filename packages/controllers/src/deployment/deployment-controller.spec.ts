import { harness, type TestHarness } from '../testing';
import type { Deployment, ReplicaSet } from '../types';
import { DeploymentController } from './deployment-controller';

function makeDeployment(
  replicas: number,
  image = 'v1',
  strategy: Deployment['spec']['strategy'] = {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: 1, maxUnavailable: 1 },
  },
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
      strategy,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
  };
}

const sets = (h: TestHarness) =>
  h.client
    .objects<ReplicaSet>('replicasets')
    .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
const dep = (h: TestHarness) => h.client.peek<Deployment>('deployments', 'default', 'web')!;
const cond = (h: TestHarness, type: string) => dep(h).status?.conditions?.find((c) => c.type === type);

/** What the ReplicaSet controller + kubelets would do: every set's pods exist and are available. */
async function settleSets(h: TestHarness, availableFor?: (rs: ReplicaSet) => number) {
  for (const rs of sets(h)) {
    const n = rs.spec.replicas ?? 0;
    const a = availableFor ? availableFor(rs) : n;
    await h.client.resource<ReplicaSet>('replicasets').updateStatus({
      ...rs,
      status: {
        replicas: n,
        readyReplicas: a,
        availableReplicas: a,
        fullyLabeledReplicas: n,
        observedGeneration: rs.metadata.generation,
      },
    });
  }
}

async function step(h: TestHarness, c: DeploymentController) {
  h.refresh('deployments', 'replicasets');
  const r = await c.sync('default/web');
  h.refresh('deployments', 'replicasets');
  return r;
}

async function rollOut(
  h: TestHarness,
  c: DeploymentController,
  replicas: number,
  surge: number,
  unavail: number,
) {
  for (let i = 0; i < 50; i++) {
    await step(h, c);
    const all = sets(h);
    const total = all.reduce((n, r) => n + (r.spec.replicas ?? 0), 0);
    expect(total).toBeLessThanOrEqual(replicas + surge);
    await settleSets(h);
    const avail = sets(h).reduce((n, r) => n + (r.status?.availableReplicas ?? 0), 0);
    expect(avail).toBeGreaterThanOrEqual(replicas - unavail);
    const d = dep(h);
    if (
      d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason === 'NewReplicaSetAvailable' &&
      d.status.updatedReplicas === replicas &&
      d.status.replicas === replicas
    )
      return;
  }
  throw new Error('rollout did not complete');
}

describe('DeploymentController', () => {
  it('creates the first ReplicaSet with the template hash, revision 1 and a ScalingReplicaSet event', async () => {
    const h = harness();
    h.seed('deployments', makeDeployment(3));
    const c = new DeploymentController(h.ctx);
    await step(h, c);
    const [rs] = sets(h);
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.spec.replicas).toBe(3);
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.template!.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(rs!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(dep(h).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(cond(h, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetCreated',
      message: `Created new replica set "web-${hash}"`,
    });
    expect(await h.events.lines()).toEqual([
      `ScalingReplicaSet Scaled up replica set web-${hash} from 0 to 3`,
    ]);
    await settleSets(h);
    await step(h, c);
    expect(dep(h).status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
      readyReplicas: 3,
      unavailableReplicas: 0,
      observedGeneration: 1,
    });
    expect(cond(h, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "web-${hash}" has successfully progressed.`,
    });
    expect(cond(h, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
  });

  it('rolls out a template change within maxSurge/maxUnavailable, then rolls back reusing the old set', async () => {
    const h = harness();
    h.seed('deployments', makeDeployment(5));
    const c = new DeploymentController(h.ctx);
    await rollOut(h, c, 5, 1, 1);
    const first = sets(h)[0]!.metadata.name!;
    const d = dep(h);
    d.spec.template.spec!.containers[0]!.image = 'v2';
    await h.client.resource('deployments').update(d);
    await rollOut(h, c, 5, 1, 1);
    expect(sets(h)).toHaveLength(2);
    const second = sets(h).find((r) => r.metadata.name !== first)!;
    expect(second.spec.replicas).toBe(5);
    expect(sets(h).find((r) => r.metadata.name === first)!.spec.replicas).toBe(0);
    expect(dep(h).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(await h.events.lines()).toContain(
      `ScalingReplicaSet Scaled up replica set ${second.metadata.name} from 0 to 1`,
    );
    expect(await h.events.lines()).toContain(
      `ScalingReplicaSet Scaled down replica set ${first} from 5 to 4`,
    );
    // kubectl rollout undo: the template goes back to the first set's (minus its hash label).
    const d2 = dep(h);
    d2.spec.template.spec!.containers[0]!.image = 'v1';
    await h.client.resource('deployments').update(d2);
    await rollOut(h, c, 5, 1, 1);
    expect(sets(h)).toHaveLength(2);
    const reused = sets(h).find((r) => r.metadata.name === first)!;
    expect(reused.spec.replicas).toBe(5);
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(dep(h).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('Recreate scales every old set to 0 and waits for old pods before creating the new set', async () => {
    const h = harness();
    h.seed('deployments', makeDeployment(2, 'v1', { type: 'Recreate' }));
    const c = new DeploymentController(h.ctx);
    await step(h, c);
    await settleSets(h);
    await step(h, c);
    const d = dep(h);
    d.spec.template.spec!.containers[0]!.image = 'v2';
    await h.client.resource('deployments').update(d);
    await step(h, c);
    expect(sets(h).map((r) => r.spec.replicas)).toEqual([0]);
    // old pods still reported: no new set yet.
    await step(h, c);
    expect(sets(h)).toHaveLength(1);
    await settleSets(h);
    await step(h, c);
    expect(sets(h)).toHaveLength(2);
    expect(
      sets(h)
        .map((r) => r.spec.replicas)
        .sort(),
    ).toEqual([0, 2]);
  });

  it('pauses, scales proportionally while paused, and resumes', async () => {
    const h = harness();
    h.seed('deployments', makeDeployment(4));
    const c = new DeploymentController(h.ctx);
    await rollOut(h, c, 4, 1, 1);
    const d = dep(h);
    d.spec.paused = true;
    d.spec.template.spec!.containers[0]!.image = 'v2';
    await h.client.resource('deployments').update(d);
    await step(h, c);
    expect(cond(h, 'Progressing')).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    });
    expect(sets(h)).toHaveLength(1);
    const d2 = dep(h);
    d2.spec.replicas = 6;
    await h.client.resource('deployments').update(d2);
    await step(h, c);
    expect(sets(h)[0]!.spec.replicas).toBe(6);
    const d3 = dep(h);
    d3.spec.paused = false;
    await h.client.resource('deployments').update(d3);
    await step(h, c);
    expect(sets(h)).toHaveLength(2);
    expect((await h.events.lines()).some((l) => l.includes('from 0 to 1'))).toBe(true);
  });

  it('reports ProgressDeadlineExceeded when the new set never becomes available', async () => {
    const h = harness();
    const d0 = makeDeployment(2);
    d0.spec.progressDeadlineSeconds = 60;
    h.seed('deployments', d0);
    const c = new DeploymentController(h.ctx);
    const r = await step(h, c);
    expect(r).toEqual({ requeueAfterMs: 61_000 });
    await settleSets(h, () => 0);
    await step(h, c);
    h.clock.step(61_000);
    await step(h, c);
    expect(cond(h, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(cond(h, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });

  it('cleans up old sets beyond revisionHistoryLimit', async () => {
    const h = harness();
    const d0 = makeDeployment(1);
    d0.spec.revisionHistoryLimit = 1;
    h.seed('deployments', d0);
    const c = new DeploymentController(h.ctx);
    for (const img of ['v1', 'v2', 'v3', 'v4']) {
      const d = dep(h);
      d.spec.template.spec!.containers[0]!.image = img;
      await h.client.resource('deployments').update(d);
      await rollOut(h, c, 1, 1, 1);
    }
    await step(h, c);
    expect(sets(h)).toHaveLength(2);
    expect(h.client.actions.filter((a) => a.verb === 'delete' && a.resource === 'replicasets')).toHaveLength(
      2,
    );
  });
});
