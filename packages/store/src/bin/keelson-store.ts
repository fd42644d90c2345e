// keelson-store: runs an MvccStore as its own process behind the gRPC KV + Watch service.
//   keelson-store --data-dir DIR --listen 127.0.0.1:PORT [--no-sync]
//                 [--auto-compact-retention REVISIONS --auto-compact-interval MS]
// As a Raft member (ReplicatedStore; KV, Watch and RaftPeer on the member's peer address):
//   keelson-store --data-dir DIR --name m1 --peers m1=127.0.0.1:P1,m2=...,m3=... [--join]
// Membership (through any member; changes go through Raft conf changes):
//   keelson-store member list --endpoints ADDR[,ADDR]
//   keelson-store member add NAME=ADDR --endpoints ADDR[,ADDR]
//   keelson-store member remove NAME --endpoints ADDR[,ADDR]
// Prints one line "keelson-store listening on HOST:PORT revision N" once serving; stops cleanly
// on SIGINT/SIGTERM. Bad arguments or an unusable directory: one line on stderr, exit 1.
import { Command, InvalidArgumentError as CommanderArgError } from 'commander';
import { MvccStore } from '../mvcc-store';
import { startStoreServer } from '../grpc/server';
import { memberCall, startReplicatedMember, type ClusterView } from '../replication/member';
import type { KV } from '../types';

function listenAddress(v: string): string {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new CommanderArgError('expected HOST:PORT, e.g. 127.0.0.1:2379');
  return v;
}

/** Parses `m1=host:port,m2=host:port` into name → address. */
function peerList(v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of v.split(',').filter(Boolean)) {
    const m = /^([A-Za-z0-9._-]+)=(.+:\d{1,5})$/.exec(part.trim());
    if (!m) throw new CommanderArgError('expected NAME=HOST:PORT[,NAME=HOST:PORT...]');
    out[m[1]] = m[2];
  }
  if (!Object.keys(out).length) throw new CommanderArgError('expected NAME=HOST:PORT[,NAME=HOST:PORT...]');
  return out;
}

function printView(v: ClusterView): void {
  for (const m of v.members) {
    console.log(
      `${m.name} ${m.address} ${m.learner ? 'learner' : 'voter'}${m.name === v.leader ? ' leader' : ''}`,
    );
  }
}

/** `keelson-store member list|add|remove`. */
async function memberMain(argv: string[]): Promise<void> {
  const program = new Command().name('keelson-store member').showHelpAfterError(false);
  const endpoints = () =>
    new Command().requiredOption(
      '--endpoints <addr,...>',
      'gRPC addresses of members (HOST:PORT[,HOST:PORT...])',
    );
  program.addCommand(
    endpoints()
      .name('list')
      .description('list members (name, address, voter/learner, leader)')
      .action(async (o: { endpoints: string }) => printView(await memberCall(o.endpoints, 'memberList', {}))),
  );
  program.addCommand(
    endpoints()
      .name('add')
      .argument('<name=addr>', 'the new member and its gRPC address')
      .description(
        'add a member (learner first, promoted to voter once caught up); then start it with --join',
      )
      .action(async (spec: string, o: { endpoints: string }) => {
        const m = /^([A-Za-z0-9._-]+)=(.+:\d{1,5})$/.exec(spec);
        if (!m) throw new Error('member add: expected NAME=HOST:PORT');
        printView(await memberCall(o.endpoints, 'memberAdd', { name: m[1], address: m[2] }));
      }),
  );
  program.addCommand(
    endpoints()
      .name('remove')
      .argument('<name>', 'the member to remove')
      .description('remove a member')
      .action(async (name: string, o: { endpoints: string }) =>
        printView(await memberCall(o.endpoints, 'memberRemove', { name })),
      ),
  );
  await program.parseAsync(argv, { from: 'user' });
}

async function main(): Promise<void> {
  if (process.argv[2] === 'member') {
    await memberMain(process.argv.slice(3));
    return;
  }
  const program = new Command()
    .name('keelson-store')
    .description('MVCC key-value store on LevelDB served over gRPC (keelson.store.v1)')
    .requiredOption('--data-dir <dir>', 'LevelDB directory (created if missing)')
    .option(
      '--listen <host:port>',
      "gRPC listen address; port 0 picks a free port (default with --peers: this member's peer address)",
      listenAddress,
    )
    .option('--name <name>', "this member's name in --peers (replicated mode)")
    .option(
      '--peers <name=addr,...>',
      'initial cluster members and their gRPC addresses: run as a Raft member',
      peerList,
    )
    .option('--join', 'with --peers: join an existing cluster (after `member add`) instead of bootstrapping')
    .option('--tick-ms <ms>', 'Raft tick period, ms', (v) => Number(v), 100)
    .option('--election-ticks <n>', 'Raft election timeout in ticks', (v) => Number(v), 10)
    .option('--snapshot-entries <n>', 'Raft log entries between snapshots', (v) => Number(v), 10_000)
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
    listen?: string;
    name?: string;
    peers?: Record<string, string>;
    join?: boolean;
    tickMs: number;
    electionTicks: number;
    snapshotEntries: number;
    sync: boolean;
    progressInterval: number;
    autoCompactRetention: number;
    autoCompactInterval: number;
  }>();
  for (const [flag, v] of [
    ['--progress-interval', o.progressInterval],
    ['--auto-compact-retention', o.autoCompactRetention],
    ['--auto-compact-interval', o.autoCompactInterval],
    ['--tick-ms', o.tickMs],
    ['--election-ticks', o.electionTicks],
    ['--snapshot-entries', o.snapshotEntries],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${flag} must be a non-negative integer`);
  }

  let store: KV;
  let server: { port: number; close(): Promise<void> };
  let listen: string;
  if (o.peers) {
    if (!o.name) throw new Error('--peers needs --name');
    if (!o.peers[o.name]) throw new Error(`--name ${o.name} is not in --peers`);
    listen = o.listen ?? o.peers[o.name];
    const member = await startReplicatedMember({
      name: o.name,
      dataDir: o.dataDir,
      peers: o.peers,
      join: !!o.join,
      listen,
      sync: o.sync,
      progressIntervalMs: o.progressInterval,
      tickMs: o.tickMs,
      electionTick: o.electionTicks,
      snapshotEntries: o.snapshotEntries,
      onFatal: (err) => {
        console.error(`keelson-store: ${err.message}`);
        process.exit(1);
      },
    });
    store = member.store;
    server = { port: member.port, close: () => member.server.close() };
  } else {
    if (o.name || o.join) throw new Error('--name and --join need --peers');
    if (!o.listen) throw new Error("required option '--listen <host:port>' not specified");
    listen = o.listen;
    const local = await MvccStore.open(o.dataDir, { sync: o.sync, progressIntervalMs: o.progressInterval });
    store = local;
    try {
      server = await startStoreServer(local, listen);
    } catch (err) {
      await local.close();
      throw err;
    }
  }
  const host = listen.slice(0, listen.lastIndexOf(':'));
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
