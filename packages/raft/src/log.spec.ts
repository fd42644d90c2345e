import { RaftLog } from './log';
import { MemoryStorage } from './storage';
import type { Entry } from './types';

const e = (index: number, term: number): Entry => ({
  index,
  term,
  type: 'Normal',
  data: new Uint8Array([index]),
});

function logWith(stable: number[], unstable: number[] = []): RaftLog {
  const s = new MemoryStorage();
  s.append(stable.map((t, i) => e(i + 1, t)));
  const l = new RaftLog(s);
  l.append(unstable.map((t, i) => e(stable.length + i + 1, t)));
  return l;
}

describe('RaftLog', () => {
  test('reads across the stable and unstable parts', () => {
    const l = logWith([1, 1], [2, 3]);
    expect(l.lastIndex()).toBe(4);
    expect(l.persistedLastIndex()).toBe(2);
    expect(l.slice(1, 5).map((x) => x.term)).toEqual([1, 1, 2, 3]);
    expect(l.term(5)).toBeUndefined();
    expect(l.lastTerm()).toBe(3);
  });

  test('findConflict returns the first mismatching index (Figure 2 receiver rule 3)', () => {
    const l = logWith([1, 2, 3]);
    expect(l.findConflict([e(1, 1), e(2, 2)])).toBe(0);
    expect(l.findConflict([e(2, 2), e(3, 4)])).toBe(3);
    expect(l.findConflict([e(3, 3), e(4, 4)])).toBe(4);
  });

  test('findConflictByTerm skips a whole term at once (thesis §5.3)', () => {
    const l = logWith([1, 1, 1, 4, 4, 5, 5, 6, 6, 6]);
    expect(l.findConflictByTerm(10, 3)).toEqual([3, 1]);
    expect(l.findConflictByTerm(10, 5)).toEqual([7, 5]);
    expect(l.findConflictByTerm(10, 6)).toEqual([10, 6]);
  });

  test('maybeAppend truncates conflicts, refuses mismatches, commits at most to the last new entry', () => {
    const l = logWith([1, 1, 1]);
    expect(l.maybeAppend(1, 2, 10, [e(2, 2)])).toBe(-1);
    expect(l.maybeAppend(1, 1, 10, [e(2, 2)])).toBe(2);
    expect(l.lastIndex()).toBe(2);
    expect(l.committed).toBe(2);
    expect(() => l.maybeAppend(0, 0, 10, [e(1, 9)])).toThrow(/committed/);
  });

  test('maybeCommit only commits entries of the given term (§5.4.2)', () => {
    const l = logWith([1, 2]);
    expect(l.maybeCommit(2, 3)).toBe(false);
    expect(l.maybeCommit(2, 2)).toBe(true);
    expect(l.committed).toBe(2);
  });

  test('stableTo and restore', () => {
    const l = logWith([1], [1, 2]);
    l.stableTo(2, 1);
    expect(l.persistedLastIndex()).toBe(2);
    l.stableTo(3, 9); // wrong term: ignored
    expect(l.persistedLastIndex()).toBe(2);
    l.restore({
      metadata: { index: 7, term: 3, confState: { voters: [], learners: [] } },
      data: new Uint8Array(),
    });
    expect(l.firstIndex()).toBe(8);
    expect(l.lastIndex()).toBe(7);
    expect(l.term(7)).toBe(3);
    expect(l.term(6)).toBeUndefined();
    expect(l.committed).toBe(7);
    expect(l.nextCommittedEnts()).toEqual([]);
  });

  test('nextCommittedEnts yields applied+1..committed', () => {
    const l = logWith([1, 1, 1, 1]);
    l.commitTo(3);
    expect(l.nextCommittedEnts().map((x) => x.index)).toEqual([1, 2, 3]);
    l.appliedTo(2);
    expect(l.nextCommittedEnts().map((x) => x.index)).toEqual([3]);
    expect(() => l.appliedTo(4)).toThrow(/out of range/);
  });
});
