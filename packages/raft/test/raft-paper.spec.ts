/**
 * Tests tied to sentences of the Raft paper (Ongaro & Ousterhout 2014, "In Search of an
 * Understandable Consensus Algorithm (Extended Version)") and of Ongaro's thesis (2014). Each
 * test quotes or names the rule it checks.
 */
import {
  type Message,
  NONE,
  ProposalDroppedError,
  Raft,
  checkOperations,
  encodeConfChange,
  kvModel,
} from '../src';
import { entry, makeLeader, msg, newRaft, persist, take } from './helpers';
import { SimCluster } from './sim/cluster';

const enc = new TextEncoder();

describe('§5.1 terms', () => {
  test('"If a candidate or leader discovers that its term is out of date, it immediately reverts to follower state"', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false });
    makeLeader(r);
    const term = r.term;
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: term + 3 }));
    expect(r.state).toBe('Follower');
    expect(r.term).toBe(term + 3);
    expect(r.vote).toBe(NONE);
  });

  test('"If a server receives a request with a stale term number, it rejects the request"', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { term: 5 });
    r.step(
      msg({ type: 'MsgApp', from: 'b', to: 'a', term: 4, index: 0, logTerm: 0, entries: [entry(1, 4)] }),
    );
    expect(r.log.lastIndex()).toBe(0);
    expect(r.lead).toBe(NONE);
    // the stale leader is told the newer term so that it steps down
    expect(take(r).map((m) => [m.type, m.to, m.term])).toEqual([['MsgAppResp', 'b', 5]]);
  });
});

describe('§5.2 leader election', () => {
  test('"If a follower receives no communication over a period of time called the election timeout ... it begins an election"', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false, term: 1 });
    for (let i = 0; i < 20 && r.state === 'Follower'; i++) r.tick();
    expect(r.state).toBe('Candidate');
    expect(r.term).toBe(2); // "a follower increments its current term"
    expect(r.vote).toBe('a'); // "votes for itself"
    const out = take(r);
    expect(out.map((m) => [m.type, m.to, m.term]).sort()).toEqual([
      ['MsgVote', 'b', 2],
      ['MsgVote', 'c', 2],
    ]);
  });

  test('election timeouts are randomized in [electionTimeout, 2*electionTimeout) from the injected RNG', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const r = newRaft('a', ['a', 'b', 'c'], { random: () => i / 10 });
      seen.add(r.randomizedElectionTimeout);
      expect(r.randomizedElectionTimeout).toBeGreaterThanOrEqual(10);
      expect(r.randomizedElectionTimeout).toBeLessThan(20);
    }
    expect(seen.size).toBe(10);
  });

  test('"Each server will vote for at most one candidate in a given term, on a first-come-first-served basis"', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { term: 1 });
    r.step(msg({ type: 'MsgVote', from: 'b', to: 'a', term: 2 }));
    r.step(msg({ type: 'MsgVote', from: 'c', to: 'a', term: 2 }));
    r.step(msg({ type: 'MsgVote', from: 'b', to: 'a', term: 2 })); // a retry from b is granted again
    expect(take(r).map((m) => [m.type, m.to, m.reject])).toEqual([
      ['MsgVoteResp', 'b', false],
      ['MsgVoteResp', 'c', true],
      ['MsgVoteResp', 'b', false],
    ]);
    expect(r.vote).toBe('b');
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'Election Safety (Figure 3): "at most one leader can be elected in a given term" when all five campaign at once (seed %i)',
    (seed) => {
      const c = new SimCluster({ seed, ids: ['n1', 'n2', 'n3', 'n4', 'n5'], preVote: false, maxDelay: 3 });
      for (const id of c.members.keys()) c.node(id).campaign(); // everyone is a candidate of term 2
      for (let i = 0; i < 200; i++) c.step(); // random delivery order; invariants checked every step
      const byTerm = new Map<number, Set<string>>();
      for (const l of c.leaders()) byTerm.set(l.term, (byTerm.get(l.term) ?? new Set()).add(l.id));
      for (const ids of byTerm.values()) expect(ids.size).toBe(1);
      expect(c.leaders().length).toBeGreaterThan(0);
    },
  );

  test('"A candidate wins an election if it receives votes from a majority of the servers"', () => {
    const r = newRaft('a', ['a', 'b', 'c', 'd', 'e'], { preVote: false });
    r.campaign('Election');
    r.step(msg({ type: 'MsgVoteResp', from: 'b', to: 'a', term: r.term }));
    expect(r.state).toBe('Candidate'); // 2 of 5
    r.step(msg({ type: 'MsgVoteResp', from: 'c', to: 'a', term: r.term }));
    expect(r.state).toBe('Leader'); // 3 of 5
  });

  test('a candidate rejected by a majority returns to follower', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false });
    r.campaign('Election');
    r.step(msg({ type: 'MsgVoteResp', from: 'b', to: 'a', term: r.term, reject: true }));
    r.step(msg({ type: 'MsgVoteResp', from: 'c', to: 'a', term: r.term, reject: true }));
    expect(r.state).toBe('Follower');
  });

  test('"If the leader\'s term is at least as large as the candidate\'s current term, then the candidate recognizes the leader as legitimate and returns to follower state"', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false });
    r.campaign('Election');
    r.step(msg({ type: 'MsgApp', from: 'b', to: 'a', term: r.term, index: 0, logTerm: 0 }));
    expect(r.state).toBe('Follower');
    expect(r.lead).toBe('b');
  });

  test('a new leader appends a no-op entry of its term and replicates it (§8)', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false });
    r.campaign('Election');
    r.step(msg({ type: 'MsgVoteResp', from: 'b', to: 'a', term: r.term }));
    expect(r.log.lastIndex()).toBe(1);
    expect(r.log.term(1)).toBe(r.term);
    const apps = take(r).filter((m) => m.type === 'MsgApp');
    expect(apps.map((m) => m.to).sort()).toEqual(['b', 'c']);
    expect(apps[0].entries.map((e) => e.data.length)).toEqual([0]);
  });
});

describe('§5.3 log replication and the Log Matching Property', () => {
  test('"If the follower does not find an entry in its log with the same index and term, then it refuses the new entries"', () => {
    const r = newRaft('a', ['a', 'b'], { terms: [1, 1], term: 2 });
    r.step(
      msg({ type: 'MsgApp', from: 'b', to: 'a', term: 2, index: 2, logTerm: 2, entries: [entry(3, 2)] }),
    );
    expect(r.log.lastIndex()).toBe(2);
    const [resp] = take(r);
    expect(resp.type).toBe('MsgAppResp');
    expect(resp.reject).toBe(true);
    expect(resp.index).toBe(2);
  });

  test('"If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it"', () => {
    const r = newRaft('a', ['a', 'b'], { terms: [1, 1, 1, 1], term: 1 });
    r.step(
      msg({ type: 'MsgApp', from: 'b', to: 'a', term: 2, index: 1, logTerm: 1, entries: [entry(2, 2, 'x')] }),
    );
    expect(r.log.lastIndex()).toBe(2);
    expect(r.log.term(2)).toBe(2);
    expect(take(r).map((m) => [m.type, m.index, m.reject])).toEqual([['MsgAppResp', 2, false]]);
  });

  test('"If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)"', () => {
    const r = newRaft('a', ['a', 'b'], { term: 1 });
    r.step(
      msg({
        type: 'MsgApp',
        from: 'b',
        to: 'a',
        term: 1,
        index: 0,
        logTerm: 0,
        entries: [entry(1, 1)],
        commit: 5,
      }),
    );
    expect(r.log.committed).toBe(1);
  });

  test('entries already present are not truncated by a stale, shorter AppendEntries', () => {
    const r = newRaft('a', ['a', 'b'], { terms: [1, 1, 1], term: 1 });
    r.step(
      msg({ type: 'MsgApp', from: 'b', to: 'a', term: 1, index: 0, logTerm: 0, entries: [entry(1, 1)] }),
    );
    expect(r.log.lastIndex()).toBe(3);
  });

  test('fast back-off (thesis §5.3): a divergent follower is found in one round trip per term, not per entry', () => {
    // Leader a: terms 1,1,1,4,4,5,5,6,6,6 (Figure 7's leader for term 8 uses this shape).
    const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    // Follower f from Figure 7: 1,1,1,2,2,2,3,3,3,3,3 (diverges after index 3).
    const followerTerms = [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3];
    const a = newRaft('a', ['a', 'b'], { terms: leaderTerms, term: 7, preVote: false });
    const b = newRaft('b', ['a', 'b'], { terms: followerTerms, term: 7, preVote: false });
    a.campaign('Election');
    for (const m of take(a)) b.step(m);
    for (const m of take(b)) a.step(m);
    expect(a.state).toBe('Leader');
    let rejections = 0;
    for (let round = 0; round < 20; round++) {
      const toB = take(a).filter((m) => m.to === 'b');
      if (toB.length === 0) break;
      for (const m of toB) b.step(m);
      for (const m of take(b)) {
        if (m.reject) rejections++;
        a.step(m);
      }
      persist(a);
    }
    expect(rejections).toBeLessThanOrEqual(2);
    expect(b.log.lastIndex()).toBe(a.log.lastIndex());
    for (let i = 1; i <= a.log.lastIndex(); i++) expect(b.log.term(i)).toBe(a.log.term(i));
  });

  test('pipelining with flow control: at most maxInflightMsgs unacknowledged appends per follower', () => {
    const r = newRaft('a', ['a', 'b'], { preVote: false, maxInflightMsgs: 2 });
    makeLeader(r);
    persist(r);
    // b acknowledges the no-op: a moves b to Replicate.
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: 1 }));
    take(r);
    for (let i = 0; i < 5; i++) r.step(msg({ type: 'MsgProp', from: 'a', entries: [entry(0, 0, `p${i}`)] }));
    const apps = take(r).filter((m) => m.type === 'MsgApp' && m.to === 'b');
    expect(apps).toHaveLength(2);
    expect(r.prs.get('b')!.state).toBe('Replicate');
    // An ack frees the window and the rest is sent.
    r.step(
      msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: apps[1].entries.at(-1)!.index }),
    );
    const more = take(r).filter((m) => m.type === 'MsgApp' && m.to === 'b');
    expect(more.flatMap((m) => m.entries).map((e) => e.index)).toEqual([4, 5, 6]);
  });
});

describe('§5.4 safety', () => {
  test.each([
    // [voter last term, voter last index, candidate last term, candidate last index, granted]
    [2, 3, 3, 1, true], // higher last term wins
    [2, 3, 2, 3, true], // same term, same length
    [2, 3, 2, 4, true], // same term, longer
    [2, 3, 2, 2, false], // same term, shorter
    [2, 3, 1, 9, false], // lower last term, even if longer
  ])(
    '§5.4.1 "the voter denies its vote if its own log is more up-to-date than that of the candidate" (voter %i/%i, candidate %i/%i)',
    (vt, vi, ct, ci, granted) => {
      const terms = Array.from({ length: vi }, (_, i) => (i === vi - 1 ? vt : 1));
      const r = newRaft('a', ['a', 'b', 'c'], { terms, term: 5 });
      r.step(msg({ type: 'MsgVote', from: 'b', to: 'a', term: 6, logTerm: ct, index: ci }));
      const [resp] = take(r);
      expect(resp.type).toBe('MsgVoteResp');
      expect(resp.reject).toBe(!granted);
    },
  );

  test('§5.4.2 "Raft never commits log entries from previous terms by counting replicas"', () => {
    // a holds an entry from term 2 that was never committed (Figure 8 (c)).
    const r = newRaft('a', ['a', 'b', 'c'], { terms: [1, 2], term: 3, preVote: false });
    r.log.committed = 1;
    makeLeader(r); // term 4, appends its no-op at index 3
    persist(r);
    expect(r.log.term(3)).toBe(4);
    // b acknowledges index 2 only: a majority (a, b) holds the term-2 entry, but it must not commit.
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: 2 }));
    expect(r.log.committed).toBe(1);
    // "Only log entries from the leader's current term are committed by counting replicas";
    // once index 3 (term 4) is on a majority, index 2 is committed indirectly.
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: 3 }));
    expect(r.log.committed).toBe(3);
  });

  test('Figure 8: an old-term entry on a majority can still be overwritten, which is why §5.4.2 forbids committing it', () => {
    const peers = ['s1', 's2', 's3', 's4', 's5'];
    const opts = { preVote: false, checkQuorum: false, term: 3, commit: 1 };
    // (b)/(c): s1 led term 2 and holds (2, term 2) alone; s5 led term 3 and holds (2, term 3) alone.
    const s1 = newRaft('s1', peers, { ...opts, terms: [1, 2], maxSizePerMsg: 1 });
    const s5 = newRaft('s5', peers, { ...opts, terms: [1, 3] });
    const [s2, s3, s4] = ['s2', 's3', 's4'].map((id) => newRaft(id, peers, { ...opts, terms: [1] }));
    const net = new Map([s1, s2, s3, s4, s5].map((r) => [r.id, r]));
    /** Delivers `from`'s messages to `to` (and the answers back) for a few rounds. */
    const exchange = (from: Raft, to: string[], keep: (m: Message) => boolean = () => true) => {
      for (let round = 0; round < 10; round++) {
        persist(from);
        for (const m of take(from)) if (to.includes(m.to) && keep(m)) net.get(m.to)!.step(m);
        for (const id of to) {
          const r = net.get(id)!;
          persist(r);
          for (const m of take(r)) if (m.to === from.id) from.step(m);
        }
      }
    };
    // (c): s1 is elected in term 4 by s2 and s3 and replicates (2, term 2) to them, but every
    // message that would make them store its own term-4 entry is lost.
    s1.campaign('Election');
    const wouldReject = (m: Message) => m.index > net.get(m.to)!.log.lastIndex();
    exchange(s1, ['s2', 's3'], (m) => wouldReject(m) || m.entries.every((e) => e.index < 3));
    expect(s1.state).toBe('Leader');
    expect([s1, s2, s3].map((r) => r.log.term(2))).toEqual([2, 2, 2]); // on a majority ...
    expect(s1.log.committed).toBe(1); // ... yet not committed by counting replicas
    // (d): s1 crashes; s5 (last term 3) is elected by s2, s3, s4 and overwrites index 2.
    s5.campaign('Election');
    exchange(s5, ['s2', 's3', 's4']);
    if (s5.state !== 'Leader') {
      s5.campaign('Election');
      exchange(s5, ['s2', 's3', 's4']);
    }
    expect(s5.state).toBe('Leader');
    expect([s2, s3, s4].map((r) => r.log.term(2))).toEqual([3, 3, 3]);
    expect(s5.log.committed).toBeGreaterThanOrEqual(3); // (2, term 3) is now the committed entry
  });

  test('a leader counts its own entry only once the application persisted it', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false });
    makeLeader(r);
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: 1 }));
    expect(r.log.committed).toBe(0); // a's own copy is not on disk yet: only b counts
    persist(r);
    expect(r.log.committed).toBe(1);
  });

  test('Leader Completeness: a member missing committed entries cannot be elected', () => {
    const c = new SimCluster({ seed: 7, ids: ['n1', 'n2', 'n3'] });
    c.node('n1').campaign();
    c.stabilize();
    c.isolate('n3');
    for (let i = 0; i < 5; i++) c.put('n1', 'k', `v${i}`);
    c.stabilize();
    expect(c.members.get('n1')!.sm.data.get('k')).toBe('v4');
    // n3 campaigns for real (no pre-vote, so its term rises) after the partition heals.
    c.heal();
    const n3 = c.node('n3').raft;
    n3.campaign('Election');
    c.stabilize();
    expect(n3.state).not.toBe('Leader');
    // Whoever leads now has every committed entry (checked by the cluster's invariants too).
    for (let i = 0; i < 40 && !c.leader(); i++) {
      c.tickAll();
      c.stabilize();
    }
    const lead = c.leader()!;
    expect(lead).not.toBe('n3');
    expect(c.node(lead).raft.log.committed).toBeGreaterThanOrEqual(7);
  });
});

describe('thesis §9.6 PreVote and §6.2 CheckQuorum', () => {
  function partitionedFollowerRun(preVote: boolean): { before: number; after: number; leaderKept: boolean } {
    const c = new SimCluster({ seed: 3, ids: ['n1', 'n2', 'n3'], preVote, checkQuorum: preVote });
    c.node('n1').campaign();
    c.stabilize();
    const before = c.node('n1').raft.term;
    c.isolate('n3');
    for (let i = 0; i < 100; i++) {
      c.tickAll();
      c.stabilize();
    }
    c.heal();
    for (let i = 0; i < 30; i++) {
      c.tickAll();
      c.stabilize();
    }
    return {
      before,
      after: c.node('n1').raft.term,
      leaderKept: c.leader() === 'n1' && c.leaders().length === 1,
    };
  }

  test('"a partitioned server ... will not be able to increment its term" with PreVote, so rejoining does not disrupt the leader', () => {
    const r = partitionedFollowerRun(true);
    expect(r.after).toBe(r.before);
    expect(r.leaderKept).toBe(true);
  });

  test('without PreVote the same rejoin forces a new term (the disruption PreVote prevents)', () => {
    const r = partitionedFollowerRun(false);
    expect(r.after).toBeGreaterThan(r.before);
  });

  test('a pre-candidate does not change its term or vote', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { term: 3 });
    r.campaign('PreElection');
    expect(r.state).toBe('PreCandidate');
    expect(r.term).toBe(3);
    expect(r.vote).toBe(NONE);
    expect(take(r).map((m) => [m.type, m.term])).toEqual([
      ['MsgPreVote', 4],
      ['MsgPreVote', 4],
    ]);
  });

  test('§6.2 "a leader steps down if an election timeout elapses without a successful round of heartbeats to a majority"', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false, checkQuorum: true });
    makeLeader(r);
    for (let i = 0; i < 10; i++) r.tick(); // first check: nobody active since election -> recentActive false
    for (let i = 0; i < 10 && r.state === 'Leader'; i++) r.tick();
    expect(r.state).toBe('Follower');
  });

  test('§6.2 a leader that hears from a majority keeps leading', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false, checkQuorum: true });
    makeLeader(r);
    for (let i = 0; i < 50; i++) {
      r.tick();
      r.step(msg({ type: 'MsgHeartbeatResp', from: 'b', to: 'a', term: r.term }));
    }
    expect(r.state).toBe('Leader');
  });

  test('§4.2.3 a member that heard from a leader within the election timeout ignores vote requests', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { term: 2, checkQuorum: true });
    r.step(msg({ type: 'MsgHeartbeat', from: 'b', to: 'a', term: 2 }));
    take(r);
    r.step(msg({ type: 'MsgVote', from: 'c', to: 'a', term: 3, index: 9, logTerm: 9 }));
    expect(r.term).toBe(2);
    expect(take(r)).toEqual([]);
  });
});

describe('§7 log compaction and InstallSnapshot', () => {
  test('a member that fell behind the compaction point is caught up by a snapshot', () => {
    const c = new SimCluster({ seed: 11, ids: ['n1', 'n2', 'n3'], snapshotEvery: 5, keepEntries: 1 });
    c.node('n1').campaign();
    c.stabilize();
    c.crash('n3');
    for (let i = 0; i < 20; i++) {
      c.put('n1', `k${i % 3}`, `v${i}`);
      c.stabilize();
    }
    expect(c.members.get('n1')!.disk.firstIndex()).toBeGreaterThan(5);
    c.restart('n3');
    for (let i = 0; i < 10; i++) {
      c.tickAll();
      c.stabilize();
    }
    expect(c.stats.snapshotsSent).toBeGreaterThan(0);
    const n1 = c.members.get('n1')!.sm;
    const n3 = c.members.get('n3')!.sm;
    expect(n3.applied).toBe(n1.applied);
    expect([...n3.data]).toEqual([...n1.data]);
    expect(c.members.get('n3')!.disk.snapshot().metadata.index).toBeGreaterThan(0);
  });

  test('Raft §7: a snapshot whose last entry is already in the log only advances commit and keeps the log', () => {
    const r = newRaft('a', ['a', 'b'], { terms: [1, 1, 1, 1], term: 1 });
    r.step(
      msg({
        type: 'MsgSnap',
        from: 'b',
        to: 'a',
        term: 1,
        snapshot: {
          metadata: { index: 2, term: 1, confState: { voters: ['a', 'b'], learners: [] } },
          data: new Uint8Array(),
        },
      }),
    );
    expect(r.log.committed).toBe(2);
    expect(r.log.lastIndex()).toBe(4);
    expect(r.log.pendingSnapshot()).toBeUndefined();
  });

  test('a snapshot not newer than the commit index is ignored', () => {
    const r = newRaft('a', ['a', 'b'], { terms: [1, 1, 1], term: 1 });
    r.log.committed = 3;
    r.step(
      msg({
        type: 'MsgSnap',
        from: 'b',
        to: 'a',
        term: 1,
        snapshot: {
          metadata: { index: 2, term: 1, confState: { voters: ['a', 'b'], learners: [] } },
          data: new Uint8Array(),
        },
      }),
    );
    expect(r.log.pendingSnapshot()).toBeUndefined();
    expect(take(r).map((m) => [m.type, m.index])).toEqual([['MsgAppResp', 3]]);
  });
});

describe('thesis §4 membership changes', () => {
  function cluster(): SimCluster {
    const c = new SimCluster({ seed: 5, ids: ['n1', 'n2', 'n3'] });
    c.node('n1').campaign();
    c.stabilize();
    return c;
  }

  test('a learner receives the log but never votes or counts toward commit (§4.2.1)', () => {
    const c = cluster();
    c.addMember('n4');
    c.node('n1').proposeConfChange({ type: 'AddLearner', nodeId: 'n4' });
    c.stabilize();
    expect(c.node('n1').raft.confState()).toEqual({ voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    c.put('n1', 'k', 'v');
    c.stabilize();
    expect(c.members.get('n4')!.sm.data.get('k')).toBe('v');
    const n4 = c.node('n4').raft;
    for (let i = 0; i < 50; i++) n4.tick();
    expect(n4.state).toBe('Follower'); // a learner never campaigns
    // With n2 and n3 down, n1 + learner n4 are not a quorum: nothing commits.
    c.crash('n2');
    c.crash('n3');
    const before = c.node('n1').raft.log.committed;
    c.put('n1', 'k', 'w');
    c.stabilize();
    expect(c.node('n1').raft.log.committed).toBe(before);
  });

  test('a learner is promoted only after it caught up; then it votes', () => {
    const c = cluster();
    c.addMember('n4');
    c.isolate('n4');
    c.node('n1').proposeConfChange({ type: 'AddLearner', nodeId: 'n4' });
    c.stabilize();
    c.put('n1', 'k', 'v');
    c.stabilize();
    expect(() => c.node('n1').proposeConfChange({ type: 'AddNode', nodeId: 'n4' })).toThrow(
      ProposalDroppedError,
    );
    c.heal();
    c.tickAll();
    c.stabilize();
    c.node('n1').proposeConfChange({ type: 'AddNode', nodeId: 'n4' });
    c.stabilize();
    expect(c.node('n1').raft.confState().voters).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(c.node('n4').raft.confState().voters).toEqual(['n1', 'n2', 'n3', 'n4']);
  });

  test('"a leader ... accepts a new configuration change only after the previous one has been applied" (one at a time)', () => {
    const c = cluster();
    c.addMember('n4');
    c.node('n1').proposeConfChange({ type: 'AddLearner', nodeId: 'n4' });
    expect(() => c.node('n1').proposeConfChange({ type: 'RemoveNode', nodeId: 'n3' })).toThrow(
      /not applied yet/,
    );
    c.stabilize();
    c.node('n1').proposeConfChange({ type: 'RemoveNode', nodeId: 'n3' });
    c.stabilize();
    expect(c.node('n1').raft.confState()).toEqual({ voters: ['n1', 'n2'], learners: ['n4'] });
  });

  test('a new leader accepts a configuration change only once an entry of its own term is committed and applied', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false });
    makeLeader(r);
    const cc = () =>
      r.step(
        msg({
          type: 'MsgProp',
          from: 'a',
          entries: [
            {
              term: 0,
              index: 0,
              type: 'ConfChange',
              data: encodeConfChange({ type: 'AddLearner', nodeId: 'd' }),
            },
          ],
        }),
      );
    expect(cc).toThrow(/not applied yet/);
    persist(r);
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: 1 }));
    expect(r.log.committed).toBe(1);
    expect(cc).toThrow(/not applied yet/); // committed but not applied
    r.log.appliedTo(1);
    cc();
    expect(r.log.lastIndex()).toBe(2);
  });

  test('§4.2.2 a leader removed from the configuration steps down and the rest elect a new leader', () => {
    const c = cluster();
    c.node('n1').proposeConfChange({ type: 'RemoveNode', nodeId: 'n1' });
    c.stabilize();
    expect(c.node('n1').raft.state).toBe('Follower');
    c.crash('n1');
    for (let i = 0; i < 40 && !c.leader(); i++) {
      c.tickAll();
      c.stabilize();
    }
    const lead = c.leader();
    expect(['n2', 'n3']).toContain(lead);
    expect(c.node(lead!).raft.confState().voters).toEqual(['n2', 'n3']);
    c.put(lead!, 'k', 'after');
    c.stabilize();
    expect(c.members.get('n2')!.sm.data.get('k')).toBe('after');
  });

  test('removing a member shrinks the quorum', () => {
    const c = cluster();
    c.node('n1').proposeConfChange({ type: 'RemoveNode', nodeId: 'n3' });
    c.stabilize();
    c.crash('n2');
    c.crash('n3');
    // n1 alone is not a quorum of {n1, n2}
    const before = c.node('n1').raft.log.committed;
    c.put('n1', 'k', 'v');
    c.stabilize();
    expect(c.node('n1').raft.log.committed).toBe(before);
    c.restart('n2');
    c.tickAll();
    c.stabilize();
    expect(c.node('n1').raft.log.committed).toBeGreaterThan(before);
  });
});

describe('thesis §3.10 leadership transfer', () => {
  test('TimeoutNow makes an up-to-date follower win the next term at once', () => {
    const c = new SimCluster({ seed: 9, ids: ['n1', 'n2', 'n3'] });
    c.node('n1').campaign();
    c.stabilize();
    const term = c.node('n1').raft.term;
    c.node('n1').transferLeadership('n2');
    c.stabilize();
    expect(c.leader()).toBe('n2');
    expect(c.node('n2').raft.term).toBe(term + 1);
    expect(c.leaders()).toHaveLength(1);
  });

  test('the leader first brings a lagging transferee up to date and refuses proposals meanwhile', () => {
    const c = new SimCluster({ seed: 9, ids: ['n1', 'n2', 'n3'] });
    c.node('n1').campaign();
    c.stabilize();
    c.isolate('n3');
    for (let i = 0; i < 3; i++) c.put('n1', 'k', `v${i}`);
    c.stabilize();
    c.heal();
    c.node('n1').transferLeadership('n3');
    expect(() => c.node('n1').propose(enc.encode('{}'))).toThrow(ProposalDroppedError);
    c.stabilize();
    expect(c.leader()).toBe('n3');
    expect(c.members.get('n3')!.sm.data.get('k')).toBe('v2');
  });

  test('a transfer to an unreachable member is abandoned after an election timeout', () => {
    const c = new SimCluster({ seed: 9, ids: ['n1', 'n2', 'n3'], checkQuorum: false });
    c.node('n1').campaign();
    c.stabilize();
    c.isolate('n3');
    c.node('n1').transferLeadership('n3');
    expect(c.node('n1').raft.leadTransferee).toBe('n3');
    for (let i = 0; i < 10; i++) c.node('n1').tick();
    expect(c.node('n1').raft.leadTransferee).toBe(NONE);
    expect(c.leader()).toBe('n1');
  });
});

describe('thesis §6.4 ReadIndex', () => {
  test('the leader answers a read only after a heartbeat round confirms it still leads', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false });
    makeLeader(r);
    persist(r);
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: 1 }));
    take(r);
    expect(r.log.committed).toBe(1);
    r.step(msg({ type: 'MsgReadIndex', from: 'a', context: enc.encode('r1') }));
    const hbs = take(r).filter((m) => m.type === 'MsgHeartbeat');
    expect(hbs).toHaveLength(2);
    expect(r.readStates).toEqual([]);
    r.step(msg({ type: 'MsgHeartbeatResp', from: 'c', to: 'a', term: r.term, context: hbs[0].context }));
    expect(r.readStates).toEqual([{ index: 1, requestCtx: enc.encode('r1') }]);
  });

  test('step 1: a new leader defers reads until it has committed an entry of its term', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false });
    makeLeader(r);
    r.step(msg({ type: 'MsgReadIndex', from: 'a', context: enc.encode('r1') }));
    expect(take(r).filter((m) => m.type === 'MsgHeartbeat')).toHaveLength(0);
    persist(r);
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: 1 }));
    const hbs = take(r).filter((m) => m.type === 'MsgHeartbeat');
    expect(hbs.length).toBe(2);
    r.step(msg({ type: 'MsgHeartbeatResp', from: 'b', to: 'a', term: r.term, context: hbs[0].context }));
    expect(r.readStates.map((s) => s.index)).toEqual([1]);
  });

  test('a deposed leader cut off from the majority never answers a read', () => {
    const c = new SimCluster({ seed: 4, ids: ['n1', 'n2', 'n3'] });
    c.node('n1').campaign();
    c.stabilize();
    c.isolate('n1');
    const op = c.get('n1', 'k');
    expect(op).toBeDefined();
    for (let i = 0; i < 30; i++) {
      c.tickAll();
      c.stabilize();
    }
    expect(c.isDone(op!)).toBe(false);
    expect(c.leader()).not.toBe('n1');
  });

  test('a follower forwards ReadIndex to the leader and waits until it applied that index', () => {
    const c = new SimCluster({ seed: 4, ids: ['n1', 'n2', 'n3'] });
    c.node('n1').campaign();
    c.stabilize();
    c.put('n1', 'k', 'v1');
    c.stabilize();
    const op = c.get('n3', 'k')!;
    c.stabilize();
    expect(c.isDone(op)).toBe(true);
    const rec = c.history.at(-1)!;
    expect(rec.output).toEqual({ value: 'v1' });
  });

  test('lease-based reads (§6.4.1) answer at once while a quorum acknowledged a recent heartbeat', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false, readOnlyOption: 'LeaseBased' });
    makeLeader(r);
    persist(r);
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: 1 }));
    take(r);
    // No heartbeat acknowledged yet: no lease, the read takes a heartbeat round.
    r.step(msg({ type: 'MsgReadIndex', from: 'a', context: enc.encode('r1') }));
    const hbs = take(r).filter((m) => m.type === 'MsgHeartbeat');
    expect(hbs).toHaveLength(2);
    expect(r.readStates).toEqual([]);
    for (let i = 0; i < 3; i++) r.tick();
    const beat = take(r)
      .filter((m) => m.type === 'MsgHeartbeat' && m.to === 'b')
      .at(-1)!;
    r.step(
      msg({
        type: 'MsgHeartbeatResp',
        from: 'b',
        to: 'a',
        term: r.term,
        index: beat.index,
        context: beat.context,
      }),
    );
    expect(r.readStates.map((s) => s.index)).toEqual([1]); // r1 answered by b's ack
    expect(r.leaseValid()).toBe(true);
    r.readStates = [];
    r.step(msg({ type: 'MsgReadIndex', from: 'a', context: enc.encode('r2') }));
    expect(take(r).filter((m) => m.type === 'MsgHeartbeat')).toHaveLength(0);
    expect(r.readStates.map((s) => s.index)).toEqual([1]);
    // The lease runs out electionTimeout - 2 ticks after that heartbeat was sent.
    for (let i = 0; i < 8; i++) r.tick();
    expect(r.leaseValid()).toBe(false);
  });

  test('§6.4.1 a leader cut off right after its quorum check stops serving lease reads before anyone else can lead', () => {
    const c = new SimCluster({ seed: 1, ids: ['n1', 'n2', 'n3'], readOnlyOption: 'LeaseBased' });
    const n1 = c.node('n1').raft;
    for (let i = 0; i < 60 && c.leader() !== 'n1'; i++) {
      if (i === 12) n1.campaign('Election');
      c.tickAll();
      c.stabilize();
    }
    expect(c.leader()).toBe('n1');
    c.put('n1', 'k', 'v1');
    c.stabilize();
    c.tickAll();
    c.stabilize();
    expect(n1.leaseValid()).toBe(true);
    while (n1.electionElapsed !== 0) {
      c.tickAll();
      c.stabilize();
    }
    c.isolate('n1'); // its next quorum check still sees the old acks as recent
    let lastLeaseRead = -1;
    for (let t = 0; t < 40 && c.leaders().length < 2; t++) {
      if (n1.leaseValid()) lastLeaseRead = t;
      c.tickAll();
      c.stabilize();
    }
    expect(lastLeaseRead).toBeGreaterThanOrEqual(0); // n1 did hold a lease after the cut
    const other = c.leaders().find((l) => l.id !== 'n1');
    expect(other).toBeDefined();
    expect(n1.state).toBe('Leader'); // n1 still believes it leads (CheckQuorum has not fired yet) ...
    expect(n1.leaseValid()).toBe(false); // ... but its lease has expired
    c.put(other!.id, 'k', 'v2');
    c.stabilize();
    const op = c.get('n1', 'k')!;
    c.stabilize();
    expect(c.isDone(op)).toBe(false); // no stale answer
    expect(checkOperations(kvModel, c.history).ok).toBe(true);
  });

  test('LeaseBased: a restarted member refuses votes for an election timeout', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { readOnlyOption: 'LeaseBased', term: 2 });
    r.step(msg({ type: 'MsgVote', from: 'c', to: 'a', term: 3 }));
    expect(take(r)).toEqual([]);
    for (let i = 0; i < 10; i++) r.tick();
    take(r);
    r.step(msg({ type: 'MsgVote', from: 'c', to: 'a', term: 9 }));
    expect(take(r).map((m) => [m.type, m.reject])).toEqual([['MsgVoteResp', false]]);
  });

  test('LeaseBased without CheckQuorum is refused', () => {
    expect(() => newRaft('a', ['a'], { readOnlyOption: 'LeaseBased', checkQuorum: false })).toThrow(
      /checkQuorum/,
    );
  });
});

describe('Figure 2: "Respond to RPCs only after updating stable storage"', () => {
  test('a vote and the hard state recording it come out in the same Ready, before nothing else', () => {
    const c = new SimCluster({ seed: 1, ids: ['n1', 'n2', 'n3'] });
    const n2 = c.node('n2');
    while (n2.hasReady()) n2.advance(n2.ready());
    n2.step(msg({ type: 'MsgVote', from: 'n1', to: 'n2', term: 2, index: 1, logTerm: 1 }));
    const rd = n2.ready();
    expect(rd.hardState).toEqual({ term: 2, vote: 'n1', commit: 1 });
    expect(rd.messages.map((m) => [m.type, m.reject])).toEqual([['MsgVoteResp', false]]);
  });

  test('a restarted member keeps its term, vote and log', () => {
    const c = new SimCluster({ seed: 1, ids: ['n1', 'n2', 'n3'] });
    c.node('n1').campaign();
    c.stabilize();
    c.put('n1', 'k', 'v');
    c.stabilize();
    const before = c.node('n2').raft;
    const hs = before.hardState();
    const last = before.log.lastIndex();
    c.crash('n2');
    c.restart('n2');
    const after: Raft = c.node('n2').raft;
    expect(after.hardState()).toEqual(hs);
    expect(after.log.lastIndex()).toBe(last);
    c.stabilize();
    expect(c.members.get('n2')!.sm.data.get('k')).toBe('v'); // replayed committed entries
  });
});

describe('proposal flow control', () => {
  test('maxUncommittedEntriesSize refuses proposals while too much is uncommitted', () => {
    const r = newRaft('a', ['a', 'b', 'c'], { preVote: false, maxUncommittedEntriesSize: 10 });
    makeLeader(r);
    const prop = (n: number) =>
      r.step(msg({ type: 'MsgProp', from: 'a', entries: [entry(0, 0, 'x'.repeat(n))] }));
    prop(6);
    expect(() => prop(6)).toThrow(/uncommitted/);
    persist(r);
    r.step(msg({ type: 'MsgAppResp', from: 'b', to: 'a', term: r.term, index: r.log.lastIndex() }));
    expect(r.log.committed).toBe(r.log.lastIndex());
    prop(20); // nothing uncommitted: accepted whatever its size
    expect(() => prop(1)).toThrow(ProposalDroppedError);
  });
});
