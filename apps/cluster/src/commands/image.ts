/**
 * `keelson image build|import|ls`: puts a user's images on the nodes. Images live as OCI layouts
 * under the data dir's images/ and are imported into every node's runtime when its agents start
 * (a running node picks a new image up at its next restart; `import` also loads it into running
 * nodes' runtime stores directly when the runtime root is reachable).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildBusyboxImage, buildImage, buildNodeImage, ImageStore } from '@keelson/cri-runtime';
import { ClusterPaths } from '../paths';
import { readState } from '../state';
import { CliError } from '../errors';
import { containerdLayout, importIntoContainerd } from '../containerd';

/** Imports an OCI layout directory or archive into the cluster's image set and every node's store. */
export async function imageImport(opts: { dataDir: string; file: string; tag?: string }): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  if (!existsSync(opts.file)) throw new CliError(`no such file or directory: ${opts.file}`);
  const dest = join(paths.images, (opts.tag ?? basename(opts.file)).replace(/[^a-zA-Z0-9._-]/g, '_'));
  mkdirSync(paths.images, { recursive: true });
  cpSync(opts.file, dest, { recursive: true });
  const state = readState(paths.state);
  for (const n of state?.nodes ?? []) {
    if (state?.runtime === 'containerd') {
      // Into the node's running containerd (a stopped node imports it at its next start).
      const { socket } = containerdLayout(paths.node(n.name));
      if (existsSync(socket))
        console.log(`${n.name}: ${JSON.stringify(importIntoContainerd(socket, [dest]))}`);
      continue;
    }
    const store = new ImageStore(join(paths.node(n.name), 'runtime', 'images'));
    const img = await store.importImage(dest, opts.tag);
    console.log(
      `${n.name}: ${JSON.stringify((img as { ref?: string; repoTags?: string[] }).repoTags ?? (img as { ref?: string }).ref ?? opts.tag)}`,
    );
  }
  console.log(`imported ${opts.file}`);
}

/** Lists the images built or imported for the cluster. */
export function imageList(opts: { dataDir: string }): void {
  const paths = new ClusterPaths(opts.dataDir);
  if (!existsSync(paths.images)) return;
  for (const name of readdirSync(paths.images)) {
    let ref = name;
    try {
      const index = JSON.parse(readFileSync(join(paths.images, name, 'index.json'), 'utf8'));
      ref =
        index.manifests?.[0]?.annotations?.['io.containerd.image.name'] ??
        index.manifests?.[0]?.annotations?.['org.opencontainers.image.ref.name'] ??
        name;
    } catch {
      /* not a layout */
    }
    console.log(ref);
  }
}

/**
 * `--build-arg` values as `docker build` reads them: `KEY=VALUE`, or `KEY` alone for the value of
 * the environment variable KEY (an unset one is an error here, rather than silently skipped).
 * @throws CliError for an empty key or an unset variable.
 */
export function parseBuildArgs(list: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(0, eq)] = a.slice(eq + 1);
    else if (eq < 0 && a && env[a] !== undefined) out[a] = env[a]!;
    else throw new CliError(`--build-arg ${a}: want KEY=VALUE (or KEY set in the environment)`);
  }
  return out;
}

/** Options of {@link imageBuild} (`keelson image build`). */
export interface ImageBuildCommandOptions {
  dataDir: string;
  /** Build context directory. */
  context: string;
  /** Reference to record, e.g. `myapp:1.0`. */
  tag: string;
  /** Dockerfile path (default `<context>/Dockerfile`, else `<context>/Containerfile`). */
  file?: string;
  /** `--build-arg KEY=VALUE` entries. */
  buildArgs?: string[];
}

/**
 * Builds a Dockerfile context (as `docker build -t TAG -f FILE DIR` does) into the cluster's
 * image set (`<data-dir>/images/<tag>`), then loads it into every node's runtime store, so a
 * Pod with `image: TAG` and `imagePullPolicy: IfNotPresent` or `Never` runs it. FROM may name
 * any image of the set (busybox, node:<major>, images built or imported earlier) or `scratch`;
 * the local busybox and node images are built first if `keelson up` has not built them yet.
 * Without a cluster the image waits in the set; nodes import it when their agents start.
 * @throws CliError when not root or a build argument is malformed; BuildError from the build.
 */
export async function imageBuild(opts: ImageBuildCommandOptions): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new CliError('image build needs root (RUN steps use mounts, namespaces and cgroups)');
  const buildArgs = parseBuildArgs(opts.buildArgs ?? [], process.env);
  const paths = new ClusterPaths(opts.dataDir);
  mkdirSync(paths.images, { recursive: true });
  if (!existsSync(join(paths.images, 'busybox', 'index.json')))
    await buildBusyboxImage(join(paths.images, 'busybox'));
  if (!existsSync(join(paths.images, 'node', 'index.json'))) await buildNodeImage(join(paths.images, 'node'));
  const dest = join(paths.images, opts.tag.replace(/[^a-zA-Z0-9._-]/g, '_'));
  // Ctrl-C / SIGTERM: kill a running RUN and clean up (mounts, cgroups) before exiting.
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let built;
  try {
    built = await buildImage(opts.context, {
      tag: opts.tag,
      dockerfile: opts.file,
      outDir: dest,
      buildArgs,
      baseImages: readdirSync(paths.images).map((n) => join(paths.images, n)),
      log: (line) => console.log(line),
      signal: abort.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const state = readState(paths.state);
  const loaded: string[] = [];
  for (const n of state?.nodes ?? []) {
    if (state?.runtime === 'containerd') {
      const { socket } = containerdLayout(paths.node(n.name));
      if (existsSync(socket)) {
        importIntoContainerd(socket, [built.dir]);
        loaded.push(n.name);
      }
      continue;
    }
    const store = new ImageStore(join(paths.node(n.name), 'runtime', 'images'));
    await store.init();
    await store.importImage(built.dir);
    loaded.push(n.name);
  }
  console.log(
    loaded.length > 0
      ? `${built.ref} loaded on ${loaded.join(', ')}`
      : `${built.ref} is in ${paths.images}; nodes load it when they start`,
  );
}
