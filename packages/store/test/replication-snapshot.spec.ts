// Snapshots and membership on an in-process 3-member cluster: a member stopped while the log is
// compacted comes back through InstallSnapshot with the full history; a member restarts from its
// own snapshot; replicated compaction; a fourth member is added (learner → voter) and removed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReplicatedMember, type ReplicatedMember, type WatchEvent } from '../src/index';
import { freePort, until } from './replication-helpers';

jest.setTimeout(60_000);

const enc = new TextEncoder();
const dec = new TextDecoder();
const OPTS = {
  tickMs: 100,
  electionTick: 10,
  heartbeatTick: 1,
  requestTimeoutMs: 10_000,
  snapshotEntries: 40,
  keepEntries: 5,
};

describe('ReplicatedStore snapshots and membership', () => {
  const root = mkdtempSync(join(tmpdir(), `keelson-repl-snap-${process.pid}-`));
  const names = ['m1', 'm2', 'm3'];
  const peers: Record<string, string> = {};
  const members = new Map<string, ReplicatedMember>();

  async function start(name: string, extra: object = {}): Promise<ReplicatedMember> {
    const m = await startReplicatedMember({
      name,
      dataDir: join(root, name),
      peers,
      listen: peers[name],
      ...OPTS,
      ...extra,
    });
    members.set(name, m);
    return m;
  }
  const store = (n: string) => members.get(n)!.store;

  async function leaderOf(among: string[]): Promise<string> {
    return until('a leader', () => {
      const seen = among.map((n) => store(n).leader());
      return seen.every((l) => l && l === seen[0]) && among.includes(seen[0]) ? seen[0] : '';
    });
  }

  beforeAll(async () => {
    for (const n of names) peers[n] = `127.0.0.1:${await freePort()}`;
    await Promise.all(names.map((n) => start(n)));
    await leaderOf(names);
  });

  afterAll(async () => {
    for (const m of members.values()) await m.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('brings a member that missed compacted entries back with InstallSnapshot, history included', async () => {
    const leader = await leaderOf(names);
    const lagging = names.find((n) => n !== leader)!;
    const other = names.find((n) => n !== leader && n !== lagging)!;
    const { revision: firstRev } = await store(leader).put('/s/first', enc.encode('0'));
    await until(
      'lagging member has the first key',
      async () => (await store(lagging).get('/s/first', { serializable: true })) !== undefined,
    );
    const laggingLast = store(lagging).raftStatus().lastIndex;
    await members.get(lagging)!.close();
    members.delete(lagging);
    for (let i = 0; i < 120; i++) await store(other).put(`/s/k${i % 30}`, enc.encode(String(i)));
    // The leader compacted its log past what the stopped member has.
    const st = store(leader).raftStatus();
    expect(st.snapshotIndex).toBeGreaterThan(laggingLast);
    expect(st.firstIndex).toBeGreaterThan(laggingLast + 1);

    const back = await start(lagging);
    await until('restarted member installs the snapshot and catches up', async () => {
      const r = await back.store.range('/s/', { prefix: true, serializable: true });
      return r.kvs.length === 31 && dec.decode(r.kvs.find((kv) => kv.key === '/s/k29')!.value) === '119';
    });
    expect(back.store.raftStatus().snapshotIndex).toBeGreaterThanOrEqual(st.snapshotIndex);
    // Same revisions as the leader, and the history before the snapshot is there: a watch from
    // the first revision replays all 121 puts.
    const [a, b] = await Promise.all([
      store(leader).range('/s/', { prefix: true }),
      back.store.range('/s/', { prefix: true, serializable: true }),
    ]);
    expect(b.kvs).toEqual(a.kvs);
    const events: WatchEvent[] = [];
    const h = back.store.watch(
      '/s/',
      { prefix: true, startRevision: firstRev },
      {
        onEvents: (ev) => events.push(...ev),
        onError: (e) =>
          events.push({
            type: 'delete',
            kv: {
              key: `error ${e.message}`,
              value: new Uint8Array(),
              createRevision: 0,
              modRevision: 0,
              version: 0,
            },
          }),
      },
    );
    await until('watch replays the history', () => events.length >= 121);
    h.cancel();
    expect(events).toHaveLength(121);
    expect(events[0].kv.modRevision).toBe(firstRev);
  });

  it('restarts a member from its own snapshot and log', async () => {
    const leader = await leaderOf(names);
    const n = names.find((x) => x !== leader)!;
    const before = await store(n).range('/s/', { prefix: true });
    await members.get(n)!.close();
    members.delete(n);
    const back = await start(n);
    const after = await back.store.range('/s/', { prefix: true, serializable: true });
    expect(after.kvs).toEqual(before.kvs);
    expect(back.store.raftStatus().snapshotIndex).toBeGreaterThan(1); // more than the bootstrap snapshot
  });

  it('replicates compaction to every member', async () => {
    const leader = await leaderOf(names);
    const rev = await store(leader).currentRevision();
    await store(names[0]).compact(rev - 10);
    await until('every member compacted', async () => {
      const revs = await Promise.all(names.map((n) => store(n).compactRevision()));
      return revs.every((r) => r === rev - 10);
    });
    await expect(store(names[1]).compact(rev - 20)).rejects.toThrow(/compact/i);
  });

  it('adds a fourth member (learner, then voter) and removes it again', async () => {
    const leader = await leaderOf(names);
    peers.m4 = `127.0.0.1:${await freePort()}`;
    const adding = store(names.find((n) => n !== leader)!).addMember('m4', peers.m4);
    const m4 = await start('m4', { join: true });
    await adding;
    expect(
      store(leader)
        .members()
        .map((m) => [m.name, m.learner]),
    ).toEqual([
      ['m1', false],
      ['m2', false],
      ['m3', false],
      ['m4', false],
    ]);
    await until(
      'm4 has the data',
      async () => (await m4.store.range('/s/', { prefix: true, serializable: true })).kvs.length === 31,
    );
    const { revision } = await m4.store.put('/s/from-m4', enc.encode('x'));
    expect((await store(leader).get('/s/from-m4'))?.modRevision).toBe(revision);

    await store(leader).removeMember('m4');
    await until('m4 removed everywhere', () =>
      names.every(
        (n) =>
          !store(n)
            .members()
            .some((m) => m.name === 'm4'),
      ),
    );
    await members.get('m4')!.close();
    members.delete('m4');
    await store(names[0]).put('/s/after-remove', enc.encode('y'));
  });
});
