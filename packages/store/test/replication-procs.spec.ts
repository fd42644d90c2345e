// Three real keelson-store member processes under a write load from a RemoteStore that knows
// all three addresses: SIGKILL the leader, then a follower, restart both; every acknowledged
// write must then be on every member, and a new leader must take writes after each kill.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MvccStore, RemoteStore, memberCall } from '../src/index';
import { freePort, until } from './replication-helpers';

jest.setTimeout(90_000);

const repo = resolve(__dirname, '../../..');
const bin = join(repo, 'packages/store/src/bin/keelson-store.ts');
const enc = new TextEncoder();
const dec = new TextDecoder();

describe('keelson-store members as processes, killed and restarted under load', () => {
  const root = mkdtempSync(join(tmpdir(), `keelson-repl-procs-${process.pid}-`));
  const names = ['m1', 'm2', 'm3'];
  const addr: Record<string, string> = {};
  const procs = new Map<string, ChildProcess>();
  const logs = new Map<string, string>();

  function startMember(name: string): Promise<void> {
    const peers = names.map((n) => `${n}=${addr[n]}`).join(',');
    const child = spawn(
      process.execPath,
      [
        '--conditions=keelson-source',
        '--import',
        'tsx',
        bin,
        '--data-dir',
        join(root, name),
        '--name',
        name,
        '--peers',
        peers,
        '--tick-ms',
        '50',
      ],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.set(name, child);
    child.stderr!.on('data', (d: Buffer) => logs.set(name, (logs.get(name) ?? '') + d.toString()));
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`${name} did not start: ${logs.get(name)}`)), 30_000);
      child.once('exit', (code) => rej(new Error(`${name} exited ${code}: ${logs.get(name)}`)));
      createInterface({ input: child.stdout! }).on('line', (l) => {
        if (/listening on/.test(l)) {
          clearTimeout(t);
          res();
        }
      });
    });
  }

  async function kill(name: string): Promise<void> {
    const c = procs.get(name)!;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
    procs.delete(name);
  }

  async function leaderAmong(alive: string[]): Promise<string> {
    return until(
      `a leader among ${alive}`,
      async () => {
        const v = await memberCall(alive.map((n) => addr[n]).join(','), 'memberList', {}, 2000);
        return alive.includes(v.leader) ? v.leader : '';
      },
      30_000,
      100,
    );
  }

  afterAll(async () => {
    for (const c of procs.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps every acknowledged write through leader and follower crashes', async () => {
    for (const n of names) addr[n] = `127.0.0.1:${await freePort()}`;
    await Promise.all(names.map(startMember));
    const first = await leaderAmong(names);

    const client = new RemoteStore(names.map((n) => addr[n]).join(','), { timeoutMs: 5000 });
    const acked = new Map<string, string>();
    let stop = false;
    let ackCount = 0;
    let lastAck = 0;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let seq = 0; !stop; seq++) {
        const key = `/load/w${w}/${seq}`;
        const value = `v${w}-${seq}`;
        try {
          await client.put(key, enc.encode(value));
          acked.set(key, value);
          ackCount++;
          lastAck = Date.now();
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });
    const acksAbove = (n: number) => until(`more than ${n} acks`, () => ackCount > n, 30_000);

    await acksAbove(50);
    // 1. Kill the leader: the two others elect a new one and writes continue.
    await kill(first);
    const killedAt = Date.now();
    const second = await leaderAmong(names.filter((n) => n !== first));
    expect(second).not.toBe(first);
    // A few election timeouts (10-20 ticks of 50 ms each) plus one request timeout (5 s) at most.
    await until('a write acknowledged after the kill', () => ackCount > 0 && lastAck > killedAt, 8000);
    await acksAbove(ackCount + 50);
    // 2. Kill a follower too: no quorum, writes stall (they fail with UNAVAILABLE).
    const follower = names.find((n) => n !== first && n !== second)!;
    await kill(follower);
    // 3. Restart both: a leader is elected again and writes resume; the restarted members
    //    catch up from their own logs plus the leader.
    await Promise.all([startMember(first), startMember(follower)]);
    await leaderAmong(names);
    await acksAbove(ackCount + 50);
    stop = true;
    await Promise.all(writers);
    await client.close();
    expect(acked.size).toBeGreaterThan(150);

    // Every member serves the same data (linearizable range through each member's address).
    const views: string[] = [];
    for (const n of names) {
      const one = new RemoteStore(addr[n]);
      const r = await until(`range on ${n}`, () => one.range('/load/', { prefix: true }), 20_000);
      views.push(JSON.stringify(r.kvs.map((kv) => [kv.key, dec.decode(kv.value), kv.modRevision])));
      await one.close();
    }
    expect(views[1]).toBe(views[0]);
    expect(views[2]).toBe(views[0]);

    // The CLI shows the membership: three voters, one leader.
    const list = spawnSync(
      process.execPath,
      [
        '--conditions=keelson-source',
        '--import',
        'tsx',
        bin,
        'member',
        'list',
        '--endpoints',
        names.map((n) => addr[n]).join(','),
      ],
      { cwd: repo, encoding: 'utf8' },
    );
    expect(list.status).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(
      names.map((n) => `${n} ${addr[n]} voter`),
    );
    expect(lines.filter((l) => l.endsWith(' leader'))).toHaveLength(1);

    // Stop them and read each member's MVCC directory directly (its local, serializable state).
    await until(
      'members at the same applied index',
      async () => {
        const revs = await Promise.all(
          names.map(async (n) => {
            const one = new RemoteStore(addr[n]);
            try {
              return await one.currentRevision();
            } finally {
              await one.close();
            }
          }),
        );
        return revs.every((r) => r === revs[0]);
      },
      10_000,
    );
    for (const n of names) {
      const c = procs.get(n)!;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await gone;
      procs.delete(n);
    }
    for (const n of names) {
      const local = await MvccStore.open(join(root, n, 'mvcc'));
      try {
        const r = await local.range('/load/', { prefix: true });
        const got = new Map(r.kvs.map((kv) => [kv.key, dec.decode(kv.value)]));
        const missing = [...acked].filter(([k, v]) => got.get(k) !== v);
        expect({ member: n, missing: missing.slice(0, 5) }).toEqual({ member: n, missing: [] });
      } finally {
        await local.close();
      }
    }
  });
});
