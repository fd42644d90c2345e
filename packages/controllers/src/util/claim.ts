/**
 * ControllerRefManager (k8s.io/kubernetes pkg/controller/controller_ref_manager.go): decides
 * which candidate objects an owner controls — keeps the ones it owns that still match, releases
 * owned ones that no longer match (removes its ownerReference), adopts matching orphans (adds a
 * controller ownerReference) unless the owner is being deleted or a live read says it changed.
 */
import type { KubeObject } from '@keelson/api';
import type { ResourceClient } from '@keelson/client';
import { isNotFoundErr } from '../runtime/controller';
import { controllerOf, controllerRef } from './objects';

/** What {@link claimObjects} needs to know about the owner. */
export interface ClaimOwner {
  owner: KubeObject;
  apiVersion: string;
  kind: string;
  /** The selector as a predicate over labels. */
  match: (labels: Record<string, string> | undefined) => boolean;
  /** Live check before the first adoption; resolves false to forbid adopting. */
  canAdopt: () => Promise<boolean>;
}

/**
 * Claims `candidates` for `o.owner`, patching (JSON merge patch of metadata.ownerReferences,
 * with the read resourceVersion as precondition) through `client`. Returns the claimed objects
 * (adopted ones as the patch returned them). Patch errors other than NotFound are thrown.
 */
export async function claimObjects<T extends KubeObject>(
  o: ClaimOwner,
  candidates: T[],
  client: ResourceClient<T>,
): Promise<T[]> {
  const out: T[] = [];
  const uid = o.owner.metadata.uid;
  const ownerDeleting = !!o.owner.metadata.deletionTimestamp;
  let adoptOk: boolean | undefined;
  for (const c of candidates) {
    const ref = controllerOf(c);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (o.match(c.metadata.labels)) {
        out.push(c);
        continue;
      }
      if (ownerDeleting) continue;
      try {
        await client.patch(c.metadata.namespace, c.metadata.name!, 'merge', {
          metadata: {
            ownerReferences: (c.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid),
            resourceVersion: c.metadata.resourceVersion,
          },
        });
      } catch (e) {
        if (!isNotFoundErr(e)) throw e;
      }
      continue;
    }
    if (ownerDeleting || c.metadata.deletionTimestamp || !o.match(c.metadata.labels)) continue;
    if (adoptOk === undefined) adoptOk = await o.canAdopt().catch(() => false);
    if (!adoptOk) continue;
    try {
      out.push(
        await client.patch(c.metadata.namespace, c.metadata.name!, 'merge', {
          metadata: {
            ownerReferences: [
              ...(c.metadata.ownerReferences ?? []),
              controllerRef(o.owner, o.apiVersion, o.kind),
            ],
            resourceVersion: c.metadata.resourceVersion,
          },
        }),
      );
    } catch (e) {
      if (!isNotFoundErr(e)) throw e;
    }
  }
  return out;
}

/** A canAdopt that re-reads the owner and checks it is the same (uid) and not being deleted. */
export function liveOwnerCheck(client: ResourceClient, owner: KubeObject): () => Promise<boolean> {
  return async () => {
    const live = await client.get(owner.metadata.namespace, owner.metadata.name!);
    return live.metadata.uid === owner.metadata.uid && !live.metadata.deletionTimestamp;
  };
}
