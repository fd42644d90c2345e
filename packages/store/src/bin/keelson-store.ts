// keelson-store: runs an MvccStore as its own process behind the gRPC KV + Watch service.
//   keelson-store --data-dir DIR --listen 127.0.0.1:PORT [--no-sync]
//                 [--auto-compact-retention REVISIONS --auto-compact-interval MS]
// Prints one line "keelson-store listening on HOST:PORT revision N" once serving; stops cleanly
// on SIGINT/SIGTERM. Bad arguments or an unusable directory: one line on stderr, exit 1.
import { Command, InvalidArgumentError as CommanderArgError } from 'commander';
import { MvccStore } from '../mvcc-store';
import { startStoreServer } from '../grpc/server';

function listenAddress(v: string): string {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new CommanderArgError('expected HOST:PORT, e.g. 127.0.0.1:2379');
  return v;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('keelson-store')
    .description('MVCC key-value store on LevelDB served over gRPC (keelson.store.v1)')
    .requiredOption('--data-dir <dir>', 'LevelDB directory (created if missing)')
    .requiredOption('--listen <host:port>', 'gRPC listen address; port 0 picks a free port', listenAddress)
    .option('--no-sync', 'do not fsync writes before acknowledging (benchmarks only)')
    .option(
      '--progress-interval <ms>',
      'progress notification period for idle watches, ms',
      (v) => Number(v),
      10_000,
    )
    .option(
      '--auto-compact-retention <revisions>',
      'compact away history older than this many revisions (0 = never; the apiserver may compact itself)',
      (v) => Number(v),
      0,
    )
    .option('--auto-compact-interval <ms>', 'how often auto-compaction runs, ms', (v) => Number(v), 60_000)
    .showHelpAfterError(false);
  program.parse();
  const o = program.opts<{
    dataDir: string;
    listen: string;
    sync: boolean;
    progressInterval: number;
    autoCompactRetention: number;
    autoCompactInterval: number;
  }>();
  for (const [flag, v] of [
    ['--progress-interval', o.progressInterval],
    ['--auto-compact-retention', o.autoCompactRetention],
    ['--auto-compact-interval', o.autoCompactInterval],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${flag} must be a non-negative integer`);
  }

  const store = await MvccStore.open(o.dataDir, { sync: o.sync, progressIntervalMs: o.progressInterval });
  let server;
  try {
    server = await startStoreServer(store, o.listen);
  } catch (err) {
    await store.close();
    throw err;
  }
  const host = o.listen.slice(0, o.listen.lastIndexOf(':'));
  console.log(`keelson-store listening on ${host}:${server.port} revision ${await store.currentRevision()}`);
  if (o.autoCompactRetention > 0) {
    const timer = setInterval(() => {
      void (async () => {
        const target = (await store.currentRevision()) - o.autoCompactRetention;
        if (target > (await store.compactRevision())) await store.compact(target);
      })().catch(() => undefined); // a concurrent compaction by a client is fine
    }, o.autoCompactInterval || 60_000);
    timer.unref();
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`keelson-store: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
