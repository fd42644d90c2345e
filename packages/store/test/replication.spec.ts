// In-process 3-member cluster over gRPC on loopback: replication, linearizable reads, leader
// failover, snapshots for a lagging member, membership changes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMessage, makeMessage } from '@keelson/raft';
import { RemoteStore, startReplicatedMember, type ReplicatedMember } from '../src/index';
import { freePort, until } from './replication-helpers';

jest.setTimeout(60_000);

const enc = new TextEncoder();
const dec = new TextDecoder();
const FAST = { tickMs: 100, electionTick: 10, heartbeatTick: 1, requestTimeoutMs: 10_000 };

describe('ReplicatedStore, 3 members in process', () => {
  const root = mkdtempSync(join(tmpdir(), `keelson-repl-${process.pid}-`));
  const names = ['m1', 'm2', 'm3'];
  const peers: Record<string, string> = {};
  const members = new Map<string, ReplicatedMember>();

  async function start(name: string, extra: object = {}): Promise<ReplicatedMember> {
    const m = await startReplicatedMember({
      name,
      dataDir: join(root, name),
      peers,
      listen: peers[name],
      ...FAST,
      ...extra,
    });
    members.set(name, m);
    return m;
  }

  async function leaderOf(among: string[]): Promise<string> {
    return until('a leader', () => {
      const seen = among.map((n) => members.get(n)!.store.leader());
      return seen.every((l) => l && l === seen[0]) && among.includes(seen[0]) ? seen[0] : '';
    });
  }

  beforeAll(async () => {
    for (const n of names) peers[n] = `127.0.0.1:${await freePort()}`;
    await Promise.all(names.map((n) => start(n)));
  });

  afterAll(async () => {
    for (const m of members.values()) await m.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('replicates writes made through any member and reads them back linearizably', async () => {
    await leaderOf(names);
    let i = 0;
    for (const n of names) {
      const s = members.get(n)!.store;
      const { revision } = await s.put(`/k/${n}`, enc.encode(`v${i++}`));
      expect(revision).toBeGreaterThan(1);
      // A linearizable read on every member right after the write sees it.
      for (const o of names) {
        const kv = await members.get(o)!.store.get(`/k/${n}`);
        expect(dec.decode(kv!.value)).toBe(`v${i - 1}`);
        expect(kv!.modRevision).toBe(revision);
      }
    }
    const txn = await members
      .get('m2')!
      .store.txn(
        [{ key: '/k/m1', target: 'version', result: '=', value: 1 }],
        [{ type: 'put', key: '/k/t', value: enc.encode('txn') }],
        [],
      );
    expect(txn.succeeded).toBe(true);
    const del = await members.get('m3')!.store.delete('/k/m3');
    expect(del.deleted).toBe(1);
    // Every member applied the same history: same ranges, same revisions.
    await until('members converge', async () => {
      const rs = await Promise.all(
        names.map((n) => members.get(n)!.store.range('/k/', { prefix: true, serializable: true })),
      );
      return rs.every((r) => JSON.stringify(r) === JSON.stringify(rs[0])) && rs[0].kvs.length === 3;
    });
    // Errors come back as the local store's named errors.
    await expect(members.get('m1')!.store.put('', enc.encode('x'))).rejects.toThrow(/key/i);
  });

  it('drops misaddressed and local-only messages from the network without failing', async () => {
    const s = members.get('m1')!.store;
    s.receive([
      encodeMessage(makeMessage({ type: 'MsgHeartbeat', to: 'nobody', from: 'm2', term: 1 })),
      encodeMessage(makeMessage({ type: 'MsgHup', to: 'm1', from: 'm2', term: 1 })),
      new Uint8Array([1, 2, 3]),
    ]);
    const { revision } = await s.put('/k/after-junk', enc.encode('ok'));
    expect((await members.get('m2')!.store.get('/k/after-junk'))?.modRevision).toBe(revision);
  });

  it('serves through RemoteStore with all three addresses', async () => {
    const remote = new RemoteStore(names.map((n) => peers[n]).join(','));
    try {
      const { revision } = await remote.put('/remote/a', enc.encode('1'));
      const kv = await remote.get('/remote/a');
      expect(kv?.modRevision).toBe(revision);
    } finally {
      await remote.close();
    }
  });

  it('elects a new leader when the leader stops, keeps writing, and catches the old leader up', async () => {
    const old = await leaderOf(names);
    await members.get(old)!.close();
    members.delete(old);
    const rest = names.filter((n) => n !== old);
    const leader = await leaderOf(rest);
    expect(leader).not.toBe(old);
    const s = members.get(rest[0])!.store;
    for (let i = 0; i < 20; i++) await s.put(`/after/${i}`, enc.encode(String(i)));
    const r = await members.get(rest[1])!.store.range('/after/', { prefix: true });
    expect(r.kvs).toHaveLength(20);
    // The old leader restarts from its disk and catches up.
    const back = await start(old);
    await until('restarted member catches up', async () => {
      const x = await back.store.range('/after/', { prefix: true, serializable: true });
      return x.kvs.length === 20;
    });
    const lin = await back.store.get('/after/19');
    expect(dec.decode(lin!.value)).toBe('19');
  });
});
