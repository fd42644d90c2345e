import { ProposalDroppedError, RaftUsageError } from './errors';
import { RawNode } from './raw-node';
import { MemoryStorage } from './storage';
import { makeMessage } from './types';

const enc = new TextEncoder();

/** Persists a Ready the way the contract says (snapshot, entries, hard state) and advances. */
function handle(n: RawNode, storage: MemoryStorage, rd = n.ready()): void {
  if (rd.snapshot) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState) storage.setHardState(rd.hardState);
  n.advance(rd);
}

describe('RawNode', () => {
  test('a single-member cluster: bootstrap snapshot, election, propose, commit and apply through Ready/advance', () => {
    const storage = new MemoryStorage();
    const n = new RawNode({ id: 'a', storage, peers: ['a'] });
    let rd = n.ready();
    expect(rd.snapshot?.metadata).toEqual({ index: 1, term: 1, confState: { voters: ['a'], learners: [] } });
    expect(rd.hardState).toEqual({ term: 1, vote: '', commit: 1 });
    storage.applySnapshot(rd.snapshot!);
    storage.setHardState(rd.hardState!);
    n.advance(rd);
    expect(n.hasReady()).toBe(false);

    n.campaign();
    expect(n.status().softState).toEqual({ lead: 'a', raftState: 'Leader' });
    n.propose(enc.encode('x'));
    const applied: string[] = [];
    while (n.hasReady()) {
      rd = n.ready();
      storage.append(rd.entries);
      if (rd.hardState) storage.setHardState(rd.hardState);
      for (const e of rd.committedEntries) if (e.data.length) applied.push(new TextDecoder().decode(e.data));
      n.advance(rd);
    }
    expect(applied).toEqual(['x']);
    expect(storage.getHardState().commit).toBe(3);
    expect(n.status().applied).toBe(3);
  });

  test('committed entries are not handed out before the leader persisted them', () => {
    const storage = new MemoryStorage();
    const n = new RawNode({ id: 'a', storage, peers: ['a'] });
    handle(n, storage);
    n.campaign();
    const rd = n.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    expect(rd.committedEntries).toEqual([]);
    storage.append(rd.entries);
    n.advance(rd);
    expect(n.ready().committedEntries.map((e) => e.index)).toEqual([2]);
  });

  test('readIndex on a single member yields a ReadState at the commit index', () => {
    const storage = new MemoryStorage();
    const n = new RawNode({ id: 'a', storage, peers: ['a'] });
    handle(n, storage);
    n.campaign();
    handle(n, storage);
    handle(n, storage);
    n.readIndex(enc.encode('ctx'));
    const rd = n.ready();
    expect(rd.readStates).toEqual([{ index: 2, requestCtx: enc.encode('ctx') }]);
  });

  test('proposals without a leader throw ProposalDroppedError; local message types cannot be stepped', () => {
    const n = new RawNode({ id: 'a', storage: new MemoryStorage(), peers: ['a', 'b', 'c'] });
    expect(() => n.propose(enc.encode('x'))).toThrow(ProposalDroppedError);
    expect(() => n.readIndex(enc.encode('x'))).toThrow(ProposalDroppedError);
    expect(() => n.step(makeMessage({ type: 'MsgHup', from: 'b', term: 1 }))).toThrow(RaftUsageError);
    expect(() => n.step(makeMessage({ type: 'MsgApp', to: 'a', from: '', term: 1 }))).toThrow(RaftUsageError);
    expect(n.step(makeMessage({ type: 'MsgApp', to: 'z', from: 'b', term: 5 }))).toBe(false); // misrouted: ignored
    expect(n.status().hardState.term).toBe(1);
    expect(n.step(makeMessage({ type: 'MsgHeartbeat', to: 'a', from: 'b', term: 5 }))).toBe(true);
    expect(n.status().hardState.term).toBe(5);
  });

  test('configuration errors', () => {
    expect(() => new RawNode({ id: '', storage: new MemoryStorage() })).toThrow(/id/);
    expect(
      () => new RawNode({ id: 'a', storage: new MemoryStorage(), electionTick: 2, heartbeatTick: 2 }),
    ).toThrow(/electionTick/);
  });

  test('determinism: the same seed and inputs give the same Readies', () => {
    const run = () => {
      const n = new RawNode({
        id: 'a',
        storage: new MemoryStorage(),
        peers: ['a', 'b', 'c'],
        random: () => 0.37,
      });
      const out: unknown[] = [];
      for (let i = 0; i < 30; i++) {
        n.tick();
        if (n.hasReady()) {
          const rd = n.ready();
          out.push(
            rd.hardState,
            rd.softState,
            rd.messages.map((m) => [m.type, m.to, m.term]),
          );
          n.advance(rd);
        }
      }
      return out;
    };
    expect(run()).toEqual(run());
  });
});
