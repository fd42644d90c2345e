import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile, readdir, mkdtemp, unlink } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { tmpdir } from 'node:os';
import { checkDigest, isDigest } from './digest';
import {
  CONTAINERD_NAME_ANNOTATION,
  Descriptor,
  ImageConfig,
  ImageIndex,
  ImageManifest,
  MediaTypes,
  REF_NAME_ANNOTATION,
} from './oci-types';
import { formatReference, parseReference, repositoryName } from './reference';
import { runOk } from '../exec';
import { invalid, notFound } from '../errors';

/** One image in the store, as CRI `Image` needs it. */
export interface StoredImage {
  /** Image id: the config blob digest `sha256:<hex>` (what Docker and containerd call the image ID). */
  id: string;
  /** Digest of the image manifest. */
  manifestDigest: string;
  /** Normalized `repo:tag` names, e.g. `docker.io/library/busybox:latest`. */
  repoTags: string[];
  /** `repo@sha256:<manifest digest>` names. */
  repoDigests: string[];
  /** Bytes: config + all layer blobs. */
  size: number;
  config: ImageConfig;
  manifest: ImageManifest;
}

interface IndexEntry {
  /** Full normalized reference (`repo:tag` or `repo@digest`). */
  ref: string;
  manifest: Descriptor;
}

/**
 * A content-addressed image store in OCI image-layout form (image-spec image-layout.md):
 * `<dir>/oci-layout`, `<dir>/index.json` (one manifest descriptor per reference, named by the
 * `org.opencontainers.image.ref.name` annotation holding the full normalized reference), and
 * `<dir>/blobs/sha256/<hex>`. Every blob is verified against its digest before it is stored.
 * Layers are unpacked once into `<dir>/layers/<hex>` (OCI whiteouts converted to overlayfs
 * whiteouts) to serve as overlayfs lower directories.
 *
 * Not safe for use by two processes at once; within one process, mutations are serialized.
 */
export class ImageStore {
  private entries: IndexEntry[] = [];
  private indexMtime = 0;
  private readonly parsed = new Map<string, { manifest: ImageManifest; config: ImageConfig }>();
  private chain: Promise<unknown> = Promise.resolve();
  private unpacking = new Map<string, Promise<string>>();

  /** @param dir store directory (created by {@link init}). */
  constructor(readonly dir: string) {}

  /** Creates the layout if missing and loads index.json. */
  async init(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(this.dir, 'layers'), { recursive: true });
    await mkdir(join(this.dir, 'tmp'), { recursive: true });
    const layoutFile = join(this.dir, 'oci-layout');
    if (!existsSync(layoutFile)) await writeFile(layoutFile, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await this.reload();
  }

  /** Re-reads index.json when another process (e.g. `keelson-cri import`) changed it. */
  private async reload(): Promise<void> {
    const indexFile = join(this.dir, 'index.json');
    const st = await stat(indexFile).catch(() => undefined);
    if (!st || st.mtimeMs === this.indexMtime) return;
    const index = JSON.parse(await readFile(indexFile, 'utf8')) as ImageIndex;
    this.indexMtime = st.mtimeMs;
    this.entries = index.manifests
      .filter((m) => m.annotations?.[REF_NAME_ANNOTATION])
      .map((m) => ({ ref: m.annotations![REF_NAME_ANNOTATION], manifest: m }));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async saveIndex(): Promise<void> {
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: this.entries.map((e) => ({
        ...e.manifest,
        annotations: { ...e.manifest.annotations, [REF_NAME_ANNOTATION]: e.ref },
      })),
    };
    const tmp = join(this.dir, `index.json.${process.pid}.${randomBytes(4).toString('hex')}`);
    await writeFile(tmp, JSON.stringify(index, null, 2));
    await rename(tmp, join(this.dir, 'index.json'));
    this.indexMtime = (await stat(join(this.dir, 'index.json'))).mtimeMs;
  }

  /** Path of a blob (which may not exist). @throws Error for a malformed digest. */
  blobPath(digest: string): string {
    if (!isDigest(digest)) throw invalid(`invalid digest "${digest}"`);
    return join(this.dir, 'blobs', 'sha256', digest.slice(7));
  }

  /** True if the blob is stored. */
  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  /** Reads a stored blob. @throws if missing. */
  readBlob(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  /**
   * Stores a blob from a stream, verifying its sha256 digest (and size when given) before it
   * becomes visible. @throws DigestMismatchError when the content does not match (nothing stored).
   */
  async putBlobStream(
    digest: string,
    source: Readable | AsyncIterable<Uint8Array>,
    size?: number,
  ): Promise<void> {
    const dest = this.blobPath(digest);
    if (existsSync(dest)) {
      // Drain the source so the caller's connection is released.
      for await (const _ of source) void _;
      return;
    }
    const tmp = join(this.dir, 'tmp', `${digest.slice(7, 19)}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let n = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        n += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.from(source), tap, createWriteStream(tmp));
      checkDigest(digest, `sha256:${hash.digest('hex')}`, `blob ${digest}`);
      if (size !== undefined && size !== n)
        throw invalid(`blob ${digest}: size ${n} bytes, descriptor says ${size}`);
      await rename(tmp, dest);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Stores a blob held in memory, verifying its digest. */
  putBlob(digest: string, data: Buffer): Promise<void> {
    return this.putBlobStream(digest, Readable.from([data]), data.length);
  }

  /** Stores a blob copied from a file, verifying its digest. */
  async putBlobFile(digest: string, path: string, size?: number): Promise<void> {
    await this.putBlobStream(digest, createReadStream(path), size);
  }

  /**
   * Records `ref` as naming the manifest `manifestDigest` (whose manifest, config and layer blobs
   * must already be stored), unpacks its layers, and returns the image.
   * @throws CriError INVALID_ARGUMENT when a blob is missing or the manifest is not an image manifest.
   */
  async tag(ref: string, manifest: Descriptor): Promise<StoredImage> {
    const full = formatReference(parseReference(ref));
    const m = await this.loadManifest(manifest.digest);
    for (const d of [m.config, ...m.layers]) {
      if (!this.hasBlob(d.digest)) throw invalid(`image ${full}: blob ${d.digest} is missing`);
    }
    for (const l of m.layers) await this.unpackLayer(l);
    return this.serial(async () => {
      await this.reload();
      this.entries = this.entries.filter((e) => e.ref !== full);
      this.entries.push({
        ref: full,
        manifest: {
          mediaType: manifest.mediaType || MediaTypes.ociManifest,
          digest: manifest.digest,
          size: manifest.size,
        },
      });
      await this.saveIndex();
      const img = await this.resolve(full);
      return img!;
    });
  }

  private async loadManifest(digest: string): Promise<ImageManifest> {
    if (!this.hasBlob(digest)) throw invalid(`manifest ${digest} is not stored`);
    const m = JSON.parse((await this.readBlob(digest)).toString('utf8')) as ImageManifest;
    if (!m.config || !Array.isArray(m.layers)) throw invalid(`blob ${digest} is not an image manifest`);
    return m;
  }

  private async build(manifestDigest: string, entries: IndexEntry[]): Promise<StoredImage> {
    // Manifests and configs are immutable (content-addressed): parse each once.
    let parsed = this.parsed.get(manifestDigest);
    if (!parsed) {
      const m = await this.loadManifest(manifestDigest);
      const c = JSON.parse((await this.readBlob(m.config.digest)).toString('utf8')) as ImageConfig;
      parsed = { manifest: m, config: c };
      this.parsed.set(manifestDigest, parsed);
    }
    const { manifest, config } = parsed;
    const repoTags: string[] = [];
    const repoDigests = new Set<string>();
    for (const e of entries) {
      const r = parseReference(e.ref);
      if (r.tag && !r.digest) repoTags.push(formatReference(r));
      repoDigests.add(`${repositoryName(r)}@${manifestDigest}`);
    }
    const size = manifest.config.size + manifest.layers.reduce((a, l) => a + l.size, 0);
    return {
      id: manifest.config.digest,
      manifestDigest,
      repoTags,
      repoDigests: [...repoDigests],
      size,
      config,
      manifest,
    };
  }

  /** Every image (one per distinct config digest), with all its names. */
  async list(): Promise<StoredImage[]> {
    await this.reload();
    const byManifest = new Map<string, IndexEntry[]>();
    for (const e of this.entries) {
      const list = byManifest.get(e.manifest.digest) ?? [];
      list.push(e);
      byManifest.set(e.manifest.digest, list);
    }
    const out: StoredImage[] = [];
    for (const [digest, entries] of byManifest) out.push(await this.build(digest, entries));
    return out;
  }

  /**
   * Finds an image by what a user or the kubelet passes: a reference in any accepted spelling
   * (`busybox`, `docker.io/library/busybox:latest`, `repo@sha256:...`), an image id
   * (`sha256:<config hex>`, or just the hex), or a unique id prefix of at least 12 hex digits.
   * Returns undefined if none matches.
   */
  async resolve(refOrId: string): Promise<StoredImage | undefined> {
    const s = refOrId.trim();
    if (!s) return undefined;
    const images = await this.list();
    const hex = s.startsWith('sha256:') ? s.slice(7) : s;
    if (/^[a-f0-9]{12,64}$/.test(hex)) {
      const hits = images.filter((i) => i.id.slice(7).startsWith(hex));
      if (hits.length === 1) return hits[0];
    }
    let full: string;
    try {
      const r = parseReference(s);
      full = formatReference(r);
      if (r.digest) {
        const repo = repositoryName(r);
        return images.find(
          (i) => i.manifestDigest === r.digest && i.repoDigests.includes(`${repo}@${r.digest}`),
        );
      }
    } catch {
      return undefined;
    }
    return images.find((i) => i.repoTags.includes(full));
  }

  /**
   * Removes every name of the image `refOrId` resolves to (CRI RemoveImage removes the image, not
   * one tag), then deletes blobs and unpacked layers no other image uses and `inUse` does not
   * report. Idempotent: an unknown image is not an error (CRI RemoveImage contract).
   * @param inUse layer digests still needed (e.g. by existing containers); kept on disk.
   */
  async remove(refOrId: string, inUse: Set<string> = new Set()): Promise<boolean> {
    const img = await this.resolve(refOrId);
    if (!img) return false;
    await this.serial(async () => {
      await this.reload();
      this.entries = this.entries.filter((e) => e.manifest.digest !== img.manifestDigest);
      await this.saveIndex();
      await this.gc(inUse);
    });
    return true;
  }

  private async gc(inUse: Set<string>): Promise<void> {
    const keep = new Set<string>(inUse);
    for (const e of this.entries) {
      keep.add(e.manifest.digest);
      try {
        const m = await this.loadManifest(e.manifest.digest);
        keep.add(m.config.digest);
        for (const l of m.layers) keep.add(l.digest);
      } catch {
        /* a damaged entry keeps nothing */
      }
    }
    for (const d of [...this.parsed.keys()]) if (!keep.has(d)) this.parsed.delete(d);
    for (const f of await readdir(join(this.dir, 'blobs', 'sha256'))) {
      if (!keep.has(`sha256:${f}`)) await rm(join(this.dir, 'blobs', 'sha256', f), { force: true });
    }
    for (const f of await readdir(join(this.dir, 'layers'))) {
      if (!keep.has(`sha256:${f}`)) await rm(join(this.dir, 'layers', f), { recursive: true, force: true });
    }
  }

  /** Unpacked layer directories of an image, top layer first (overlayfs `lowerdir` order). */
  async layerDirs(img: StoredImage): Promise<string[]> {
    const dirs: string[] = [];
    for (const l of img.manifest.layers) dirs.push(await this.unpackLayer(l));
    return dirs.reverse();
  }

  /**
   * Unpacks a layer blob (tar, tar+gzip) into `<dir>/layers/<hex>` once, converting OCI
   * whiteouts (`.wh.<name>` → 0/0 character device, `.wh..wh..opq` → `trusted.overlay.opaque=y`).
   */
  unpackLayer(layer: Descriptor): Promise<string> {
    const dest = join(this.dir, 'layers', layer.digest.slice(7));
    let p = this.unpacking.get(layer.digest);
    if (!p) {
      p = (async () => {
        if (existsSync(join(dest, '.keelson-unpacked'))) return dest;
        if (layer.mediaType && /zstd/.test(layer.mediaType))
          throw invalid(`layer ${layer.digest}: zstd layers are not supported`);
        const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
        await mkdir(tmp, { recursive: true });
        try {
          await runOk('tar', [
            '-xf',
            this.blobPath(layer.digest),
            '-C',
            tmp,
            '--numeric-owner',
            '--same-owner',
            '-p',
          ]);
          await convertWhiteouts(tmp);
          await writeFile(join(tmp, '.keelson-unpacked'), layer.digest);
          await rm(dest, { recursive: true, force: true });
          await rename(tmp, dest);
        } catch (e) {
          await rm(tmp, { recursive: true, force: true });
          throw e;
        }
        return dest;
      })();
      this.unpacking.set(layer.digest, p);
      p.finally(() => this.unpacking.delete(layer.digest)).catch(() => undefined);
    }
    return p;
  }

  /**
   * Imports an OCI image layout directory or OCI archive (a tar of a layout, as `skopeo copy
   * oci-archive:` or `ctr export` write) and names it `ref`. The layout's manifest is chosen by
   * the `org.opencontainers.image.ref.name` annotation matching `ref`'s tag (or the full ref),
   * else the only manifest; an image index picks linux/amd64. Every blob is verified.
   * @returns the stored image.
   * @throws CriError INVALID_ARGUMENT when the layout is malformed or ambiguous;
   *   DigestMismatchError when a blob is corrupt.
   */
  async importImage(path: string, ref?: string): Promise<StoredImage> {
    const st = await stat(path).catch(() => undefined);
    if (!st) throw notFound(`import: ${path} does not exist`);
    if (st.isDirectory()) return this.importLayout(path, ref);
    const tmp = await mkdtemp(join(tmpdir(), 'keelson-import-'));
    try {
      await runOk('tar', ['-xf', path, '-C', tmp]);
      return await this.importLayout(tmp, ref);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async importLayout(dir: string, ref?: string): Promise<StoredImage> {
    const indexPath = join(dir, 'index.json');
    if (!existsSync(indexPath)) throw invalid(`import: ${dir} is not an OCI image layout (no index.json)`);
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as ImageIndex;
    const blob = (d: string) => join(dir, 'blobs', d.split(':')[0], d.split(':')[1]);
    let candidates = index.manifests ?? [];
    let chosen: Descriptor | undefined;
    const wanted = ref ? parseReference(ref) : undefined;
    if (wanted && candidates.length > 1) {
      const full = formatReference(wanted);
      chosen = candidates.find((m) => {
        const n = m.annotations?.[REF_NAME_ANNOTATION] ?? m.annotations?.[CONTAINERD_NAME_ANNOTATION];
        return n === full || n === wanted.tag || n === ref;
      });
    }
    if (!chosen) {
      if (candidates.length !== 1 && !wanted)
        throw invalid(`import: ${dir} holds ${candidates.length} manifests; name one with a reference`);
      if (candidates.length === 0) throw invalid(`import: ${dir} holds no manifest`);
      chosen = candidates[0];
    }
    let name = ref;
    if (!name) {
      const n = chosen.annotations?.[CONTAINERD_NAME_ANNOTATION] ?? chosen.annotations?.[REF_NAME_ANNOTATION];
      if (!n) throw invalid(`import: ${dir}: the manifest has no name annotation; pass a reference`);
      name = n;
    }
    // Descend through nested indexes to a linux/amd64 manifest.
    for (let depth = 0; depth < 4; depth++) {
      const isIndex =
        chosen.mediaType === MediaTypes.ociIndex || chosen.mediaType === MediaTypes.dockerManifestList;
      if (!isIndex) break;
      await this.putBlobFile(chosen.digest, blob(chosen.digest), chosen.size);
      const sub = JSON.parse((await this.readBlob(chosen.digest)).toString('utf8')) as ImageIndex;
      candidates = sub.manifests;
      chosen = pickPlatform(candidates, `import ${name}`);
    }
    await this.putBlobFile(chosen.digest, blob(chosen.digest), chosen.size);
    const manifest = await this.loadManifest(chosen.digest);
    for (const d of [manifest.config, ...manifest.layers]) {
      if (!existsSync(blob(d.digest))) throw invalid(`import: ${dir}: blob ${d.digest} is missing`);
      await this.putBlobFile(d.digest, blob(d.digest), d.size);
    }
    return this.tag(name, chosen);
  }

  /**
   * Filesystem usage of the store: bytes and inodes under its directory, CRI ImageFsInfo shape.
   */
  async usage(): Promise<{ mountpoint: string; usedBytes: number; inodesUsed: number }> {
    const out = await runOk('du', ['-s', '-B1', this.dir]).catch(() => '0');
    const inodes = await runOk('du', ['-s', '--inodes', this.dir]).catch(() => '0');
    return { mountpoint: this.dir, usedBytes: parseInt(out, 10) || 0, inodesUsed: parseInt(inodes, 10) || 0 };
  }
}

/**
 * Picks the linux/amd64 manifest of an image index (manifest list), as kubelet-facing runtimes
 * do for this machine's platform.
 * @throws CriError INVALID_ARGUMENT when none matches.
 */
export function pickPlatform(manifests: Descriptor[], what: string): Descriptor {
  const hit =
    manifests.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64') ??
    (manifests.length === 1 && !manifests[0].platform ? manifests[0] : undefined);
  if (!hit) {
    const have = manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ');
    throw invalid(`${what}: no linux/amd64 image in the manifest list (has ${have})`);
  }
  return hit;
}

async function convertWhiteouts(root: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.name === '.wh..wh..opq') {
        await unlink(p);
        await runOk('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', dir]);
      } else if (e.name.startsWith('.wh.')) {
        await unlink(p);
        const target = join(dir, e.name.slice(4));
        await rm(target, { recursive: true, force: true });
        await runOk('mknod', [target, 'c', '0', '0']);
      } else if (e.isDirectory()) {
        await walk(p);
      }
    }
  };
  await walk(root);
}
