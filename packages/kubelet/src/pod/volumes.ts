/**
 * Pod volumes materialized on the node under `<podDir>/volumes/<plugin>/<name>` and the CRI
 * mounts of each container (upstream volume plugins: empty-dir, configmap, secret, host-path,
 * downward-api, projected). ConfigMap/Secret/downwardAPI/projected contents are written with
 * the atomic writer layout (`..data` symlink to a timestamped directory, per-file symlinks), so
 * updates appear atomically inside running containers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import type { ConfigMap, Container, KeyToPath, Pod, Secret, Volume } from '@keelson/api';
import type { Mount } from '../cri/cri-api';
import { PodConfigError } from '../errors';
import { podFieldValue, resourceFieldValue, type NodeAllocatable, type ObjectSource } from './env';
import { bindMount } from './sandbox-config';
import { parseQuantity } from '../util/quantity';

/** Extra sources volumes need besides ConfigMaps/Secrets. */
export interface VolumeContext {
  src: ObjectSource;
  hostIp: string;
  podIps: string[];
  node: NodeAllocatable;
  /** Requests a service account token (TokenRequest); undefined when unavailable. */
  serviceAccountToken?(
    namespace: string,
    sa: string,
    audience: string | undefined,
    expirationSeconds: number,
    pod: Pod,
  ): Promise<string | undefined>;
}

/** Directory of a volume of the pod. */
export function volumeDir(podDir: string, v: Volume): string {
  const plugin = v.emptyDir
    ? 'kubernetes.io~empty-dir'
    : v.configMap
      ? 'kubernetes.io~configmap'
      : v.secret
        ? 'kubernetes.io~secret'
        : v.downwardAPI
          ? 'kubernetes.io~downward-api'
          : v.projected
            ? 'kubernetes.io~projected'
            : v.persistentVolumeClaim
              ? 'kubernetes.io~pvc'
              : 'kubernetes.io~other';
  return join(podDir, 'volumes', plugin, v.name);
}

/** Relative file path sanity check (no absolute paths, no ".."). */
function safeRel(p: string): string {
  const n = normalize(p);
  if (n.startsWith('/') || n.split('/').includes('..'))
    throw new PodConfigError('FailedMount', `invalid path "${p}"`);
  return n;
}

/**
 * Writes `files` (relative path → content + mode) into `dir` atomically: a new
 * `..<timestamp>` directory, `..data` symlink swapped with rename, top-level symlinks into
 * `..data`. Old data directories are removed.
 */
export async function atomicWrite(
  dir: string,
  files: Map<string, { data: Buffer; mode: number }>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (await sameContent(join(dir, '..data'), files)) return;
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  const tsDir = join(dir, stamp);
  await mkdir(tsDir, { recursive: true });
  for (const [rel, f] of files) {
    const p = join(tsDir, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, f.data);
    await chmod(p, f.mode);
  }
  let old: string | undefined;
  try {
    old = await readlink(join(dir, '..data'));
  } catch {
    old = undefined;
  }
  const tmpLink = join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(stamp, tmpLink);
  await rename(tmpLink, join(dir, '..data'));
  const tops = new Set([...files.keys()].map((k) => k.split('/')[0]!));
  for (const top of tops) {
    const link = join(dir, top);
    try {
      const st = await lstat(link);
      if (st.isSymbolicLink()) continue;
      await rm(link, { recursive: true, force: true });
    } catch {
      /* absent */
    }
    await symlink(join('..data', top), link);
  }
  if (old && old !== stamp) await rm(join(dir, old), { recursive: true, force: true });
}

/** True when `dataDir` holds exactly `files` (same paths, bytes and permission bits). */
async function sameContent(
  dataDir: string,
  files: Map<string, { data: Buffer; mode: number }>,
): Promise<boolean> {
  let present: string[];
  try {
    present = (await readdir(dataDir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => relative(dataDir, join(e.parentPath, e.name)));
  } catch {
    return false;
  }
  if (present.length !== files.size) return false;
  for (const [rel, f] of files) {
    const p = join(dataDir, rel);
    try {
      if (((await stat(p)).mode & 0o7777) !== f.mode || !(await readFile(p)).equals(f.data)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function projectKeys(
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
): Map<string, { data: Buffer; mode: number }> {
  const out = new Map<string, { data: Buffer; mode: number }>();
  if (items?.length) {
    for (const it of items) {
      const d = data[it.key];
      if (d === undefined) {
        if (optional) continue;
        throw new PodConfigError('FailedMount', `configmap/secret key "${it.key}" not found in ${what}`);
      }
      out.set(safeRel(it.path), { data: d, mode: it.mode ?? defaultMode });
    }
  } else {
    for (const [k, d] of Object.entries(data)) out.set(safeRel(k), { data: d, mode: defaultMode });
  }
  return out;
}

function cmData(cm: ConfigMap): Record<string, Buffer> {
  const o: Record<string, Buffer> = {};
  const x = cm as { data?: Record<string, string>; binaryData?: Record<string, string> };
  for (const [k, v] of Object.entries(x.data ?? {})) o[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries(x.binaryData ?? {})) o[k] = Buffer.from(v, 'base64');
  return o;
}

function secretData(s: Secret): Record<string, Buffer> {
  const o: Record<string, Buffer> = {};
  const x = s as { data?: Record<string, string>; stringData?: Record<string, string> };
  for (const [k, v] of Object.entries(x.data ?? {})) o[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(x.stringData ?? {})) o[k] ??= Buffer.from(v, 'utf8');
  return o;
}

function downwardFiles(
  pod: Pod,
  items: {
    path: string;
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { containerName?: string; resource: string; divisor?: string };
    mode?: number;
  }[],
  defaultMode: number,
  ctx: VolumeContext,
) {
  const out = new Map<string, { data: Buffer; mode: number }>();
  for (const it of items) {
    let v = '';
    if (it.fieldRef) v = podFieldValue(pod, it.fieldRef.fieldPath, ctx.hostIp, ctx.podIps);
    else if (it.resourceFieldRef) {
      const c =
        pod.spec!.containers.find((x) => x.name === it.resourceFieldRef!.containerName) ??
        pod.spec!.containers[0]!;
      v = resourceFieldValue(pod, c, it.resourceFieldRef.resource, it.resourceFieldRef.divisor, ctx.node);
    }
    out.set(safeRel(it.path), { data: Buffer.from(v, 'utf8'), mode: it.mode ?? defaultMode });
  }
  return out;
}

/**
 * Creates or refreshes every volume of the pod. Throws {@link PodConfigError} (reason
 * FailedMount) for a missing non-optional ConfigMap/Secret or a bad hostPath type.
 *
 * With `refresh` (a running pod's periodic sync, as upstream's kubelet remounts on every sync)
 * only the ConfigMap, Secret, downwardAPI and projected volumes are rewritten, and only when
 * their content changed (the `..data` swap makes the change atomic inside the containers);
 * projected volumes with a service account token are left as set up.
 */
export async function setUpVolumes(
  pod: Pod,
  podDir: string,
  ctx: VolumeContext,
  opts: { refresh?: boolean } = {},
): Promise<void> {
  const ns = pod.metadata.namespace ?? 'default';
  for (const v of pod.spec?.volumes ?? []) {
    const dir = volumeDir(podDir, v);
    if (
      opts.refresh &&
      !v.configMap &&
      !v.secret &&
      !v.downwardAPI &&
      !(v.projected && !v.projected.sources?.some((src) => src.serviceAccountToken))
    )
      continue;
    if (v.emptyDir) {
      await mkdir(dir, { recursive: true, mode: 0o777 });
      await chmod(dir, 0o777);
      if (v.emptyDir.medium === 'Memory' && !isMountPoint(dir)) {
        // tmpfs, sized by sizeLimit when given (upstream: the pod's memory limit otherwise)
        const size = v.emptyDir.sizeLimit ? `,size=${Math.ceil(parseQuantity(v.emptyDir.sizeLimit))}` : '';
        const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `mode=0777${size}`, 'tmpfs', dir], {
          encoding: 'utf8',
        });
        if (r.status !== 0)
          throw new PodConfigError(
            'FailedMount',
            `mounting tmpfs for emptyDir ${v.name}: ${r.stderr.trim()}`,
          );
      }
    } else if (v.hostPath) {
      await setUpHostPath(v.hostPath.path, v.hostPath.type ?? '');
    } else if (v.configMap) {
      const cm = await ctx.src.configMap(ns, v.configMap.name ?? '');
      if (!cm) {
        if (v.configMap.optional) {
          await atomicWrite(dir, new Map());
          continue;
        }
        throw new PodConfigError('FailedMount', `configmap "${v.configMap.name}" not found`);
      }
      await atomicWrite(
        dir,
        projectKeys(
          cmData(cm),
          v.configMap.items,
          v.configMap.defaultMode ?? 0o644,
          `ConfigMap ${v.configMap.name}`,
          v.configMap.optional ?? false,
        ),
      );
    } else if (v.secret) {
      const s = await ctx.src.secret(ns, v.secret.secretName ?? '');
      if (!s) {
        if (v.secret.optional) {
          await atomicWrite(dir, new Map());
          continue;
        }
        throw new PodConfigError('FailedMount', `secret "${v.secret.secretName}" not found`);
      }
      await atomicWrite(
        dir,
        projectKeys(
          secretData(s),
          v.secret.items,
          v.secret.defaultMode ?? 0o644,
          `Secret ${v.secret.secretName}`,
          v.secret.optional ?? false,
        ),
      );
    } else if (v.downwardAPI) {
      await atomicWrite(
        dir,
        downwardFiles(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644, ctx),
      );
    } else if (v.projected) {
      const mode = v.projected.defaultMode ?? 0o644;
      const files = new Map<string, { data: Buffer; mode: number }>();
      for (const s of v.projected.sources ?? []) {
        if (s.configMap) {
          const cm = await ctx.src.configMap(ns, s.configMap.name ?? '');
          if (!cm) {
            // kube-root-ca.crt may not be published by every control plane: tolerate it.
            if (s.configMap.optional || s.configMap.name === 'kube-root-ca.crt') continue;
            throw new PodConfigError('FailedMount', `configmap "${s.configMap.name}" not found`);
          }
          for (const [k, f] of projectKeys(
            cmData(cm),
            s.configMap.items,
            mode,
            `ConfigMap ${s.configMap.name}`,
            s.configMap.optional ?? false,
          ))
            files.set(k, f);
        } else if (s.secret) {
          const sec = await ctx.src.secret(ns, s.secret.name ?? '');
          if (!sec) {
            if (s.secret.optional) continue;
            throw new PodConfigError('FailedMount', `secret "${s.secret.name}" not found`);
          }
          for (const [k, f] of projectKeys(
            secretData(sec),
            s.secret.items,
            mode,
            `Secret ${s.secret.name}`,
            s.secret.optional ?? false,
          ))
            files.set(k, f);
        } else if (s.downwardAPI) {
          for (const [k, f] of downwardFiles(pod, s.downwardAPI.items ?? [], mode, ctx)) files.set(k, f);
        } else if (s.serviceAccountToken) {
          const sa = pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default';
          const tok = await ctx
            .serviceAccountToken?.(
              ns,
              sa,
              s.serviceAccountToken.audience,
              s.serviceAccountToken.expirationSeconds ?? 3607,
              pod,
            )
            .catch(() => undefined);
          if (tok !== undefined)
            files.set(safeRel(s.serviceAccountToken.path), { data: Buffer.from(tok, 'utf8'), mode });
        }
      }
      await atomicWrite(dir, files);
    } else if (v.persistentVolumeClaim) {
      const target = await resolveClaim(ns, v.persistentVolumeClaim.claimName, ctx);
      await mkdir(dirname(dir), { recursive: true });
      await rm(dir, { force: true });
      await symlink(target, dir);
    } else {
      // unsupported sources: an empty directory
      await mkdir(dir, { recursive: true });
    }
  }
}

/**
 * Resolves a persistentVolumeClaim volume to the host directory of its bound PersistentVolume
 * (hostPath: set up as its type says, so `DirectoryOrCreate` volumes of the local-path
 * provisioner are created here, on the node; local: must exist). Throws {@link PodConfigError}
 * FailedMount while the claim is missing or not yet bound (the pod stays ContainerCreating and
 * the sync retries), or when the volume has no source this kubelet can mount.
 */
export async function resolveClaim(ns: string, claimName: string, ctx: VolumeContext): Promise<string> {
  if (!ctx.src.persistentVolumeClaim || !ctx.src.persistentVolume)
    throw new PodConfigError('FailedMount', `persistentvolumeclaim "${claimName}" cannot be resolved here`);
  const pvc = await ctx.src.persistentVolumeClaim(ns, claimName);
  if (!pvc) throw new PodConfigError('FailedMount', `persistentvolumeclaim "${claimName}" not found`);
  const phase = pvc.status?.phase ?? '';
  const volumeName = pvc.spec?.volumeName ?? '';
  if (phase !== 'Bound' || !volumeName)
    throw new PodConfigError(
      'FailedMount',
      `PVC ${ns}/${claimName} has non-bound phase ("${phase}") or empty pvc.Spec.VolumeName ("${volumeName}")`,
    );
  const pv = await ctx.src.persistentVolume(volumeName);
  if (!pv) throw new PodConfigError('FailedMount', `persistentvolume "${volumeName}" not found`);
  if (pv.spec?.hostPath?.path) {
    await setUpHostPath(pv.spec.hostPath.path, pv.spec.hostPath.type ?? '');
    return pv.spec.hostPath.path;
  }
  if (pv.spec?.local?.path) {
    await setUpHostPath(pv.spec.local.path, 'Directory');
    return pv.spec.local.path;
  }
  throw new PodConfigError(
    'FailedMount',
    `persistentvolume "${volumeName}" has no volume source this node can mount (hostPath or local)`,
  );
}

/**
 * Checks that every persistentVolumeClaim volume of the pod resolves (claim Bound, volume
 * mountable), before the sandbox is made. Throws {@link PodConfigError} FailedMount naming the
 * first volume that does not, e.g. `MountVolume.SetUp failed for volume "data" : PVC ...`.
 */
export async function checkClaimVolumes(pod: Pod, ctx: VolumeContext): Promise<void> {
  const ns = pod.metadata.namespace ?? 'default';
  for (const v of pod.spec?.volumes ?? []) {
    if (!v.persistentVolumeClaim) continue;
    try {
      await resolveClaim(ns, v.persistentVolumeClaim.claimName, ctx);
    } catch (e) {
      throw new PodConfigError(
        'FailedMount',
        `MountVolume.SetUp failed for volume "${v.name}" : ${(e as Error).message}`,
      );
    }
  }
}

async function setUpHostPath(path: string, type: string): Promise<void> {
  const fail = (what: string) => {
    throw new PodConfigError('FailedMount', `hostPath type check failed: ${path} is not a ${what}`);
  };
  switch (type) {
    case 'DirectoryOrCreate':
      await mkdir(path, { recursive: true, mode: 0o755 });
      return;
    case 'FileOrCreate':
      if (!existsSync(path)) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, '', { mode: 0o644 });
      }
      return;
    case 'Directory':
      if (!(await stat(path).catch(() => undefined))?.isDirectory()) fail('directory');
      return;
    case 'File':
      if (!(await stat(path).catch(() => undefined))?.isFile()) fail('file');
      return;
    case 'Socket':
      if (!(await stat(path).catch(() => undefined))?.isSocket()) fail('socket');
      return;
    case 'CharDevice':
      if (!(await stat(path).catch(() => undefined))?.isCharacterDevice()) fail('character device');
      return;
    case 'BlockDevice':
      if (!(await stat(path).catch(() => undefined))?.isBlockDevice()) fail('block device');
      return;
    default:
      return;
  }
}

/** The CRI mounts of a container's volumeMounts (subPath supported). */
export function containerMounts(pod: Pod, c: Container, podDir: string): Mount[] {
  const vols = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const out: Mount[] = [];
  for (const m of c.volumeMounts ?? []) {
    const v = vols.get(m.name);
    if (!v)
      throw new PodConfigError('CreateContainerConfigError', `volume "${m.name}" not found in pod spec`);
    // persistentVolumeClaim volumes: setUpVolumes left a symlink to the bound volume's directory.
    let host = v.hostPath
      ? v.hostPath.path
      : v.persistentVolumeClaim
        ? readlinkSync(volumeDir(podDir, v))
        : volumeDir(podDir, v);
    if (m.subPath) host = join(host, safeRel(m.subPath));
    const ro =
      m.readOnly ??
      (v.configMap || v.secret || v.downwardAPI || v.projected || v.persistentVolumeClaim?.readOnly
        ? true
        : false);
    out.push(bindMount(host, m.mountPath, ro));
  }
  return out;
}

/** True when `dir` is a mount point (listed in /proc/self/mounts). */
export function isMountPoint(dir: string): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[1] === dir);
  } catch {
    return false;
  }
}

/** Unmounts tmpfs emptyDirs and removes the pod's volume directories (hostPath volumes are left alone). */
export async function tearDownVolumes(podDir: string): Promise<void> {
  const base = join(podDir, 'volumes');
  let mounts: string[] = [];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${base}/`));
  } catch {
    /* no procfs */
  }
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  await rm(base, { recursive: true, force: true });
}
