/**
 * Defaulting of the storage kinds (k8s.io/kubernetes pkg/apis/core/v1 SetDefaults_PersistentVolume,
 * SetDefaults_PersistentVolumeClaim(Spec) and pkg/apis/storage/v1 SetDefaults_StorageClass).
 * Registered in defaults.ts.
 */
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec } from './core-v1';
import type { StorageClass } from './storage-v1';

/** volumeMode "Filesystem" when unset (claims and claim templates). */
export function defaultPersistentVolumeClaimSpec(spec: PersistentVolumeClaimSpec | undefined): void {
  if (spec && (spec.volumeMode === undefined || spec.volumeMode === null)) spec.volumeMode = 'Filesystem';
}

/** PersistentVolume: reclaim policy "Retain", volumeMode "Filesystem", status.phase "Pending". */
export function defaultPersistentVolume(pv: PersistentVolume): void {
  const s = (pv.spec ??= {});
  s.persistentVolumeReclaimPolicy ??= 'Retain';
  s.volumeMode ??= 'Filesystem';
  const st = (pv.status ??= {});
  st.phase ||= 'Pending';
}

/** PersistentVolumeClaim: volumeMode "Filesystem", status.phase "Pending". */
export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): void {
  defaultPersistentVolumeClaimSpec((pvc.spec ??= {}));
  const st = (pvc.status ??= {});
  st.phase ||= 'Pending';
}

/** StorageClass: reclaimPolicy "Delete", volumeBindingMode "Immediate". */
export function defaultStorageClass(sc: StorageClass): void {
  sc.reclaimPolicy ??= 'Delete';
  sc.volumeBindingMode ??= 'Immediate';
}
