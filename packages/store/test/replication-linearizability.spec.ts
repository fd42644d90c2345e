// Linearizability of the replicated store (puts and linearizable gets through random members)
// across a leader crash and restart, checked with @keelson/raft's Wing & Gong checker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOperations, kvModel, type KvInput, type KvOutput, type Operation } from '@keelson/raft';
import { startReplicatedMember, type ReplicatedMember } from '../src/index';
import { freePort, until } from './replication-helpers';

jest.setTimeout(60_000);

describe('ReplicatedStore history', () => {
  const root = mkdtempSync(join(tmpdir(), `keelson-repl-lin-${process.pid}-`));
  const names = ['m1', 'm2', 'm3'];
  const peers: Record<string, string> = {};
  const members = new Map<string, ReplicatedMember>();
  const start = async (n: string) => {
    const m = await startReplicatedMember({
      name: n,
      dataDir: join(root, n),
      peers,
      listen: peers[n],
      tickMs: 100,
      requestTimeoutMs: 3000,
    });
    members.set(n, m);
  };

  afterAll(async () => {
    for (const m of members.values()) await m.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('is linearizable through a leader crash and restart', async () => {
    for (const n of names) peers[n] = `127.0.0.1:${await freePort()}`;
    await Promise.all(names.map(start));
    await until('a leader', () => members.get('m1')!.store.leader());

    const history: Operation<KvInput, KvOutput>[] = [];
    let stop = false;
    let uniq = 0;
    const clients = Array.from({ length: 6 }, async (_, c) => {
      while (!stop) {
        const alive = [...members.values()];
        const m = alive[Math.floor(Math.random() * alive.length)];
        const key = `/lin/${Math.floor(Math.random() * 3)}`;
        const put = Math.random() < 0.5;
        const input: KvInput = put ? { op: 'put', key, value: `c${c}-${uniq++}` } : { op: 'get', key };
        const op: Operation<KvInput, KvOutput> = { clientId: c, input, call: performance.now() };
        history.push(op);
        try {
          if (input.op === 'put') {
            await m.store.put(key, new TextEncoder().encode(input.value));
            op.output = {};
          } else {
            const kv = await m.store.get(key);
            op.output = { value: kv && new TextDecoder().decode(kv.value) };
          }
          op.ret = performance.now();
        } catch {
          // Outcome unknown: the operation stays open (it may or may not have taken effect).
          if (input.op === 'get') history.splice(history.indexOf(op), 1);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    });
    const done = (n: number) => history.filter((o) => o.ret !== undefined).length > n;
    await until('some operations', () => done(100));
    const leader = members.get('m1')!.store.leader();
    await members.get(leader)!.close();
    members.delete(leader);
    await until('operations after the crash', () => done(250), 30_000);
    await start(leader);
    await until('operations after the restart', () => done(400), 30_000);
    stop = true;
    await Promise.all(clients);

    const completed = history.filter((o) => o.ret !== undefined);
    expect(
      completed.filter((o) => o.input.op === 'get' && o.output?.value !== undefined).length,
    ).toBeGreaterThan(20);
    const res = checkOperations(kvModel, history);
    expect(res.timedOut ?? false).toBe(false);
    expect(res.ok).toBe(true);
  });
});
