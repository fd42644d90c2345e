/**
 * Matching a PersistentVolumeClaim to a PersistentVolume (k8s.io/kubernetes
 * pkg/controller/volume/persistentvolume index.go findBestMatchForClaim / util.FindMatchingVolume):
 * same storage class and volume mode, every requested access mode offered, enough capacity,
 * the claim's selector matching the volume's labels, node affinity admitting the selected node;
 * a volume pre-bound to the claim (claimRef) wins, otherwise the smallest that fits.
 */
import {
  compareQuantities,
  nodeSelectorTermsMatch,
  type Node,
  type PersistentVolume,
  type PersistentVolumeClaim,
} from '@keelson/api';
import { selectorMatcher } from '../util/selectors';

/** True when the volume's required node affinity admits `node` (no affinity: every node). */
export function volumeFitsNode(pv: PersistentVolume, node: Node): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms?.length) return true;
  return nodeSelectorTermsMatch(terms, node);
}

/** The claim's storage class ("" for none). */
export const claimClass = (c: PersistentVolumeClaim): string => c.spec?.storageClassName ?? '';

/** True when the volume's claimRef names this claim (namespace, name and, when set, uid). */
export function preBoundTo(pv: PersistentVolume, c: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  return (
    !!ref &&
    ref.namespace === c.metadata.namespace &&
    ref.name === c.metadata.name &&
    (!ref.uid || ref.uid === c.metadata.uid)
  );
}

/**
 * True when `pv` can serve `claim` (ignoring claimRef): class, volume mode, access modes,
 * capacity ≥ requests.storage, selector, and node affinity for `node` when given.
 */
export function volumeMatchesClaim(pv: PersistentVolume, claim: PersistentVolumeClaim, node?: Node): boolean {
  const s = pv.spec ?? {};
  const cs = claim.spec ?? {};
  if ((s.storageClassName ?? '') !== claimClass(claim)) return false;
  if ((s.volumeMode ?? 'Filesystem') !== (cs.volumeMode ?? 'Filesystem')) return false;
  const modes = s.accessModes ?? [];
  if (!(cs.accessModes ?? []).every((m) => modes.includes(m))) return false;
  const want = cs.resources?.requests?.storage;
  const have = s.capacity?.storage;
  if (want) {
    if (!have) return false;
    try {
      if (compareQuantities(String(have), String(want)) < 0) return false;
    } catch {
      return false;
    }
  }
  if (cs.selector && !selectorMatcher(cs.selector)(pv.metadata.labels)) return false;
  if (node && !volumeFitsNode(pv, node)) return false;
  return true;
}

/**
 * The best volume for `claim` among `volumes`: one pre-bound to it if it matches, else the
 * smallest Available, unclaimed, matching volume. Volumes being deleted are skipped.
 */
export function findBestMatch(
  claim: PersistentVolumeClaim,
  volumes: PersistentVolume[],
  node?: Node,
): PersistentVolume | undefined {
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (pv.metadata.deletionTimestamp) continue;
    const ref = pv.spec?.claimRef;
    if (ref && !preBoundTo(pv, claim)) continue;
    if (!volumeMatchesClaim(pv, claim, node)) continue;
    if (ref) return pv;
    const phase = pv.status?.phase ?? '';
    if (phase === 'Released' || phase === 'Failed') continue;
    if (
      !best ||
      compareQuantities(
        String(pv.spec?.capacity?.storage ?? '0'),
        String(best.spec?.capacity?.storage ?? '0'),
      ) < 0
    )
      best = pv;
  }
  return best;
}
