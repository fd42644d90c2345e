/**
 * `keelson image import|ls`: puts a user's images on the nodes. Images live as OCI layouts
 * under the data dir's images/ and are imported into every node's runtime when its agents start
 * (a running node picks a new image up at its next restart; `import` also loads it into running
 * nodes' runtime stores directly when the runtime root is reachable).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ImageStore } from '@keelson/cri-runtime';
import { ClusterPaths } from '../paths';
import { readState } from '../state';
import { CliError } from '../errors';

/** Imports an OCI layout directory or archive into the cluster's image set and every node's store. */
export async function imageImport(opts: { dataDir: string; file: string; tag?: string }): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  if (!existsSync(opts.file)) throw new CliError(`no such file or directory: ${opts.file}`);
  const dest = join(paths.images, (opts.tag ?? basename(opts.file)).replace(/[^a-zA-Z0-9._-]/g, '_'));
  mkdirSync(paths.images, { recursive: true });
  cpSync(opts.file, dest, { recursive: true });
  const state = readState(paths.state);
  for (const n of state?.nodes ?? []) {
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
