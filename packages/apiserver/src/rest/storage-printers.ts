/**
 * `kubectl get` columns of the storage kinds (kubernetes pkg/printers/internalversion/printers.go:
 * printPersistentVolume, printPersistentVolumeClaim, printStorageClass, as of 1.32). Merged into
 * the printer table of table-printers.ts.
 */
import { DEFAULT_STORAGE_CLASS_ANNOTATION } from '@keelson/api';

type Cell = string | number | boolean;
type Any = any;
type Column = [name: string, type: string, priority: number, description: string];

/** The printer shape of table-printers.ts. */
export interface StoragePrinter {
  columns: Column[];
  row(o: Any, now: number, age: (ts: string | undefined, now: number) => string): Cell[];
}

const MODE_ABBREV: [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** Access modes as kubectl prints them: "RWO,ROX,RWX,RWOP" in that order, each once. */
export function accessModesString(modes: string[] | undefined): string {
  const set = new Set(modes ?? []);
  return MODE_ABBREV.filter(([m]) => set.has(m))
    .map(([, a]) => a)
    .join(',');
}

const NAME: Column = ['Name', 'string', 0, 'Name must be unique within a namespace.'];
const AGE: Column = [
  'Age',
  'string',
  0,
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
];

/** Printers by resource. */
export const storagePrinters: Record<string, StoragePrinter> = {
  persistentvolumes: {
    columns: [
      NAME,
      [
        'Capacity',
        'string',
        0,
        "capacity is the description of the persistent volume's resources and capacity.",
      ],
      ['Access Modes', 'string', 0, 'accessModes contains all ways the volume can be mounted.'],
      [
        'Reclaim Policy',
        'string',
        0,
        'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
      ],
      [
        'Status',
        'string',
        0,
        'phase indicates if a volume is available, bound to a claim, or released by a claim.',
      ],
      [
        'Claim',
        'string',
        0,
        'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
      ],
      [
        'StorageClass',
        'string',
        0,
        'storageClassName is the name of StorageClass to which this persistent volume belongs.',
      ],
      [
        'VolumeAttributesClass',
        'string',
        0,
        'Name of VolumeAttributesClass to which this persistent volume belongs.',
      ],
      ['Reason', 'string', 0, 'reason is a brief CamelCase string that describes any failure.'],
      AGE,
      [
        'VolumeMode',
        'string',
        1,
        'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
      ],
    ],
    row(o, now, age) {
      const s = o.spec ?? {};
      const ref = s.claimRef;
      return [
        o.metadata.name,
        s.capacity?.storage ?? '',
        accessModesString(s.accessModes),
        s.persistentVolumeReclaimPolicy ?? '',
        o.metadata.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''),
        ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
        s.storageClassName ?? '',
        s.volumeAttributesClassName || '<unset>',
        o.status?.reason ?? '',
        age(o.metadata.creationTimestamp, now),
        s.volumeMode || '<unset>',
      ];
    },
  },
  persistentvolumeclaims: {
    columns: [
      NAME,
      ['Status', 'string', 0, 'phase represents the current phase of PersistentVolumeClaim.'],
      [
        'Volume',
        'string',
        0,
        'volumeName is the binding reference to the PersistentVolume backing this claim.',
      ],
      ['Capacity', 'string', 0, 'capacity represents the actual resources of the underlying volume.'],
      ['Access Modes', 'string', 0, 'accessModes contains the desired access modes the volume should have.'],
      [
        'StorageClass',
        'string',
        0,
        'storageClassName is the name of the StorageClass required by the claim.',
      ],
      [
        'VolumeAttributesClass',
        'string',
        0,
        'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.',
      ],
      AGE,
      ['VolumeMode', 'string', 1, 'volumeMode defines what type of volume is required by the claim.'],
    ],
    row(o, now, age) {
      const s = o.spec ?? {};
      const bound = !!s.volumeName;
      return [
        o.metadata.name,
        o.metadata.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''),
        s.volumeName ?? '',
        bound ? (o.status?.capacity?.storage ?? '') : '',
        bound ? accessModesString(o.status?.accessModes) : '',
        s.storageClassName ?? '',
        s.volumeAttributesClassName || '<unset>',
        age(o.metadata.creationTimestamp, now),
        s.volumeMode || '<unset>',
      ];
    },
  },
  storageclasses: {
    columns: [
      NAME,
      ['Provisioner', 'string', 0, 'Indicates the type of the provisioner.'],
      [
        'ReclaimPolicy',
        'string',
        0,
        'Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy. Defaults to Delete.',
      ],
      [
        'VolumeBindingMode',
        'string',
        0,
        'VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound. When unset, VolumeBindingImmediate is used.',
      ],
      [
        'AllowVolumeExpansion',
        'string',
        0,
        'AllowVolumeExpansion shows whether the storage class allow volume expand.',
      ],
      AGE,
    ],
    row(o, now, age) {
      const name =
        o.metadata.annotations?.[DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true'
          ? `${o.metadata.name} (default)`
          : o.metadata.name;
      return [
        name,
        o.provisioner ?? '',
        o.reclaimPolicy ?? 'Delete',
        o.volumeBindingMode ?? 'Immediate',
        !!o.allowVolumeExpansion,
        age(o.metadata.creationTimestamp, now),
      ];
    },
  },
};
