// Builds the local OCI image layouts (no registry needed):
//   node --import tsx tools/images/build-images.ts busybox|node <outDir> [ref]
// The code lives in @keelson/cri-runtime (buildBusyboxImage / buildNodeImage) so the cluster app
// can call it too; import the result with `keelson-cri --root DIR import <outDir>`.
import { buildBusyboxImage, buildNodeImage } from '@keelson/cri-runtime';

async function main(): Promise<void> {
  const [kind, out, ref] = process.argv.slice(2);
  if (!out || (kind !== 'busybox' && kind !== 'node')) {
    console.error('usage: build-images.ts busybox|node <outDir> [ref]');
    process.exit(2);
  }
  const img = kind === 'busybox' ? await buildBusyboxImage(out, { ref }) : await buildNodeImage(out, { ref });
  console.log(`${img.ref} ${img.manifestDigest} -> ${img.dir}`);
}

main().catch((e: Error) => {
  console.error(`build-images: ${e.message}`);
  process.exit(1);
});
