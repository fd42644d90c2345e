/**
 * ControllerRevision history for StatefulSets and DaemonSets (k8s.io/kubernetes
 * pkg/controller/history): one apps/v1 ControllerRevision per distinct pod template, named
 * `<owner>-<hash>`, labelled with the owner's selector labels and controller-revision-hash,
 * `data` holding the template as the strategic-merge patch upstream stores
 * ({"spec":{"template":{..., "$patch":"replace"}}}), `revision` increasing.
 */
import type { KubeObject } from '@keelson/api';
import type { Clientset } from '@keelson/client';
import type { ControllerRevision, PodTemplate } from '../types';
import { computeHash, equalIgnoreHash } from '../deployment/deployment-util';
import { controllerOf, controllerRef } from './objects';
import { isAlreadyExistsErr, isNotFoundErr } from '../runtime/controller';

/** Label with the revision name on pods and revisions. */
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';

/** The template stored in a revision. */
export function revisionTemplate(r: ControllerRevision): PodTemplate {
  const data = r.data as { spec?: { template?: PodTemplate & { $patch?: string } } } | undefined;
  const t = data?.spec?.template ?? {};
  const { $patch: _p, ...rest } = t;
  return rest;
}

/** Revisions owned by `owner` (controller ownerReference uid), sorted by revision number. */
export function ownedRevisions(owner: KubeObject, all: ControllerRevision[]): ControllerRevision[] {
  return all
    .filter((r) => controllerOf(r)?.uid === owner.metadata.uid)
    .sort((a, b) => a.revision - b.revision || (a.metadata.name! < b.metadata.name! ? -1 : 1));
}

/**
 * Finds or creates the revision for `template`: an equal one is reused (and renumbered to be
 * the newest, as upstream does when rolling back); otherwise a new one with revision max+1.
 */
export async function ensureRevision(
  client: Clientset,
  owner: KubeObject & { spec: { template: PodTemplate } },
  ownerKind: string,
  revisions: ControllerRevision[],
  selectorLabels: Record<string, string>,
  collisionCount?: number,
): Promise<{ revision: ControllerRevision; revisions: ControllerRevision[] }> {
  const rc = client.resource<ControllerRevision>('controllerrevisions');
  const max = revisions.reduce((m, r) => Math.max(m, r.revision), 0);
  const equal = revisions.filter((r) => equalIgnoreHash(revisionTemplate(r), owner.spec.template));
  if (equal.length) {
    const r = equal[equal.length - 1]!;
    if (r.revision === max) return { revision: r, revisions };
    const updated = await rc.update({ ...r, revision: max + 1 });
    return {
      revision: updated,
      revisions: revisions.map((x) => (x.metadata.name === r.metadata.name ? updated : x)),
    };
  }
  const hash = computeHash(owner.spec.template, collisionCount);
  const name = `${owner.metadata.name}-${hash}`;
  const rev: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: owner.metadata.namespace,
      labels: { ...selectorLabels, [CONTROLLER_REVISION_HASH]: hash },
      ownerReferences: [controllerRef(owner, 'apps/v1', ownerKind)],
    },
    data: { spec: { template: { ...owner.spec.template, $patch: 'replace' } } },
    revision: max + 1,
  };
  try {
    const created = await rc.create(rev);
    return { revision: created, revisions: [...revisions, created] };
  } catch (e) {
    if (!isAlreadyExistsErr(e)) throw e;
    const live = await rc.get(owner.metadata.namespace, name);
    if (
      controllerOf(live)?.uid === owner.metadata.uid &&
      equalIgnoreHash(revisionTemplate(live), owner.spec.template)
    ) {
      return { revision: live, revisions: [...revisions.filter((x) => x.metadata.name !== name), live] };
    }
    throw e;
  }
}

/** Deletes the oldest revisions not in `inUse` beyond `limit`. */
export async function truncateHistory(
  client: Clientset,
  revisions: ControllerRevision[],
  inUse: Set<string>,
  limit: number,
): Promise<void> {
  const rc = client.resource<ControllerRevision>('controllerrevisions');
  const stale = revisions.filter((r) => !inUse.has(r.metadata.name!));
  for (const r of stale.slice(0, Math.max(0, stale.length - limit))) {
    await rc.delete(r.metadata.namespace, r.metadata.name!).catch((e) => {
      if (!isNotFoundErr(e)) throw e;
    });
  }
}
