import { encodeConfChange } from './codec';
import { ProposalDroppedError, RaftUsageError } from './errors';
import { Raft, type RaftConfig, type Status } from './raft';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type ReadState,
  type Snapshot,
  type SoftState,
  hardStateEqual,
  makeMessage,
} from './types';

/**
 * Everything the application must do after some inputs, in this order (etcd-io/raft
 * `rawnode.go` contract):
 * 1. if `snapshot` is set, persist it (e.g. `MemoryStorage.applySnapshot`) and load it into the
 *    state machine;
 * 2. append `entries` to stable storage and persist `hardState` if set (fsync);
 * 3. only then send `messages` (a vote or an append acknowledgement must never precede the
 *    state it promises, Raft Figure 2 "respond after updating stable storage");
 * 4. apply `committedEntries` in order (for `ConfChange` entries call
 *    {@link RawNode.applyConfChange});
 * 5. serve reads whose `readStates` index is now applied;
 * 6. call {@link RawNode.advance} with this Ready.
 */
export interface Ready {
  /** Changed volatile state (leader, role), if it changed since the previous Ready. */
  softState?: SoftState;
  /** Changed durable state, to persist before sending messages. */
  hardState?: HardState;
  /** Entries to append to stable storage (they may overwrite a conflicting suffix). */
  entries: Entry[];
  /** A snapshot to persist and restore the state machine from. */
  snapshot?: Snapshot;
  /** Committed entries to apply to the state machine, in index order. */
  committedEntries: Entry[];
  /** Messages to send once entries and hard state are persisted. */
  messages: Message[];
  /** Linearizable-read permits (thesis §6.4). */
  readStates: ReadState[];
}

/**
 * The application's handle on one Raft member: a thin, synchronous wrapper around {@link Raft}
 * that batches outputs into {@link Ready} values. Not thread-safe; call from one event loop.
 * Deterministic: the same config (including `random`) and the same calls produce the same
 * Readies.
 */
export class RawNode {
  /** The underlying state machine (exposed for tests and status tools; treat as read-only). */
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  /**
   * @throws RaftUsageError on an invalid configuration or inconsistent persisted state.
   */
  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoft = this.raft.softState();
    // A bootstrapping member must persist its initial hard state, so start from zero then.
    this.prevHard = this.raft.log.pendingSnapshot()
      ? { term: 0, vote: '', commit: 0 }
      : config.storage.initialState().hardState;
  }

  /** Advances logical time by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (as if the election timeout had elapsed). */
  campaign(): void {
    this.raft.step(makeMessage({ type: 'MsgHup', from: this.raft.id }));
  }

  /**
   * Proposes application data to be appended to the log (forwarded to the leader if needed).
   * There is no acknowledgement: watch `committedEntries` for it (carry your own request id).
   * @throws ProposalDroppedError if no leader is known or the leader refuses it right now.
   */
  propose(data: Uint8Array): void {
    this.raft.step(
      makeMessage({
        type: 'MsgProp',
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: 'Normal', data }],
      }),
    );
  }

  /**
   * Proposes a single-server membership change (thesis §4.1). Apply it when its entry comes back
   * committed by calling {@link applyConfChange}. One change at a time: the leader refuses a new
   * change until the previous one is applied, and refuses to promote a learner that has not
   * caught up (match < commit index).
   * @throws ProposalDroppedError (leader known) or when the leader itself refuses it.
   */
  proposeConfChange(cc: ConfChange): void {
    this.raft.step(
      makeMessage({
        type: 'MsgProp',
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: 'ConfChange', data: encodeConfChange(cc) }],
      }),
    );
  }

  /**
   * Applies a committed membership change to the member set. Call it for every committed
   * `ConfChange` entry, in order (including when replaying the log after a restart).
   * @returns the configuration after the change (save it with your next snapshot).
   */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Feeds a message received from another member. Messages for local use only (MsgHup, MsgBeat,
   * MsgCheckQuorum, MsgUnreachable, MsgSnapStatus) are refused. A forwarded proposal that the
   * leader cannot accept is silently dropped (the proposer will time out and retry).
   * A message addressed to another member is ignored (a transport with stale addresses must not
   * be able to crash a member).
   * @returns false if the message was ignored (misrouted), true otherwise.
   * @throws RaftUsageError for local message types, or a message without sender or term.
   */
  step(m: Message): boolean {
    if (
      m.type === 'MsgHup' ||
      m.type === 'MsgBeat' ||
      m.type === 'MsgCheckQuorum' ||
      m.type === 'MsgUnreachable' ||
      m.type === 'MsgSnapStatus'
    ) {
      throw new RaftUsageError(`${m.type} is a local message and cannot be stepped from the network`);
    }
    if (m.to !== this.raft.id) return false; // misrouted (e.g. a stale address after a membership change)
    if (
      m.from === '' ||
      (m.term === 0 && m.type !== 'MsgProp' && m.type !== 'MsgReadIndex' && m.type !== 'MsgTransferLeader')
    ) {
      throw new RaftUsageError(`${m.type} from the network needs a sender and a term`);
    }
    try {
      this.raft.step(m);
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
    return true;
  }

  /**
   * Requests a linearizable read (thesis §6.4). When the leader has confirmed it, a
   * {@link ReadState} with the same `ctx` appears in a Ready; serve the read once the applied
   * index reaches `ReadState.index`. `ctx` must be unique among outstanding reads. If no
   * ReadState comes (leader change, lost message), the caller times out and retries.
   * @throws ProposalDroppedError if no leader is known.
   */
  readIndex(ctx: Uint8Array): void {
    this.raft.step(makeMessage({ type: 'MsgReadIndex', from: this.raft.id, context: ctx }));
  }

  /**
   * Asks the leader to hand leadership to `to` (thesis §3.10): it stops accepting proposals,
   * brings `to` up to date and sends it TimeoutNow. Aborted after an election timeout.
   * @throws ProposalDroppedError if no leader is known.
   */
  transferLeadership(to: NodeId): void {
    this.raft.step(makeMessage({ type: 'MsgTransferLeader', from: to }));
  }

  /** Tells the leader that a message to `id` could not be delivered (stops pipelining to it). */
  reportUnreachable(id: NodeId): void {
    this.raft.step(makeMessage({ type: 'MsgUnreachable', from: id }));
  }

  /** Tells the leader whether the snapshot sent to `id` was delivered (`ok`) or failed. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(makeMessage({ type: 'MsgSnapStatus', from: id, reject: !ok }));
  }

  /** True if {@link ready} would return something to do. */
  hasReady(): boolean {
    const r = this.raft;
    const soft = r.softState();
    if (soft.lead !== this.prevSoft.lead || soft.raftState !== this.prevSoft.raftState) return true;
    if (!hardStateEqual(r.hardState(), this.prevHard)) return true;
    if (r.log.pendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.log.unstable().length > 0 || r.log.hasNextCommittedEnts()) return true;
    return r.readStates.length > 0;
  }

  /**
   * Collects the pending work. Call {@link advance} with the result before calling ready()
   * again. Messages and read states are handed over exactly once.
   */
  ready(): Ready {
    const r = this.raft;
    const rd: Ready = {
      entries: [...r.log.unstable()],
      committedEntries: r.log.pendingSnapshot() ? [] : r.log.nextCommittedEnts(),
      messages: r.msgs,
      readStates: r.readStates,
    };
    r.msgs = [];
    r.readStates = [];
    const soft = r.softState();
    if (soft.lead !== this.prevSoft.lead || soft.raftState !== this.prevSoft.raftState) {
      rd.softState = soft;
      this.prevSoft = soft;
    }
    const hard = r.hardState();
    if (!hardStateEqual(hard, this.prevHard)) {
      rd.hardState = hard;
      this.prevHard = hard;
    }
    const snap = r.log.pendingSnapshot();
    if (snap) rd.snapshot = snap;
    return rd;
  }

  /**
   * Acknowledges that a Ready was fully handled: its snapshot and entries are persisted and its
   * committed entries applied. Lets the leader count its own copy toward a quorum.
   */
  advance(rd: Ready): void {
    const r = this.raft;
    if (rd.snapshot) {
      r.log.stableSnapTo(rd.snapshot.metadata.index);
      if (rd.snapshot.metadata.index > r.log.applied) r.log.applied = rd.snapshot.metadata.index;
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      r.log.stableTo(last.index, last.term);
    }
    if (rd.committedEntries.length > 0) {
      r.log.appliedTo(rd.committedEntries[rd.committedEntries.length - 1].index);
    }
    r.onPersisted(r.log.persistedLastIndex());
  }

  /** A snapshot of the member's state (leader: with every member's progress). */
  status(): Status {
    return this.raft.status();
  }
}
