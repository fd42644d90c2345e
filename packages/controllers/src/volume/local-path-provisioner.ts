/**
 * The local-path provisioner: k3s's dynamic provisioner (rancher/local-path-provisioner) built
 * into the controller manager. It answers claims the binder annotated
 * `volume.kubernetes.io/storage-provisioner: rancher.io/local-path` (k3s's provisioner name, so
 * manifests written for k3s work unchanged) once the scheduler chose a node
 * (`volume.kubernetes.io/selected-node`; the class is WaitForFirstConsumer), by creating a
 * PersistentVolume `pvc-<claim uid>`:
 *
 * - `hostPath: {path: <dir>/pvc-<uid>_<namespace>_<claim>, type: DirectoryOrCreate}`, where
 *   `<dir>` is {@link LocalPathOptions.storageDir} with `{node}` replaced by the node's name —
 *   the kubelet creates the directory on the node when it first mounts the volume (controllers
 *   do not run on nodes);
 * - `nodeAffinity` requiring `kubernetes.io/hostname In [<node>]`, so every later pod using the
 *   claim is scheduled to that node;
 * - the claim's access modes and requested size (not enforced: a directory has no quota, as
 *   upstream), the class's reclaim policy, `claimRef` pre-bound to the claim, and
 *   `pv.kubernetes.io/provisioned-by: rancher.io/local-path`.
 *
 * Deletion: when such a volume is Released with reclaim policy Delete, a helper pod
 * `helper-pod-delete-<pv>` in kube-system runs `rm -rf` on the directory on the volume's node
 * (busybox, hostPath of the parent directory, as upstream's helper pods); once it Succeeded the
 * pod and the volume are deleted. If the node no longer exists the volume is deleted and the
 * directory is left (event VolumeFailedDelete says so).
 *
 * At start it creates the StorageClass `local-path` (default class, WaitForFirstConsumer,
 * reclaimPolicy Delete) when no class of that name exists.
 */
import {
  DEFAULT_STORAGE_CLASS_ANNOTATION,
  PROVISIONED_BY_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
  type KubeObject,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  type StorageClass,
} from '@keelson/api';
import type { EventRecorder } from '@keelson/client';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isAlreadyExistsErr, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import { keyOf } from '../util/objects';

/** The provisioner name (k3s's). */
export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
/** The StorageClass created at start. */
export const LOCAL_PATH_CLASS = 'local-path';
/** Default storage directory on every node (k3s: /var/lib/rancher/k3s/storage). */
export const DEFAULT_LOCAL_PATH_DIR = '/var/lib/keelson/storage';

/** Options of {@link LocalPathProvisioner}. */
export interface LocalPathOptions {
  /**
   * Directory on the node that holds the volumes; `{node}` is replaced by the node name (for
   * several nodes sharing one filesystem). Default {@link DEFAULT_LOCAL_PATH_DIR}.
   */
  storageDir?: string;
  /** Image of the helper pod that deletes a volume's directory (default "busybox"). */
  helperImage?: string;
  /** Namespace of helper pods (default "kube-system"). */
  helperNamespace?: string;
  /** Create the `local-path` StorageClass at start when absent (default true). */
  createStorageClass?: boolean;
}

const CLAIM = 'claim:';
const VOLUME = 'volume:';
const CLASS = 'class';

/** The node a local-path volume lives on (its nodeAffinity hostname), or undefined. */
export function volumeNode(pv: PersistentVolume): string | undefined {
  for (const t of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [])
    for (const e of t.matchExpressions ?? [])
      if (e.key === 'kubernetes.io/hostname' && e.operator === 'In' && e.values?.length === 1)
        return e.values[0];
  return undefined;
}

/** The PersistentVolume the provisioner makes for `claim` on `node` (see the file comment). */
export function localPathVolume(
  claim: PersistentVolumeClaim,
  sc: StorageClass,
  node: string,
  storageDir: string,
): PersistentVolume {
  const ns = claim.metadata.namespace!;
  const name = `pvc-${claim.metadata.uid}`;
  const dir = storageDir.replace(/\{node\}/g, node).replace(/\/+$/, '');
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '0' },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata.name,
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      hostPath: { path: `${dir}/${name}_${ns}_${claim.metadata.name}`, type: 'DirectoryOrCreate' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
          ],
        },
      },
      claimRef: {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: ns,
        name: claim.metadata.name,
        uid: claim.metadata.uid,
        resourceVersion: claim.metadata.resourceVersion,
      },
    },
  };
}

/** The default StorageClass `local-path`. */
export function localPathStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_CLASS, annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** The local-path provisioner controller ("local-path-provisioner"). */
export class LocalPathProvisioner extends QueueController {
  readonly name = 'local-path-provisioner';
  private readonly claims: SharedInformerLike<PersistentVolumeClaim>;
  private readonly volumes: SharedInformerLike<PersistentVolume>;
  private readonly classes: SharedInformerLike<StorageClass>;
  private readonly events: EventRecorder;
  private readonly storageDir: string;
  private readonly helperImage: string;
  private readonly helperNamespace: string;
  private readonly createClass: boolean;

  constructor(ctx: ControllerContext, opts: LocalPathOptions = {}) {
    super(ctx);
    this.storageDir = opts.storageDir ?? DEFAULT_LOCAL_PATH_DIR;
    this.helperImage = opts.helperImage ?? 'busybox';
    this.helperNamespace = opts.helperNamespace ?? 'kube-system';
    this.createClass = opts.createStorageClass ?? true;
    this.events = ctx.recorder(LOCAL_PATH_PROVISIONER);
    this.claims = ctx.informers.informer<PersistentVolumeClaim>('persistentvolumeclaims');
    this.volumes = ctx.informers.informer<PersistentVolume>('persistentvolumes');
    this.classes = ctx.informers.informer<StorageClass>('storageclasses');
    const onClaim = (c: PersistentVolumeClaim) => {
      if (
        c.metadata.annotations?.[STORAGE_PROVISIONER_ANNOTATION] === LOCAL_PATH_PROVISIONER &&
        !c.spec?.volumeName
      )
        this.queue.add(CLAIM + keyOf(c));
    };
    this.claims.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c) });
    const onVolume = (pv: PersistentVolume) => {
      if (pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] === LOCAL_PATH_PROVISIONER)
        this.queue.add(VOLUME + pv.metadata.name);
    };
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, pv) => onVolume(pv) });
  }

  override run(workers: number): void {
    if (this.createClass) this.queue.add(CLASS);
    super.run(workers);
  }

  /** Converges the class, one claim or one volume. */
  async sync(key: string): Promise<SyncResult> {
    if (key === CLASS) return this.ensureClass();
    if (key.startsWith(CLAIM)) {
      const [ns, name] = key.slice(CLAIM.length).split('/') as [string, string];
      const c = this.claims.lister().get(ns, name);
      if (c) await this.provision(c);
      return;
    }
    if (key.startsWith(VOLUME)) {
      const pv = this.volumes.lister().get(undefined, key.slice(VOLUME.length));
      if (pv) return this.reclaim(pv);
    }
  }

  private async ensureClass(): Promise<void> {
    const scs = this.ctx.client.resource<StorageClass>('storageclasses');
    try {
      await scs.get(undefined, LOCAL_PATH_CLASS);
      return;
    } catch (e) {
      if (!isNotFoundErr(e)) throw e;
    }
    try {
      await scs.create(localPathStorageClass());
      this.ctx.log.info({ storageClass: LOCAL_PATH_CLASS }, 'created the default StorageClass');
    } catch (e) {
      if (!isAlreadyExistsErr(e)) throw e;
    }
  }

  private claimObj(c: PersistentVolumeClaim): KubeObject {
    return { ...c, apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as KubeObject;
  }

  private async provision(c: PersistentVolumeClaim): Promise<void> {
    if (c.spec?.volumeName || c.metadata.deletionTimestamp) return;
    if (c.metadata.annotations?.[STORAGE_PROVISIONER_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return;
    const name = `pvc-${c.metadata.uid}`;
    if (this.volumes.lister().get(undefined, name)) return;
    const cls = c.spec?.storageClassName ?? '';
    const sc = this.classes.lister().get(undefined, cls);
    if (!sc || sc.provisioner !== LOCAL_PATH_PROVISIONER) return;
    const node = c.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (!node) {
      this.events.event(
        this.claimObj(c),
        'Warning',
        'ProvisioningFailed',
        `failed to provision volume with StorageClass "${cls}": configuration error, no node was specified`,
      );
      return;
    }
    if (c.spec?.volumeMode === 'Block') {
      this.events.event(
        this.claimObj(c),
        'Warning',
        'ProvisioningFailed',
        `failed to provision volume with StorageClass "${cls}": Block volume mode is not supported`,
      );
      return;
    }
    this.events.event(
      this.claimObj(c),
      'Normal',
      'Provisioning',
      `External provisioner is provisioning volume for claim "${c.metadata.namespace}/${c.metadata.name}"`,
    );
    const pv = localPathVolume(c, sc, node, this.storageDir);
    try {
      await this.ctx.client.resource<PersistentVolume>('persistentvolumes').create(pv);
    } catch (e) {
      if (isAlreadyExistsErr(e)) return;
      this.events.event(
        this.claimObj(c),
        'Warning',
        'ProvisioningFailed',
        `failed to provision volume with StorageClass "${cls}": ${(e as Error).message}`,
      );
      throw e;
    }
    this.events.event(
      this.claimObj(c),
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${name}`,
    );
  }

  /** Deletes a Released Delete-policy volume: helper pod removes the directory, then the volume goes. */
  private async reclaim(pv: PersistentVolume): Promise<SyncResult> {
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    if (pv.metadata.deletionTimestamp) return;
    const pvs = this.ctx.client.resource('persistentvolumes');
    const pods = this.ctx.client.resource<Pod>('pods');
    const obj = { ...pv, apiVersion: 'v1', kind: 'PersistentVolume' } as KubeObject;
    const node = volumeNode(pv);
    const path = pv.spec?.hostPath?.path;
    const deleteVolume = async () => {
      try {
        await pvs.delete(undefined, pv.metadata.name!);
      } catch (e) {
        if (!isNotFoundErr(e)) throw e;
      }
    };
    let nodeExists = false;
    if (node) {
      try {
        await this.ctx.client.resource('nodes').get(undefined, node);
        nodeExists = true;
      } catch (e) {
        if (!isNotFoundErr(e)) throw e;
      }
    }
    if (!node || !path || !nodeExists) {
      this.events.event(
        obj,
        'Warning',
        'VolumeFailedDelete',
        `node "${node ?? ''}" not found: deleting the volume, its directory ${path ?? ''} is left on the node`,
      );
      await deleteVolume();
      return;
    }
    const helperName = `helper-pod-delete-${pv.metadata.name}`.slice(0, 253);
    let helper: Pod | undefined;
    try {
      helper = await pods.get(this.helperNamespace, helperName);
    } catch (e) {
      if (!isNotFoundErr(e)) throw e;
    }
    if (!helper) {
      const parent = path.slice(0, path.lastIndexOf('/')) || '/';
      const base = path.slice(path.lastIndexOf('/') + 1);
      await pods.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: helperName,
          namespace: this.helperNamespace,
          labels: { 'app.kubernetes.io/managed-by': 'local-path-provisioner' },
        },
        spec: {
          nodeName: node,
          restartPolicy: 'Never',
          tolerations: [{ operator: 'Exists' }],
          containers: [
            {
              name: 'helper-pod',
              image: this.helperImage,
              imagePullPolicy: 'IfNotPresent',
              command: ['rm', '-rf', `/data/${base}`],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'data', hostPath: { path: parent, type: 'DirectoryOrCreate' } }],
        },
      });
      return { requeueAfterMs: 1000 };
    }
    const phase = helper.status?.phase;
    if (phase === 'Succeeded') {
      await pods.delete(this.helperNamespace, helperName).catch(() => undefined);
      await deleteVolume();
      return;
    }
    if (phase === 'Failed') {
      this.events.event(
        obj,
        'Warning',
        'VolumeFailedDelete',
        `helper pod ${helperName} failed to remove ${path}`,
      );
      await pods.delete(this.helperNamespace, helperName).catch(() => undefined);
      return { requeueAfterMs: 30_000 };
    }
    return { requeueAfterMs: 1000 };
  }
}
