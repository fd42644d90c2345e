// LevelRaftStorage: what is written survives a reopen with the MemoryStorage semantics
// (suffix overwrite, snapshot + compaction, snapshot install discarding the log).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '@keelson/raft';
import { LevelRaftStorage } from './raft-storage';
import { decodeProposal, encodeCompactProposal, encodeTxnProposal } from './proposal';

const ent = (index: number, term: number, tag = ''): Entry => ({
  index,
  term,
  type: 'Normal',
  data: new TextEncoder().encode(`${index}${tag}`),
});
const cs = { voters: ['a', 'b', 'c'], learners: [] };

describe('LevelRaftStorage', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'keelson-raftlog-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('persists entries and hard state, overwriting a conflicting suffix', async () => {
    let s = await LevelRaftStorage.open(dir);
    expect(s.isEmpty()).toBe(true);
    await s.save([ent(1, 1), ent(2, 1), ent(3, 1), ent(4, 1)], { term: 1, vote: 'a', commit: 2 });
    await s.save([ent(3, 2, 'x')], { term: 2, vote: 'b', commit: 3 });
    await s.close();
    s = await LevelRaftStorage.open(dir);
    expect(s.isEmpty()).toBe(false);
    expect(s.lastIndex()).toBe(3);
    expect(s.term(3)).toBe(2);
    expect(new TextDecoder().decode(s.entries(3, 4)[0].data)).toBe('3x');
    expect(s.initialState().hardState).toEqual({ term: 2, vote: 'b', commit: 3 });
    await s.close();
  });

  it('keeps a snapshot and the entries after the compaction point', async () => {
    let s = await LevelRaftStorage.open(dir);
    await s.save(
      Array.from({ length: 10 }, (_, i) => ent(i + 1, 1)),
      { term: 1, vote: 'a', commit: 10 },
    );
    await s.snapshotAndCompact(8, cs, new Uint8Array([7, 7]), 3);
    expect(s.firstIndex()).toBe(6);
    await s.close();
    s = await LevelRaftStorage.open(dir);
    // After a reopen the log starts right after the snapshot.
    expect(s.snapshot().metadata).toEqual({ index: 8, term: 1, confState: cs });
    expect([...s.snapshot().data]).toEqual([7, 7]);
    expect(s.firstIndex()).toBe(9);
    expect(s.lastIndex()).toBe(10);
    expect(s.term(8)).toBe(1);
    expect(s.initialState().confState).toEqual(cs);
    await s.close();
  });

  it('replaces the whole log when a snapshot is installed', async () => {
    let s = await LevelRaftStorage.open(dir);
    await s.save([ent(1, 1), ent(2, 1), ent(3, 1)], { term: 1, vote: '', commit: 1 });
    await s.installSnapshot({ metadata: { index: 50, term: 3, confState: cs }, data: new Uint8Array([1]) });
    await s.close();
    s = await LevelRaftStorage.open(dir);
    expect(s.firstIndex()).toBe(51);
    expect(s.lastIndex()).toBe(50);
    expect(s.term(50)).toBe(3);
    await s.close();
  });
});

describe('proposal codec', () => {
  it('round-trips txns and compactions with their request ids', () => {
    const value = new Uint8Array([0, 255, 1]);
    const p = decodeProposal(
      encodeTxnProposal(
        'm1/abc/7',
        [{ key: '/a', target: 'modRevision', result: '=', value: 0 }],
        [{ type: 'put', key: '/a', value, prevKv: true }],
        [{ type: 'range', key: '/a', options: { prefix: true } }],
      ),
    );
    expect(p.id).toBe('m1/abc/7');
    expect(p.kind).toBe('txn');
    if (p.kind !== 'txn') return;
    expect(p.compares[0]).toMatchObject({ key: '/a', target: 'modRevision', result: '=', value: 0 });
    expect(p.success[0]).toMatchObject({ type: 'put', key: '/a', prevKv: true });
    expect([...(p.success[0] as { value: Uint8Array }).value]).toEqual([0, 255, 1]);
    expect(p.failure[0]).toMatchObject({ type: 'range', key: '/a' });
    expect(decodeProposal(encodeCompactProposal('x', 42))).toEqual({
      id: 'x',
      kind: 'compact',
      revision: 42,
    });
    expect(() => decodeProposal(new Uint8Array([1, 2, 3]))).toThrow(/proposal/);
  });
});
