import { harness, type TestHarness } from '../testing';
import type { PersistentVolumeClaim } from '@keelson/api';
import type { ControllerRevision, Pod, StatefulSet } from '../types';
import { StatefulSetController } from './statefulset-controller';

function makeSet(replicas: number, extra: Partial<StatefulSet['spec']> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default', uid: 'sts-uid', generation: 1 },
    spec: {
      replicas,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } },
      ...extra,
    },
  };
}
const pods = (h: TestHarness) =>
  h.client.objects<Pod>('pods').sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
const sts = (h: TestHarness) => h.client.peek<StatefulSet>('statefulsets', 'default', 'db')!;

async function step(h: TestHarness, c: StatefulSetController) {
  h.refresh('statefulsets', 'pods', 'controllerrevisions', 'persistentvolumeclaims');
  await c.sync('default/db');
  h.refresh('statefulsets', 'pods', 'controllerrevisions', 'persistentvolumeclaims');
}
/** Kubelet: every pod Running+Ready; deleted pods vanish. */
async function kubelet(h: TestHarness) {
  for (const p of pods(h)) {
    if (p.status?.phase !== 'Running') {
      await h.client.resource<Pod>('pods').updateStatus({
        ...p,
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
        },
      });
    }
  }
}

describe('StatefulSetController', () => {
  it('OrderedReady creates <name>-<ordinal> pods one at a time, waiting for readiness', async () => {
    const h = harness();
    h.seed('statefulsets', makeSet(3));
    const c = new StatefulSetController(h.ctx);
    await step(h, c);
    expect(pods(h).map((p) => p.metadata.name)).toEqual(['db-0']);
    const p0 = pods(h)[0]!;
    expect(p0.spec!.hostname).toBe('db-0');
    expect(p0.spec!.subdomain).toBe('db');
    const rev = h.client.objects<ControllerRevision>('controllerrevisions')[0]!;
    expect(rev.revision).toBe(1);
    expect(p0.metadata.labels).toMatchObject({
      app: 'db',
      'controller-revision-hash': rev.metadata.name,
      'statefulset.kubernetes.io/pod-name': 'db-0',
      'apps.kubernetes.io/pod-index': '0',
    });
    await step(h, c);
    expect(pods(h)).toHaveLength(1); // db-0 not ready yet
    await kubelet(h);
    await step(h, c);
    expect(pods(h).map((p) => p.metadata.name)).toEqual(['db-0', 'db-1']);
    await kubelet(h);
    await step(h, c);
    await kubelet(h);
    await step(h, c);
    expect(sts(h).status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: rev.metadata.name,
      updateRevision: rev.metadata.name,
    });
    expect(await h.events.lines()).toContain('SuccessfulCreate create Pod db-1 in StatefulSet db successful');
  });

  it('Parallel creates all pods at once; scale-down removes the highest ordinal', async () => {
    const h = harness();
    h.seed('statefulsets', makeSet(3, { podManagementPolicy: 'Parallel' }));
    const c = new StatefulSetController(h.ctx);
    await step(h, c);
    expect(pods(h)).toHaveLength(3);
    await kubelet(h);
    const s = sts(h);
    await h.client.resource<StatefulSet>('statefulsets').update({ ...s, spec: { ...s.spec, replicas: 1 } });
    await step(h, c);
    expect(
      h
        .writes()
        .filter((w) => w.startsWith('delete pods'))
        .sort(),
    ).toEqual(['delete pods default/db-1', 'delete pods default/db-2']);
  });

  it('RollingUpdate replaces pods from the highest ordinal down to the partition', async () => {
    const h = harness();
    h.seed(
      'statefulsets',
      makeSet(3, {
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
      }),
    );
    const c = new StatefulSetController(h.ctx);
    await step(h, c);
    await kubelet(h);
    await step(h, c);
    const s = sts(h);
    s.spec.template.spec!.containers[0]!.image = 'v2';
    await h.client.resource<StatefulSet>('statefulsets').update(s);
    await step(h, c);
    expect(h.writes().filter((w) => w.startsWith('delete pods'))).toEqual(['delete pods default/db-2']);
    await step(h, c); // recreate db-2 at the new revision
    await kubelet(h);
    await step(h, c);
    await step(h, c);
    await kubelet(h);
    await step(h, c);
    const deletes = h.writes().filter((w) => w.startsWith('delete pods'));
    expect(deletes).toEqual(['delete pods default/db-2', 'delete pods default/db-1']);
    const revs = h.client
      .objects<ControllerRevision>('controllerrevisions')
      .sort((a, b) => a.revision - b.revision);
    expect(revs).toHaveLength(2);
    const byName = Object.fromEntries(
      pods(h).map((p) => [p.metadata.name, p.metadata.labels!['controller-revision-hash']]),
    );
    expect(byName).toEqual({
      'db-0': revs[0]!.metadata.name,
      'db-1': revs[1]!.metadata.name,
      'db-2': revs[1]!.metadata.name,
    });
    expect(pods(h).find((p) => p.metadata.name === 'db-2')!.spec!.containers[0]!.image).toBe('v2');
    expect(sts(h).status).toMatchObject({
      updateRevision: revs[1]!.metadata.name,
      currentRevision: revs[0]!.metadata.name,
      updatedReplicas: 2,
      currentReplicas: 1,
    });
  });

  it('OnDelete gives only recreated pods the new revision', async () => {
    const h = harness();
    h.seed(
      'statefulsets',
      makeSet(2, { podManagementPolicy: 'Parallel', updateStrategy: { type: 'OnDelete' } }),
    );
    const c = new StatefulSetController(h.ctx);
    await step(h, c);
    await kubelet(h);
    const s = sts(h);
    s.spec.template.spec!.containers[0]!.image = 'v2';
    await h.client.resource<StatefulSet>('statefulsets').update(s);
    await step(h, c);
    expect(h.writes().filter((w) => w.startsWith('delete pods'))).toEqual([]);
    await h.client.resource('pods').delete('default', 'db-0');
    await step(h, c);
    expect(pods(h).find((p) => p.metadata.name === 'db-0')!.spec!.containers[0]!.image).toBe('v2');
    expect(pods(h).find((p) => p.metadata.name === 'db-1')!.spec!.containers[0]!.image).toBe('v1');
  });

  it('volumeClaimTemplates: claims <template>-<set>-<ordinal> are created before their pods, mounted, and kept on scale-down', async () => {
    const h = harness();
    h.seed(
      'statefulsets',
      makeSet(2, {
        podManagementPolicy: 'Parallel',
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: { disk: 'ssd' } },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      }),
    );
    const c = new StatefulSetController(h.ctx);
    await step(h, c);
    const w = h.writes();
    expect(w.indexOf('create persistentvolumeclaims default/data-db-0')).toBeLessThan(
      w.indexOf('create pods default/db-0'),
    );
    const claims = h.client
      .objects<PersistentVolumeClaim>('persistentvolumeclaims')
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
    expect(claims.map((x) => x.metadata.name)).toEqual(['data-db-0', 'data-db-1']);
    expect(claims[0]!.metadata.labels).toEqual({ disk: 'ssd', app: 'db' });
    expect(claims[0]!.metadata.ownerReferences).toBeUndefined();
    expect(claims[0]!.spec!.resources!.requests!.storage).toBe('1Gi');
    expect(pods(h)[1]!.spec!.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } },
    ]);
    expect(await h.events.lines()).toContain(
      'SuccessfulCreate create Claim data-db-0 Pod db-0 in StatefulSet db success',
    );

    // Scale to 0: pods go, claims stay (Retain); scale back: the same claims are reused.
    await kubelet(h);
    const s = sts(h);
    await h.client.resource<StatefulSet>('statefulsets').update({ ...s, spec: { ...s.spec, replicas: 0 } });
    await step(h, c);
    expect(pods(h)).toHaveLength(0);
    expect(h.client.objects('persistentvolumeclaims')).toHaveLength(2);
    const s2 = sts(h);
    await h.client.resource<StatefulSet>('statefulsets').update({ ...s2, spec: { ...s2.spec, replicas: 1 } });
    await step(h, c);
    expect(pods(h)[0]!.spec!.volumes![0]!.persistentVolumeClaim!.claimName).toBe('data-db-0');
    expect(h.writes().filter((x) => x.startsWith('create persistentvolumeclaims'))).toHaveLength(2);
  });
});
