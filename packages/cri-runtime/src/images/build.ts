import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { runOk } from '../exec';
import { sha256 } from './digest';
import {
  CONTAINERD_NAME_ANNOTATION,
  Descriptor,
  ImageConfig,
  ImageIndex,
  ImageManifest,
  MediaTypes,
  REF_NAME_ANNOTATION,
} from './oci-types';
import { formatReference, parseReference } from './reference';

/** What {@link buildBusyboxImage} and {@link buildNodeImage} produced. */
export interface BuiltImage {
  /** The OCI image layout directory written. */
  dir: string;
  /** Full normalized reference recorded in the layout, e.g. `docker.io/library/busybox:latest`. */
  ref: string;
  /** Digest of the image manifest. */
  manifestDigest: string;
  /** Image id (config digest). */
  id: string;
}

/** Options of the image builders. */
export interface BuildOptions {
  /** Reference to record (default `busybox:latest` / `node:<host major version>`). */
  ref?: string;
  /** Path of the static busybox binary (default `/bin/busybox`, Debian busybox-static). */
  busybox?: string;
  /** Path of the node binary for {@link buildNodeImage} (default: this process's `process.execPath`). */
  node?: string;
  /** Image config Cmd (default `["sh"]` for busybox, `["node"]` for node); e.g. a pause image: `["sleep", "2147483647"]`. */
  cmd?: string[];
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Layer {
  descriptor: Descriptor;
  diffId: string;
  data: Buffer;
}

/** Tars a staging directory reproducibly (sorted names, uid/gid 0, mtime 0). */
async function tarDir(staging: string, gzip: boolean): Promise<Layer> {
  const tarFile = `${staging}.tar`;
  await runOk('tar', [
    '--sort=name',
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '--mtime=@0',
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '-C',
    staging,
    '-cf',
    tarFile,
    '.',
  ]);
  const tar = await readFile(tarFile);
  await rm(tarFile, { force: true });
  const diffId = sha256(tar);
  const data = gzip ? gzipSync(tar, { level: 6 }) : tar;
  return {
    diffId,
    data,
    descriptor: {
      mediaType: gzip ? MediaTypes.ociLayerGzip : MediaTypes.ociLayer,
      digest: sha256(data),
      size: data.length,
    },
  };
}

async function busyboxRootfs(staging: string, busybox: string): Promise<void> {
  for (const d of [
    'bin',
    'sbin',
    'usr/bin',
    'usr/sbin',
    'etc',
    'root',
    'tmp',
    'var/www',
    'proc',
    'sys',
    'dev',
    'home',
  ]) {
    await mkdir(join(staging, d), { recursive: true });
  }
  await chmod(join(staging, 'tmp'), 0o1777);
  await copyFile(busybox, join(staging, 'bin/busybox'));
  await chmod(join(staging, 'bin/busybox'), 0o755);
  const list = (await runOk(busybox, ['--list-full']))
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of list) {
    if (p === 'bin/busybox' || p.endsWith('/') || !p.includes('/')) continue;
    const target = join(staging, p);
    if (existsSync(target)) continue;
    await mkdir(dirname(target), { recursive: true });
    const depth = p.split('/').length - 1;
    await symlink(`${'../'.repeat(depth)}bin/busybox`, target);
  }
  await writeFile(
    join(staging, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
  );
  await writeFile(join(staging, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
  await writeFile(join(staging, 'var/www/index.html'), 'hello from keelson busybox\n');
}

async function writeLayout(
  outDir: string,
  ref: string,
  layers: Layer[],
  cfg: ImageConfig['config'],
  history: string[],
): Promise<BuiltImage> {
  const full = formatReference(parseReference(ref));
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: cfg,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: history.map((h) => ({ created: '1970-01-01T00:00:00Z', created_by: h })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDesc: Descriptor = {
    mediaType: MediaTypes.ociConfig,
    digest: sha256(configBytes),
    size: configBytes.length,
  };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: configDesc,
    layers: layers.map((l) => l.descriptor),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = sha256(manifestBytes);
  const blobs = join(outDir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  for (const [digest, data] of [
    [configDesc.digest, configBytes],
    [manifestDigest, manifestBytes],
    ...layers.map((l) => [l.descriptor.digest, l.data] as const),
  ] as const) {
    await writeFile(join(blobs, digest.slice(7)), data);
  }
  const tag = parseReference(full).tag ?? 'latest';
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      {
        mediaType: MediaTypes.ociManifest,
        digest: manifestDigest,
        size: manifestBytes.length,
        platform: { architecture: 'amd64', os: 'linux' },
        annotations: { [REF_NAME_ANNOTATION]: tag, [CONTAINERD_NAME_ANNOTATION]: full },
      },
    ],
  };
  await writeFile(join(outDir, 'index.json'), JSON.stringify(index));
  await writeFile(join(outDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { dir: outDir, ref: full, manifestDigest, id: configDesc.digest };
}

/**
 * Builds a `busybox` OCI image layout in `outDir` from Debian's busybox-static: one gzip layer
 * with /bin/busybox and a symlink for every applet at its usual path (sh, httpd, wget, nslookup,
 * sleep, hostname, cat, echo, ls, nc, ...), /etc/passwd, /etc/group, /tmp and /var/www/index.html.
 * Config: PATH env, Cmd `["sh"]`. Reproducible: the same busybox gives the same digests.
 * The index names the manifest `latest` (ref.name) and `docker.io/library/busybox:latest`
 * (io.containerd.image.name), so `skopeo copy oci:DIR:latest` and `ctr images import` both work.
 * @throws CommandError when busybox or tar fail.
 */
export async function buildBusyboxImage(outDir: string, opts: BuildOptions = {}): Promise<BuiltImage> {
  const work = await mkdtemp(join(tmpdir(), 'keelson-img-'));
  try {
    const staging = join(work, 'rootfs');
    await busyboxRootfs(staging, opts.busybox ?? '/bin/busybox');
    const layer = await tarDir(staging, true);
    return await writeLayout(
      outDir,
      opts.ref ?? 'busybox:latest',
      [layer],
      { Env: [PATH_ENV], Cmd: opts.cmd ?? ['sh'] },
      ['busybox-static'],
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Builds a Node.js OCI image layout in `outDir`: the busybox layer (a shell and tools), then a
 * layer (uncompressed tar, to keep the build fast) holding the host's node binary at
 * /usr/local/bin/node and the shared libraries `ldd` lists, at the same paths as on the host.
 * Config: PATH env, Cmd `["node"]`. Default ref `node:<major>` of the node binary.
 * @throws CommandError when ldd, busybox or tar fail.
 */
export async function buildNodeImage(outDir: string, opts: BuildOptions = {}): Promise<BuiltImage> {
  const node = await realpath(opts.node ?? process.execPath);
  const work = await mkdtemp(join(tmpdir(), 'keelson-img-'));
  try {
    const base = join(work, 'base');
    await busyboxRootfs(base, opts.busybox ?? '/bin/busybox');
    const baseLayer = await tarDir(base, true);
    const staging = join(work, 'node');
    await mkdir(join(staging, 'usr/local/bin'), { recursive: true });
    await copyFile(node, join(staging, 'usr/local/bin/node'));
    await chmod(join(staging, 'usr/local/bin/node'), 0o755);
    const ldd = await runOk('ldd', [node]);
    for (const line of ldd.split('\n')) {
      const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
      if (!m) continue;
      const lib = m[1];
      const dest = join(staging, lib);
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(await realpath(lib), dest);
      await chmod(dest, (await stat(lib)).mode & 0o777);
    }
    const nodeLayer = await tarDir(staging, false);
    const version = (await runOk(node, ['--version'])).trim().replace(/^v/, '');
    const ref = opts.ref ?? `node:${version.split('.')[0]}`;
    return await writeLayout(
      outDir,
      ref,
      [baseLayer, nodeLayer],
      { Env: [PATH_ENV], Cmd: opts.cmd ?? ['node'] },
      ['busybox-static', `node ${version}`],
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
