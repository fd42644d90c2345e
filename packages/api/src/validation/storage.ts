/**
 * Validation of the storage kinds (k8s.io/kubernetes pkg/apis/core/validation
 * ValidatePersistentVolume / ValidatePersistentVolumeClaim and pkg/apis/storage/validation
 * ValidateStorageClass), with upstream's field paths and messages. Registered in validate.ts.
 */
import type { StatusCause } from '../meta';
import { compareQuantities, QuantityValue } from '../quantity';
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from '../status';
import { isQualifiedName } from './names';

type Causes = StatusCause[];
type Any = any;

/** The access modes a PersistentVolume or claim may list (sorted, as upstream prints them). */
export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const CLASS_RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

// Semantic equality: key order and unset/null/empty lists do not matter (apimachinery Semantic.DeepEqual).
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .filter((k) => {
          const x = (v as Any)[k];
          return x !== undefined && x !== null && !(Array.isArray(x) && x.length === 0);
        })
        .sort()
        .map((k) => [k, canonical((v as Any)[k])]),
    );
  return v;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
}

function accessModes(out: Causes, modes: string[] | undefined, path: string, required: string): void {
  if (!modes?.length) {
    out.push(fieldRequired(path, required));
    return;
  }
  for (const m of modes) if (!ACCESS_MODES.includes(m)) out.push(fieldNotSupported(path, m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1)
    out.push(fieldForbidden(path, 'may not use ReadWriteOncePod with other access modes'));
}

function positiveStorage(out: Causes, v: unknown, path: string): void {
  try {
    if (QuantityValue.parse(String(v)).sign() <= 0)
      out.push(fieldInvalid(path, v, 'must be greater than zero'));
  } catch {
    out.push(fieldInvalid(path, v, 'must be a valid quantity'));
  }
}

function volumeMode(out: Causes, v: string | undefined, path: string): void {
  if (v !== undefined && v !== null && !VOLUME_MODES.includes(v))
    out.push(fieldNotSupported(path, v, VOLUME_MODES));
}

/** ValidatePersistentVolume (+ ValidatePersistentVolumeUpdate when old is given). */
export function validatePersistentVolume(o: Any, old: Any): Causes {
  const out: Causes = [];
  const s = o.spec ?? {};
  accessModes(out, s.accessModes, 'spec.accessModes', 'must specify at least 1 access mode');
  const cap = s.capacity ?? {};
  if (Object.keys(cap).length === 0) out.push(fieldRequired('spec.capacity', ''));
  for (const [k, v] of Object.entries(cap)) {
    if (k !== 'storage') out.push(fieldNotSupported('spec.capacity', k, ['storage']));
    else positiveStorage(out, v, 'spec.capacity.storage');
  }
  const rp = s.persistentVolumeReclaimPolicy;
  if (rp && !RECLAIM_POLICIES.includes(rp))
    out.push(fieldNotSupported('spec.persistentVolumeReclaimPolicy', rp, RECLAIM_POLICIES));
  volumeMode(out, s.volumeMode, 'spec.volumeMode');
  const sources = ['hostPath', 'local'].filter((k) => s[k] !== undefined && s[k] !== null);
  if (sources.length === 0) out.push(fieldRequired('spec', 'must specify a volume type'));
  if (sources.length > 1)
    out.push(fieldForbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'));
  if (s.hostPath && !s.hostPath.path) out.push(fieldRequired('spec.hostPath.path', ''));
  if (s.local) {
    if (!s.local.path) out.push(fieldRequired('spec.local.path', ''));
    if (!s.nodeAffinity?.required)
      out.push(fieldRequired('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (s.nodeAffinity && !s.nodeAffinity.required?.nodeSelectorTerms?.length)
    out.push(fieldRequired('spec.nodeAffinity.required', 'must specify required node constraints'));
  if (s.storageClassName)
    for (const m of isQualifiedName(s.storageClassName))
      out.push(fieldInvalid('spec.storageClassName', s.storageClassName, m));
  if (old?.spec) {
    if (!same(s.hostPath, old.spec.hostPath) || !same(s.local, old.spec.local))
      out.push(
        fieldForbidden(
          'spec.persistentvolumesource',
          'spec.persistentvolumesource is immutable after creation',
        ),
      );
    if (old.spec.nodeAffinity && !same(s.nodeAffinity, old.spec.nodeAffinity))
      out.push(fieldInvalid('spec.nodeAffinity', s.nodeAffinity, 'field is immutable'));
    if (!same(s.volumeMode, old.spec.volumeMode))
      out.push(fieldInvalid('spec.volumeMode', s.volumeMode, 'field is immutable'));
  }
  return out;
}

/** ValidatePersistentVolumeClaimSpec. `path` is "spec" (or a template's spec). */
export function validatePersistentVolumeClaimSpec(s: Any, path: string): Causes {
  const out: Causes = [];
  s ??= {};
  accessModes(out, s.accessModes, `${path}.accessModes`, 'at least 1 access mode is required');
  const storage = s.resources?.requests?.storage;
  if (storage === undefined || storage === null) out.push(fieldRequired(`${path}.resources[storage]`, ''));
  else positiveStorage(out, storage, `${path}.resources[storage]`);
  volumeMode(out, s.volumeMode, `${path}.volumeMode`);
  if (s.storageClassName)
    for (const m of isQualifiedName(s.storageClassName))
      out.push(fieldInvalid(`${path}.storageClassName`, s.storageClassName, m));
  return out;
}

/**
 * ValidatePersistentVolumeClaim (+ update: the spec is immutable except resources.requests,
 * volumeAttributesClassName, a volumeName set where none was, and a storageClassName set where
 * none was; requests.storage may not shrink below the old value).
 */
export function validatePersistentVolumeClaim(o: Any, old: Any): Causes {
  const out = validatePersistentVolumeClaimSpec(o.spec, 'spec');
  if (old?.spec) {
    const n = { ...o.spec, resources: undefined, volumeAttributesClassName: undefined };
    const p = { ...old.spec, resources: undefined, volumeAttributesClassName: undefined };
    if (!p.volumeName) n.volumeName = p.volumeName;
    if (p.storageClassName === undefined || p.storageClassName === null)
      n.storageClassName = p.storageClassName;
    if (!same(n, p))
      out.push(
        fieldForbidden(
          'spec',
          'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
        ),
      );
    const ns = o.spec?.resources?.requests?.storage;
    const os = old.spec.resources?.requests?.storage;
    if (ns && os) {
      try {
        if (compareQuantities(String(ns), String(os)) < 0)
          out.push(
            fieldForbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'),
          );
      } catch {
        // reported above
      }
    }
  }
  return out;
}

/** ValidateStorageClass (+ ValidateStorageClassUpdate). */
export function validateStorageClass(o: Any, old: Any): Causes {
  const out: Causes = [];
  if (!o.provisioner) out.push(fieldRequired('provisioner', ''));
  else
    for (const m of isQualifiedName(o.provisioner)) out.push(fieldInvalid('provisioner', o.provisioner, m));
  if (o.reclaimPolicy && !CLASS_RECLAIM_POLICIES.includes(o.reclaimPolicy))
    out.push(fieldNotSupported('reclaimPolicy', o.reclaimPolicy, CLASS_RECLAIM_POLICIES));
  if (o.volumeBindingMode && !BINDING_MODES.includes(o.volumeBindingMode))
    out.push(fieldNotSupported('volumeBindingMode', o.volumeBindingMode, BINDING_MODES));
  if (old) {
    if (!same(o.parameters, old.parameters))
      out.push(fieldForbidden('parameters', 'updates to parameters are forbidden.'));
    if (o.provisioner !== old.provisioner)
      out.push(fieldForbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (o.reclaimPolicy !== old.reclaimPolicy)
      out.push(fieldForbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if (o.volumeBindingMode !== old.volumeBindingMode)
      out.push(fieldInvalid('volumeBindingMode', o.volumeBindingMode, 'field is immutable'));
  }
  return out;
}
