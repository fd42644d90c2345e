import { CompactedError, SnapshotOutOfDateError, UnavailableError } from './errors';
import { MemoryStorage } from './storage';
import type { Entry } from './types';

const e = (index: number, term: number, size = 1): Entry => ({
  index,
  term,
  type: 'Normal',
  data: new Uint8Array(size),
});

function storageWith(terms: number[]): MemoryStorage {
  const s = new MemoryStorage();
  s.append(terms.map((t, i) => e(i + 1, t)));
  return s;
}

describe('MemoryStorage', () => {
  test('starts empty: first index 1, last index 0, term(0) = 0', () => {
    const s = new MemoryStorage();
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(0);
    expect(s.term(0)).toBe(0);
    expect(s.initialState()).toEqual({
      hardState: { term: 0, vote: '', commit: 0 },
      confState: { voters: [], learners: [] },
    });
  });

  test('entries() returns [lo, hi), throws on compacted or unavailable ranges, and honours maxBytes', () => {
    const s = storageWith([1, 1, 2, 3]);
    expect(s.entries(2, 4).map((x) => x.index)).toEqual([2, 3]);
    expect(() => s.entries(2, 6)).toThrow(UnavailableError);
    expect(s.entries(1, 5, 2).map((x) => x.index)).toEqual([1, 2]);
    expect(s.entries(1, 5, 0).map((x) => x.index)).toEqual([1]); // at least one entry
    s.compact(2);
    expect(() => s.entries(2, 3)).toThrow(CompactedError);
    expect(s.term(2)).toBe(1); // the compaction point keeps its term
    expect(() => s.term(1)).toThrow(CompactedError);
    expect(s.firstIndex()).toBe(3);
  });

  test('append overwrites a conflicting suffix and ignores compacted entries', () => {
    const s = storageWith([1, 1, 1, 1]);
    s.append([e(3, 2), e(4, 2), e(5, 2)]);
    expect([3, 4, 5].map((i) => s.term(i))).toEqual([2, 2, 2]);
    s.append([e(2, 3)]);
    expect(s.lastIndex()).toBe(2);
    s.compact(2);
    s.append([e(1, 3), e(2, 3), e(3, 3)]);
    expect(s.lastIndex()).toBe(3);
    expect(s.term(3)).toBe(3);
    expect(() => s.append([e(9, 3)])).toThrow(/missing log entry/);
  });

  test('createSnapshot + compact, then applySnapshot replaces everything', () => {
    const s = storageWith([1, 1, 2, 2]);
    const snap = s.createSnapshot(3, { voters: ['a'], learners: [] }, new Uint8Array([7]));
    expect(snap.metadata).toEqual({ index: 3, term: 2, confState: { voters: ['a'], learners: [] } });
    expect(() => s.createSnapshot(2, { voters: [], learners: [] }, new Uint8Array())).toThrow(
      SnapshotOutOfDateError,
    );
    s.compact(3);
    expect(s.firstIndex()).toBe(4);
    expect(s.initialState().confState).toEqual({ voters: ['a'], learners: [] });
    s.applySnapshot({
      metadata: { index: 10, term: 5, confState: { voters: ['a', 'b'], learners: [] } },
      data: new Uint8Array(),
    });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.term(10)).toBe(5);
    expect(() =>
      s.applySnapshot({
        metadata: { index: 9, term: 5, confState: { voters: [], learners: [] } },
        data: new Uint8Array(),
      }),
    ).toThrow(SnapshotOutOfDateError);
  });

  test('clone() is independent', () => {
    const s = storageWith([1, 2]);
    const c = s.clone();
    s.append([e(3, 3)]);
    expect(c.lastIndex()).toBe(2);
  });
});
