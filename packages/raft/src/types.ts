/**
 * Plain data types exchanged between the Raft state machine and its caller.
 *
 * Node ids are **strings** (member names such as `"store-0"`); the empty string {@link NONE}
 * means "no node" (no leader known, no vote cast). All indexes and terms are non-negative
 * integers held in JS numbers (safe up to 2^53).
 */

/** A member id. Non-empty string; `''` ({@link NONE}) means "nobody". */
export type NodeId = string;

/** The "no node" id: no leader known, no vote cast. */
export const NONE: NodeId = '';

/** The role a node currently plays (Raft §5.1; PreCandidate from the thesis §9.6). */
export type StateType = 'Follower' | 'PreCandidate' | 'Candidate' | 'Leader';

/** Kind of a log entry: application data, or a membership change (thesis §4.1). */
export type EntryType = 'Normal' | 'ConfChange';

/** One log entry (Raft §5.3). `data` of an empty Normal entry is a leader's no-op (§8). */
export interface Entry {
  /** Term of the leader that created the entry. */
  term: number;
  /** Position in the log (1-based). */
  index: number;
  /** Application data or a membership change. */
  type: EntryType;
  /** Opaque payload (an encoded {@link ConfChange} for `ConfChange` entries). */
  data: Uint8Array;
}

/** State that must be on stable storage before messages of a Ready are sent (Raft Figure 2). */
export interface HardState {
  /** currentTerm. */
  term: number;
  /** votedFor in `term`, or {@link NONE}. */
  vote: NodeId;
  /** Highest index known committed (persisted as an optimisation; may lag). */
  commit: number;
}

/** The cluster configuration: voting members and non-voting learners (thesis §4.1, §4.2.1). */
export interface ConfState {
  /** Members whose votes and acknowledgements count toward quorums. */
  voters: NodeId[];
  /** Non-voting members that receive the log (thesis §4.2.1). */
  learners: NodeId[];
}

/** Where a snapshot ends and which configuration it carries (Raft §7). */
export interface SnapshotMetadata {
  /** Index of the last entry the snapshot replaces. */
  index: number;
  /** Term of that entry. */
  term: number;
  /** Configuration as of `index`. */
  confState: ConfState;
}

/** A state-machine snapshot: opaque application bytes plus metadata (Raft §7). */
export interface Snapshot {
  /** Position and configuration the snapshot stands for. */
  metadata: SnapshotMetadata;
  /** The application's serialized state machine. */
  data: Uint8Array;
}

/**
 * A single-server membership change, carried in a `ConfChange` entry (thesis §4.1, §4.2.1).
 * - `AddLearner`: add a non-voting member (or demote a voter).
 * - `AddNode`: add a voter, or promote a learner (only once it has caught up).
 * - `RemoveNode`: remove a voter or learner.
 */
export interface ConfChange {
  /** What to do with `nodeId`. */
  type: 'AddNode' | 'AddLearner' | 'RemoveNode';
  /** The member concerned. */
  nodeId: NodeId;
  /** Opaque application data (e.g. the new member's address). */
  context?: Uint8Array;
}

/** Message kinds. Local ones (`MsgHup`, `MsgBeat`, `MsgCheckQuorum`, ...) never cross the network. */
export type MessageType =
  | 'MsgHup'
  | 'MsgBeat'
  | 'MsgCheckQuorum'
  | 'MsgProp'
  | 'MsgApp'
  | 'MsgAppResp'
  | 'MsgVote'
  | 'MsgVoteResp'
  | 'MsgPreVote'
  | 'MsgPreVoteResp'
  | 'MsgSnap'
  | 'MsgHeartbeat'
  | 'MsgHeartbeatResp'
  | 'MsgUnreachable'
  | 'MsgSnapStatus'
  | 'MsgTransferLeader'
  | 'MsgTimeoutNow'
  | 'MsgReadIndex'
  | 'MsgReadIndexResp';

/**
 * A Raft message. Every field is always present (defaults: 0, '', false, [], empty bytes) so
 * that code never needs to test for absence; `snapshot` is set only on `MsgSnap`.
 *
 * Field meanings follow Raft Figure 2: for `MsgApp`, `index`/`logTerm` are prevLogIndex and
 * prevLogTerm; for `MsgVote`/`MsgPreVote` they are lastLogIndex/lastLogTerm; for `MsgAppResp`,
 * `index` is the follower's new last index (or the rejected prevLogIndex), and on a rejection
 * `rejectHint`/`logTerm` carry the fast back-off hint (thesis §5.3 "accelerated log backtracking").
 */
export interface Message {
  /** Message kind. */
  type: MessageType;
  /** Recipient. */
  to: NodeId;
  /** Sender (for MsgTransferLeader: the transferee). */
  from: NodeId;
  /** Sender's term (0 for local messages and forwarded proposals/reads). */
  term: number;
  /** prevLogTerm (MsgApp), lastLogTerm (votes), or the hint's term on a rejection. */
  logTerm: number;
  /** prevLogIndex (MsgApp), lastLogIndex (votes), acknowledged index (MsgAppResp), read index, or heartbeat send tick. */
  index: number;
  /** Entries to append (MsgApp) or to propose (MsgProp). */
  entries: Entry[];
  /** Leader's commit index (MsgApp, MsgHeartbeat). */
  commit: number;
  /** The snapshot of a MsgSnap. */
  snapshot?: Snapshot;
  /** True on a refused vote or append. */
  reject: boolean;
  /** Fast back-off hint: an index at or below which the follower's log may match. */
  rejectHint: number;
  /** Opaque bytes: the ReadIndex request context, or `"transfer"` on a forced campaign. */
  context: Uint8Array;
}

/** Volatile state worth reporting to the application (it changes rarely; not persisted). */
export interface SoftState {
  /** The known leader, or {@link NONE}. */
  lead: NodeId;
  /** This member's role. */
  raftState: StateType;
}

/**
 * A linearizable-read permit (thesis §6.4): once the application has applied up to `index`,
 * it may serve the read identified by `requestCtx` from its local state machine.
 */
export interface ReadState {
  /** Serve the read once the applied index reaches this. */
  index: number;
  /** The `ctx` passed to `RawNode.readIndex`. */
  requestCtx: Uint8Array;
}

/** An empty snapshot (index 0). */
export function emptySnapshot(): Snapshot {
  return {
    metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } },
    data: new Uint8Array(0),
  };
}

/** True if `s` is absent or has index 0. */
export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

/** Builds a message with all defaults filled in; `fields` override them. */
export function makeMessage(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY_BYTES,
    ...fields,
  };
}

/** A shared zero-length byte array (never mutate it). */
export const EMPTY_BYTES = new Uint8Array(0);

/** True if the two hard states are equal field by field. */
export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** True if `hs` is the all-zero initial state. */
export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}
