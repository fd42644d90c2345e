import { Command } from 'commander';
import { startCriServer } from '../server';
import { ImageStore } from '../images/store';
import { join } from 'node:path';

// keelson-cri: the CRI runtime.v1 server, and `import` to load an OCI layout/archive into its store.
const program = new Command();
program
  .name('keelson-cri')
  .description('CRI runtime.v1 server running OCI containers with crun/runc')
  .option('--root <dir>', 'state directory (images, sandboxes, containers)', '/var/lib/keelson/cri')
  .option('--listen <addr>', 'unix socket to serve', 'unix:///run/keelson/cri.sock')
  .option('--oci-runtime <name>', 'auto | crun | runc', 'auto')
  .option('--streaming-address <host:port>', 'exec/attach streaming server address', '127.0.0.1:0')
  .option('--netns-dir <dir>', 'where network namespace files go', '/var/run/netns')
  .option('--cgroup-root <path>', 'cgroup for pods without cgroup_parent', '/keelson')
  .option('--monitor-pool <n>', 'idle container monitors kept pre-started', '2')
  .action(
    async (o: {
      root: string;
      listen: string;
      ociRuntime: string;
      streamingAddress: string;
      netnsDir: string;
      cgroupRoot: string;
      monitorPool: string;
    }) => {
      if (!['auto', 'crun', 'runc'].includes(o.ociRuntime)) {
        console.error(`keelson-cri: --oci-runtime must be auto, crun or runc, not "${o.ociRuntime}"`);
        process.exit(2);
      }
      const pool = Number(o.monitorPool);
      if (!Number.isInteger(pool) || pool < 0) {
        console.error(`keelson-cri: --monitor-pool must be a whole number, not "${o.monitorPool}"`);
        process.exit(2);
      }
      const s = await startCriServer({
        root: o.root,
        listen: o.listen,
        ociRuntime: o.ociRuntime as 'auto',
        streamingAddress: o.streamingAddress,
        netnsDir: o.netnsDir,
        cgroupRoot: o.cgroupRoot,
        monitorPool: pool,
        log: (m) => console.error(`keelson-cri: ${m}`),
      });
      console.error(
        `keelson-cri: serving CRI runtime.v1 on unix://${s.socketPath} (oci runtime ${s.runtime.ociRuntimeName}, streaming ${s.streamingUrl ?? 'off'})`,
      );
      const stop = () => {
        void s.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
  );

program
  .command('import <path> [ref]')
  .description('import an OCI image layout directory or OCI archive (tar) into the image store')
  .action(async (path: string, ref: string | undefined) => {
    const store = new ImageStore(join(program.opts<{ root: string }>().root, 'images'));
    await store.init();
    const img = await store.importImage(path, ref);
    console.log(`${img.repoTags.concat(img.repoDigests)[0] ?? ref} ${img.id}`);
  });

program.parseAsync().catch((e: Error) => {
  console.error(`keelson-cri: ${e.message}`);
  process.exit(1);
});
