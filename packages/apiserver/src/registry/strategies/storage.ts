/**
 * Strategies of the storage kinds and the DefaultStorageClass admission plugin
 * (k8s.io/kubernetes plugin/pkg/admission/storage/storageclass/setdefault).
 */
import { DEFAULT_STORAGE_CLASS_ANNOTATION, type KubeObject, type PersistentVolumeClaim } from '@keelson/api';
import type { Strategy } from '../strategy';

/** PersistentVolumes: status subresource (the binder writes phase); field selector status.phase. */
export const persistentVolumeStrategy: Strategy = {
  statusSubresource: true,
  fields: (o) => ({ 'status.phase': String((o as { status?: { phase?: string } }).status?.phase ?? '') }),
};

/** PersistentVolumeClaims: status subresource (the binder writes phase, capacity, access modes). */
export const persistentVolumeClaimStrategy: Strategy = {
  statusSubresource: true,
};

/**
 * The default StorageClass among `classes`: those annotated
 * `storageclass.kubernetes.io/is-default-class: "true"`; with several, the newest (by
 * creationTimestamp, then name), as upstream since 1.26. Undefined when none is marked.
 */
export function defaultStorageClass(classes: KubeObject[]): KubeObject | undefined {
  const defaults = classes.filter(
    (c) =>
      c.metadata.annotations?.[DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true' && !c.metadata.deletionTimestamp,
  );
  defaults.sort(
    (a, b) =>
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  return defaults[0];
}

/**
 * DefaultStorageClass admission: a claim created with no `spec.storageClassName` (unset, not "")
 * gets the default class's name. Claims asking for "" (no class) or a named class are untouched,
 * and so is every claim when no class is marked default. Mutates `pvc`.
 */
export function admitDefaultStorageClass(pvc: PersistentVolumeClaim, classes: KubeObject[]): void {
  const spec = (pvc.spec ??= {});
  if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
  const def = defaultStorageClass(classes);
  if (def?.metadata.name) spec.storageClassName = def.metadata.name;
}

/** Finalizer of claims in use by pods (StorageObjectInUseProtection admission). */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
/** Finalizer of bound volumes (StorageObjectInUseProtection admission). */
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/**
 * StorageObjectInUseProtection admission: a new claim gets `kubernetes.io/pvc-protection`, a
 * new volume `kubernetes.io/pv-protection`, so neither disappears while in use (the
 * controller manager's pvc-protection / pv-protection controllers remove them). Mutates `obj`.
 */
export function admitStorageProtection(resource: string, obj: KubeObject): void {
  const f =
    resource === 'persistentvolumeclaims'
      ? PVC_PROTECTION_FINALIZER
      : resource === 'persistentvolumes'
        ? PV_PROTECTION_FINALIZER
        : undefined;
  if (!f) return;
  const fins = (obj.metadata.finalizers ??= []);
  if (!fins.includes(f)) fins.push(f);
}
