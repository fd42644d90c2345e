import { decodeConfChange } from './codec';
import {
  CompactedError,
  ProposalDroppedError,
  RaftUsageError,
  SnapshotTemporarilyUnavailableError,
} from './errors';
import { RaftLog } from './log';
import { Progress } from './progress';
import { hashString, seededRandom } from './rand';
import type { Storage } from './storage';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type MessageType,
  type NodeId,
  type ReadState,
  type Snapshot,
  type SoftState,
  type StateType,
  EMPTY_BYTES,
  isEmptySnapshot,
  makeMessage,
  NONE,
} from './types';

/** Configuration of one Raft member. Times are in ticks (the caller decides how long a tick is). */
export interface RaftConfig {
  /** This member's id (non-empty). */
  id: NodeId;
  /** The persisted log; read-only from Raft's side. */
  storage: Storage;
  /**
   * Election timeout in ticks (default 10). A follower campaigns after a random timeout in
   * [electionTick, 2*electionTick) without hearing from a leader (Raft §5.2).
   */
  electionTick?: number;
  /** Leader heartbeat interval in ticks (default 1); must be less than electionTick. */
  heartbeatTick?: number;
  /**
   * Last applied index when restarting (default: the storage snapshot's index). The
   * configuration in `storage.initialState()` must be the one in force at that index.
   */
  applied?: number;
  /** Max bytes of entry data in one AppendEntries (default 1 MiB; at least one entry is sent). */
  maxSizePerMsg?: number;
  /** Max unacknowledged AppendEntries per follower while pipelining (default 256). */
  maxInflightMsgs?: number;
  /**
   * Max bytes of entry data the leader keeps uncommitted; further proposals are refused with
   * ProposalDroppedError until entries commit (default: unlimited). A proposal is always
   * accepted when nothing is uncommitted, whatever its size.
   */
  maxUncommittedEntriesSize?: number;
  /** Run a PreVote round before a real election (thesis §9.6). Default true. */
  preVote?: boolean;
  /** Leader steps down when it has not heard from a quorum for an election timeout (thesis §6.2). Default true. */
  checkQuorum?: boolean;
  /**
   * How ReadIndex is confirmed (thesis §6.4): `Safe` (default) by a heartbeat round to a quorum;
   * `LeaseBased` (§6.4.1) answers from the leader's commit index at once while the leader holds
   * a lease: a quorum acknowledged heartbeats sent less than `electionTick - 2` ticks ago (the
   * lease starts when the heartbeat was *sent*). Otherwise it falls back to `Safe`. Correct only
   * if members' ticks advance at the same rate within that 2-tick margin. Requires
   * `checkQuorum`; in this mode a member also refuses votes for one election timeout after it
   * starts, so a restart cannot shorten a lease it granted.
   */
  readOnlyOption?: 'Safe' | 'LeaseBased';
  /** Source of randomness in [0, 1) for election timeouts. Default: seeded from the id (deterministic). */
  random?: () => number;
  /**
   * Bootstrap only: the initial voters of a brand-new cluster (every initial member passes the
   * same list). Ignored when storage already holds state. Members that join later start with
   * no peers and receive the configuration from the leader.
   */
  peers?: NodeId[];
  /** Bootstrap only: initial learners. */
  learners?: NodeId[];
}

/** What {@link Raft.status} reports. */
export interface Status {
  /** This member. */
  id: NodeId;
  /** Term, vote and commit index. */
  hardState: HardState;
  /** Leader and role. */
  softState: SoftState;
  /** Highest index the application reported applied. */
  applied: number;
  /** Index of the last log entry (persisted or not). */
  lastIndex: number;
  /** Target of a leadership transfer in progress, or NONE. */
  leadTransferee: NodeId;
  /** Current configuration. */
  config: ConfState;
  /** Leader only: each member's replication progress. */
  progress?: Record<
    NodeId,
    { match: number; next: number; state: string; isLearner: boolean; recentActive: boolean }
  >;
}

const TRANSFER_CONTEXT = new TextEncoder().encode('transfer');

function bytesKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function isTransferCampaign(m: Message): boolean {
  return bytesKey(m.context) === bytesKey(TRANSFER_CONTEXT);
}

interface ReadIndexStatus {
  index: number;
  req: Message;
  acks: Set<NodeId>;
}

type StepFn = (r: Raft, m: Message) => void;

/**
 * The Raft state machine (Ongaro & Ousterhout, "In Search of an Understandable Consensus
 * Algorithm", and Ongaro's thesis "Consensus: Bridging Theory and Practice"). It does no I/O:
 * inputs are ticks and messages through {@link Raft.step}/{@link Raft.tick}; outputs accumulate
 * in `msgs`, `readStates` and the log's unstable tail, which {@link RawNode} packages as a Ready.
 *
 * Roles dispatch through one step function per role ({@link stepLeader},
 * {@link stepCandidate}, {@link stepFollower}), selected when the role changes.
 */
export class Raft {
  readonly id: NodeId;
  /** currentTerm (Raft Figure 2; persisted). */
  term = 0;
  /** votedFor in `term` (Raft Figure 2; persisted). */
  vote: NodeId = NONE;
  /** The leader known for `term`, or NONE. */
  lead: NodeId = NONE;
  /** Current role; `stepFn` matches it. */
  state: StateType = 'Follower';
  /** The log: persisted part through Storage plus the unstable tail. */
  readonly log: RaftLog;
  /** Every member's progress (voters and learners). Meaningful on the leader. */
  readonly prs = new Map<NodeId, Progress>();
  /** Outgoing messages, drained by RawNode.ready(). */
  msgs: Message[] = [];
  /** Read permits, drained by RawNode.ready(). */
  readStates: ReadState[] = [];
  /** Votes received in the current (pre-)election. */
  votes = new Map<NodeId, boolean>();
  /** Target of a leadership transfer in progress (thesis §3.10), or NONE. */
  leadTransferee: NodeId = NONE;
  /** Index of the latest config change entry that may not be applied yet (thesis §4.1). */
  pendingConfIndex = 0;
  /** Ticks since the last election reset (leader: since the last CheckQuorum round). */
  electionElapsed = 0;
  /** Leader: ticks since the last heartbeat broadcast. */
  heartbeatElapsed = 0;
  /** Ticks since this process started (leases are measured in it). */
  ticks = 0;
  /** This term's election timeout, drawn from [electionTimeout, 2*electionTimeout) (Raft §5.2). */
  randomizedElectionTimeout = 0;
  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly readOnlyOption: 'Safe' | 'LeaseBased';
  readonly maxSizePerMsg: number;
  readonly maxInflight: number;
  readonly maxUncommittedSize: number;
  private readonly random: () => number;
  private stepFn: StepFn = stepFollower;
  /** Safe ReadIndex requests awaiting a heartbeat quorum, in arrival order (thesis §6.4). */
  private readQueue: string[] = [];
  private readPending = new Map<string, ReadIndexStatus>();
  /** ReadIndex requests received before the leader committed an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];

  constructor(c: RaftConfig) {
    if (!c.id) throw new RaftUsageError('config: id must be a non-empty string');
    this.id = c.id;
    this.electionTimeout = c.electionTick ?? 10;
    this.heartbeatTimeout = c.heartbeatTick ?? 1;
    if (this.heartbeatTimeout <= 0) throw new RaftUsageError('config: heartbeatTick must be > 0');
    if (this.electionTimeout <= this.heartbeatTimeout) {
      throw new RaftUsageError('config: electionTick must be greater than heartbeatTick');
    }
    this.checkQuorum = c.checkQuorum ?? true;
    this.preVote = c.preVote ?? true;
    this.readOnlyOption = c.readOnlyOption ?? 'Safe';
    if (this.readOnlyOption === 'LeaseBased' && !this.checkQuorum) {
      throw new RaftUsageError('config: LeaseBased reads require checkQuorum');
    }
    this.maxSizePerMsg = c.maxSizePerMsg ?? 1024 * 1024;
    this.maxInflight = c.maxInflightMsgs ?? 256;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize ?? Infinity;
    if (this.maxInflight <= 0) throw new RaftUsageError('config: maxInflightMsgs must be > 0');
    this.random = c.random ?? seededRandom(hashString(c.id));
    this.log = new RaftLog(c.storage);

    const { hardState, confState } = c.storage.initialState();
    const fresh = c.storage.lastIndex() === 0 && hardState.term === 0 && confState.voters.length === 0;
    if (fresh && c.peers && c.peers.length > 0) {
      // Bootstrap: every initial member starts from the same snapshot at index 1, term 1,
      // holding the initial configuration, so their logs agree from the start.
      const cs: ConfState = { voters: [...c.peers], learners: [...(c.learners ?? [])] };
      this.log.restore({ metadata: { index: 1, term: 1, confState: cs }, data: EMPTY_BYTES });
      this.applyConfState(cs);
      this.term = 1;
    } else {
      this.applyConfState(confState);
      if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) {
        if (hardState.commit < this.log.committed || hardState.commit > this.log.lastIndex()) {
          throw new RaftUsageError(
            `hard state commit ${hardState.commit} out of range [${this.log.committed}, ${this.log.lastIndex()}]`,
          );
        }
        this.log.committed = hardState.commit;
        this.term = hardState.term;
        this.vote = hardState.vote;
      }
      if (c.applied !== undefined && c.applied > 0) this.log.appliedTo(c.applied);
    }
    this.becomeFollower(this.term, NONE);
  }

  // ---- state -------------------------------------------------------------------------------

  /** The durable state (Raft Figure 2 "persistent state on all servers"). */
  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** Volatile state reported to the application (leader and role). */
  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  /** Current configuration. */
  confState(): ConfState {
    const voters: NodeId[] = [];
    const learners: NodeId[] = [];
    for (const [id, pr] of [...this.prs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      (pr.isLearner ? learners : voters).push(id);
    }
    return { voters, learners };
  }

  private voterIds(): NodeId[] {
    const out: NodeId[] = [];
    for (const [id, pr] of this.prs) if (!pr.isLearner) out.push(id);
    return out;
  }

  private quorum(): number {
    return Math.floor(this.voterIds().length / 2) + 1;
  }

  /** A member that may campaign: a voter in the current configuration (thesis §4.2.1: learners never vote). */
  promotable(): boolean {
    const pr = this.prs.get(this.id);
    return pr !== undefined && !pr.isLearner;
  }

  /** A copy of the member's state for diagnostics; `progress` only on the leader. */
  status(): Status {
    const s: Status = {
      id: this.id,
      hardState: this.hardState(),
      softState: this.softState(),
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      leadTransferee: this.leadTransferee,
      config: this.confState(),
    };
    if (this.state === 'Leader') {
      s.progress = {};
      for (const [id, pr] of this.prs) {
        s.progress[id] = {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
        };
      }
    }
    return s;
  }

  // ---- sending -----------------------------------------------------------------------------

  /** Queues a message; stamps `from` (if unset) and the current term (except on forwards and votes). */
  send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    if (
      m.type === 'MsgVote' ||
      m.type === 'MsgVoteResp' ||
      m.type === 'MsgPreVote' ||
      m.type === 'MsgPreVoteResp'
    ) {
      if (m.term === 0) throw new RaftUsageError(`${m.type} must carry a term`);
    } else if (m.type !== 'MsgProp' && m.type !== 'MsgReadIndex') {
      // Proposals and read requests forwarded to the leader keep term 0 (treated as local there).
      m.term = this.term;
    }
    this.msgs.push(m);
  }

  /**
   * Sends AppendEntries (or InstallSnapshot when the needed entries are compacted) to `to` if
   * flow control allows (Raft §5.3, §7). @returns true if something was sent.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    let ents: Entry[] | undefined;
    if (prevTerm !== undefined) {
      try {
        ents = this.log.entriesFrom(pr.next, this.maxSizePerMsg);
      } catch (e) {
        if (!(e instanceof CompactedError)) throw e;
        ents = undefined; // compacted meanwhile: send a snapshot instead
      }
    }
    if (prevTerm === undefined || ents === undefined) return this.maybeSendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(
      makeMessage({
        type: 'MsgApp',
        to,
        index: prevIndex,
        logTerm: prevTerm,
        entries: ents,
        commit: this.log.committed,
      }),
    );
    pr.sentEntries(ents.length, ents.length ? ents[ents.length - 1].index : prevIndex);
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    let snap: Snapshot;
    try {
      snap = this.log.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) return false;
      throw e;
    }
    if (isEmptySnapshot(snap)) throw new RaftUsageError('need a non-empty snapshot to catch up a follower');
    pr.becomeSnapshot(snap.metadata.index);
    this.send(makeMessage({ type: 'MsgSnap', to, snapshot: snap }));
    return true;
  }

  /** Sends AppendEntries to every other member (Raft §5.3). */
  bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.maybeSendAppend(id, true);
  }

  /** Heartbeats (empty AppendEntries, Raft §5.2), carrying the newest pending ReadIndex context. */
  bcastHeartbeat(): void {
    const ctx = this.readQueue.length
      ? this.readPending.get(this.readQueue[this.readQueue.length - 1])!.req.context
      : EMPTY_BYTES;
    this.bcastHeartbeatWithCtx(ctx);
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      // Never advance a follower's commit past what it is known to hold. `index` carries the
      // send time in ticks, echoed back, for the leader lease (thesis §6.4.1).
      const commit = Math.min(pr.match, this.log.committed);
      this.send(makeMessage({ type: 'MsgHeartbeat', to: id, commit, context: ctx, index: this.ticks }));
    }
  }

  /**
   * Thesis §6.4.1: the leader holds a lease while a quorum acknowledged heartbeats it sent less
   * than `electionTimeout - 2` ticks ago; those members will not vote for anyone else before the
   * lease ends (they ignore votes for an election timeout after hearing from us).
   */
  leaseValid(): boolean {
    if (this.state !== 'Leader' || this.leadTransferee !== NONE) return false;
    const sent = this.voterIds()
      .map((id) => (id === this.id ? this.ticks : this.prs.get(id)!.leaseAckedAt))
      .sort((a, b) => b - a);
    const start = sent[this.quorum() - 1];
    return start > 0 && this.ticks - start < this.electionTimeout - 2;
  }

  // ---- role changes ------------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.random() * this.electionTimeout);
    this.leadTransferee = NONE;
    this.votes.clear();
    for (const [id, pr] of this.prs) {
      const fresh = new Progress(this.log.lastIndex() + 1, this.maxInflight, pr.isLearner);
      if (id === this.id) fresh.match = this.log.persistedLastIndex();
      this.prs.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.readQueue = [];
    this.readPending.clear();
    this.pendingReadIndexMessages = [];
  }

  /** Raft §5.1/§5.2: become a follower of `lead` (or of nobody) in `term`. */
  becomeFollower(term: number, lead: NodeId): void {
    this.stepFn = stepFollower;
    this.reset(term);
    this.lead = lead;
    this.state = 'Follower';
  }

  /** Raft §5.2: increment currentTerm and vote for self. */
  becomeCandidate(): void {
    if (this.state === 'Leader') throw new RaftUsageError('invalid transition leader -> candidate');
    this.stepFn = stepCandidate;
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'Candidate';
  }

  /** Thesis §9.6: a pre-candidate asks for votes without changing its term or vote. */
  becomePreCandidate(): void {
    if (this.state === 'Leader') throw new RaftUsageError('invalid transition leader -> pre-candidate');
    this.stepFn = stepCandidate;
    this.votes.clear();
    this.lead = NONE;
    this.state = 'PreCandidate';
  }

  /**
   * Raft §5.2/§8: the new leader appends a no-op entry of its term, which lets it commit (and
   * learn the commit point for ReadIndex, thesis §6.4) without waiting for a client proposal.
   */
  becomeLeader(): void {
    if (this.state === 'Follower') throw new RaftUsageError('invalid transition follower -> leader');
    this.stepFn = stepLeader;
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'Leader';
    const self = this.prs.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    this.appendEntries([{ term: 0, index: 0, type: 'Normal', data: EMPTY_BYTES }]);
    // No configuration change until this no-op is committed and applied: that settles any
    // change left in the tail, and fixes the single-server change bug Ongaro described
    // (raft-dev, 2015: a leader must commit an entry of its term before changing membership).
    this.pendingConfIndex = this.log.lastIndex();
  }

  private appendEntries(es: Entry[]): void {
    let li = this.log.lastIndex();
    for (const e of es) {
      e.term = this.term;
      e.index = ++li;
    }
    this.log.append(es);
    // Our own match is raised only once the application has persisted the entries (see
    // onPersisted), so the leader never counts an entry that is not on its own disk.
  }

  /** Called by RawNode.advance once entries up to `index` are on stable storage. */
  onPersisted(index: number): void {
    if (this.state !== 'Leader') return;
    const pr = this.prs.get(this.id);
    if (pr && pr.maybeUpdate(index) && this.maybeCommit()) this.onCommitAdvanced();
  }

  /**
   * Raft §5.3/§5.4.2: the commit index is the largest index replicated on a quorum of voters,
   * and only an entry of the leader's current term is committed by counting replicas.
   */
  maybeCommit(): boolean {
    const matches = this.voterIds()
      .map((id) => this.prs.get(id)!.match)
      .sort((a, b) => b - a);
    if (matches.length === 0) return false;
    const mci = matches[this.quorum() - 1];
    return this.log.maybeCommit(mci, this.term);
  }

  /** Commit moved: answer reads waiting for it and tell followers. */
  onCommitAdvanced(): void {
    this.releasePendingReadIndexMessages();
    this.bcastAppend();
  }

  // ---- elections ---------------------------------------------------------------------------

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    return this.log.nextCommittedEnts().some((e) => e.type === 'ConfChange');
  }

  /**
   * Handles MsgHup (and TimeoutNow with `transfer`): start a (pre-)election unless we lead,
   * cannot vote, or have committed configuration changes still to apply (our idea of the
   * voters could be stale).
   */
  hup(transfer: boolean): void {
    if (this.state === 'Leader') return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(this.preVote && !transfer ? 'PreElection' : 'Election', transfer);
  }

  /** Raft §5.2 (election) and thesis §9.6 (pre-vote). */
  campaign(kind: 'PreElection' | 'Election', transfer = false): void {
    let voteMsg: MessageType;
    let term: number;
    if (kind === 'PreElection') {
      this.becomePreCandidate();
      voteMsg = 'MsgPreVote';
      term = this.term + 1; // the term we would use; our own term does not change
    } else {
      this.becomeCandidate();
      voteMsg = 'MsgVote';
      term = this.term;
    }
    if (this.poll(this.id, voteMsg === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp', true) === 'Won') {
      // Single-voter cluster.
      if (kind === 'PreElection') this.campaign('Election', transfer);
      else this.becomeLeader();
      return;
    }
    for (const id of this.voterIds()) {
      if (id === this.id) continue;
      this.send(
        makeMessage({
          type: voteMsg,
          to: id,
          term,
          index: this.log.lastIndex(),
          logTerm: this.log.lastTerm(),
          context: transfer ? TRANSFER_CONTEXT : EMPTY_BYTES,
        }),
      );
    }
  }

  /** Records a vote and tallies over the voters: a majority of grants wins, of rejections loses. */
  poll(id: NodeId, _t: MessageType, granted: boolean): 'Won' | 'Lost' | 'Pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let yes = 0;
    let no = 0;
    for (const v of this.voterIds()) {
      const g = this.votes.get(v);
      if (g === true) yes++;
      else if (g === false) no++;
    }
    const q = this.quorum();
    if (yes >= q) return 'Won';
    if (no >= q) return 'Lost';
    return 'Pending';
  }

  // ---- step --------------------------------------------------------------------------------

  /**
   * Feeds one message. Term handling first (Raft §5.1: a higher term makes us a follower; a
   * lower term is stale), then vote requests (§5.2, §5.4.1), then the role's step function.
   * @throws ProposalDroppedError when a proposal/read/transfer cannot be accepted.
   */
  step(m: Message): void {
    if (m.term === 0) {
      // local message, or a forwarded proposal / read request
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        // Thesis §4.2.3: with CheckQuorum, a member that heard from a live leader within the
        // minimum election timeout ignores vote requests, so removed or partitioned members
        // cannot disrupt the cluster. A leadership transfer overrides this.
        const inLease =
          (this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout) ||
          (this.readOnlyOption === 'LeaseBased' && this.ticks < this.electionTimeout);
        if (!isTransferCampaign(m) && inLease) return;
      }
      if (m.type === 'MsgPreVote') {
        // Never change term on a pre-vote request (thesis §9.6).
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // A granted pre-vote carries the future term; we bump it only when the real election starts.
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // A stale leader (e.g. after a partition healed) learns the new term and steps down;
        // without this, pre-vote/check-quorum could leave it isolated forever (etcd behaviour).
        this.send(makeMessage({ type: 'MsgAppResp', to: m.from }));
      } else if (m.type === 'MsgPreVote') {
        this.send(makeMessage({ type: 'MsgPreVoteResp', to: m.from, term: this.term, reject: true }));
      }
      return;
    }

    switch (m.type) {
      case 'MsgHup':
        this.hup(false);
        return;
      case 'MsgVote':
      case 'MsgPreVote': {
        // Raft §5.2: one vote per term, first come first served; §5.4.1: only for an
        // up-to-date log. A pre-vote is granted for a future term if the log is up to date.
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === 'MsgPreVote' && m.term > this.term);
        const resp: MessageType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
        if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
          this.send(makeMessage({ type: resp, to: m.from, term: m.term }));
          if (m.type === 'MsgVote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send(makeMessage({ type: resp, to: m.from, term: this.term, reject: true }));
        }
        return;
      }
      default:
        this.stepFn(this, m);
    }
  }

  // ---- ticks -------------------------------------------------------------------------------

  /** Advances logical time by one tick. */
  tick(): void {
    this.ticks++;
    if (this.state === 'Leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Followers and candidates: campaign after the randomized election timeout (Raft §5.2). */
  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(makeMessage({ type: 'MsgHup', from: this.id }));
    }
  }

  /** Leaders: heartbeats (Raft §5.2), CheckQuorum (thesis §6.2), transfer timeout (thesis §3.10). */
  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(makeMessage({ type: 'MsgCheckQuorum', from: this.id }));
      if (this.state === 'Leader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== 'Leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(makeMessage({ type: 'MsgBeat', from: this.id }));
    }
  }

  /** Forgets a pending leadership transfer (thesis §3.10: abort after an election timeout). */
  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  /** Thesis §6.2: true if a quorum of voters was heard from in the last election timeout. */
  quorumActive(): boolean {
    let active = 0;
    for (const [id, pr] of this.prs) {
      if (pr.isLearner) continue;
      if (id === this.id || pr.recentActive) active++;
    }
    return active >= this.quorum();
  }

  // ---- follower-side handlers --------------------------------------------------------------

  /** AppendEntries receiver (Raft Figure 2), replying with a fast back-off hint on mismatch. */
  handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(makeMessage({ type: 'MsgAppResp', to: m.from, index: this.log.committed }));
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew >= 0) {
      this.send(makeMessage({ type: 'MsgAppResp', to: m.from, index: lastNew }));
      return;
    }
    // Thesis §5.3: tell the leader the largest index <= prevLogIndex whose term is <= the
    // leader's prevLogTerm; it can skip every entry after it in one round trip.
    const hint = Math.min(m.index, this.log.lastIndex());
    const [hintIndex, hintTerm] = this.log.findConflictByTerm(hint, m.logTerm);
    this.send(
      makeMessage({
        type: 'MsgAppResp',
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint: hintIndex,
        logTerm: hintTerm,
      }),
    );
  }

  /** Heartbeat receiver: advance commit (never past our last entry) and echo the read context. */
  handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send(makeMessage({ type: 'MsgHeartbeatResp', to: m.from, context: m.context, index: m.index }));
  }

  /** InstallSnapshot receiver (Raft §7). */
  handleSnapshot(m: Message): void {
    const s = m.snapshot!;
    if (this.restore(s)) {
      this.send(makeMessage({ type: 'MsgAppResp', to: m.from, index: this.log.lastIndex() }));
    } else {
      this.send(makeMessage({ type: 'MsgAppResp', to: m.from, index: this.log.committed }));
    }
  }

  /**
   * Raft §7: if the snapshot is not newer than our commit, ignore it; if our log already has
   * its last entry, keep the log and just advance commit ("retain the following entries");
   * otherwise discard the log and adopt the snapshot's configuration.
   */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.log.committed) return false;
    if (this.state !== 'Follower') return false; // only a leader sends snapshots, and we step down first
    if (this.log.matchTerm(s.metadata.index, s.metadata.term)) {
      this.log.commitTo(s.metadata.index);
      return false;
    }
    this.log.restore(s);
    this.prs.clear();
    this.applyConfState(s.metadata.confState);
    return true;
  }

  private applyConfState(cs: ConfState): void {
    for (const id of cs.voters)
      this.prs.set(id, new Progress(this.log.lastIndex() + 1, this.maxInflight, false));
    for (const id of cs.learners)
      this.prs.set(id, new Progress(this.log.lastIndex() + 1, this.maxInflight, true));
  }

  // ---- membership --------------------------------------------------------------------------

  /**
   * Applies a committed single-server membership change (thesis §4.1). Like etcd, the change
   * takes effect when the application applies the entry; safety holds because a leader accepts
   * a new change only after the previous one is applied (pendingConfIndex).
   * @returns the new configuration, to be saved with the next snapshot.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const id = cc.nodeId;
    switch (cc.type) {
      case 'AddNode':
      case 'AddLearner': {
        const learner = cc.type === 'AddLearner';
        const pr = this.prs.get(id);
        if (pr) {
          pr.isLearner = learner;
        } else {
          // Probe from the last entry so that the first AppendEntries carries something.
          const fresh = new Progress(Math.max(this.log.lastIndex(), 1), this.maxInflight, learner);
          fresh.recentActive = true; // do not let CheckQuorum fail just because it is new
          this.prs.set(id, fresh);
        }
        break;
      }
      case 'RemoveNode':
        this.prs.delete(id);
        break;
    }
    if (this.state === 'Leader') {
      if (!this.promotable()) {
        // Thesis §4.2.2: a leader removed from the configuration steps down once the change is
        // committed; the remaining members elect a new leader.
        this.becomeFollower(this.term, NONE);
      } else {
        if (this.leadTransferee !== NONE && this.prs.get(this.leadTransferee)?.isLearner !== false) {
          this.abortLeaderTransfer();
        }
        if (this.maybeCommit()) this.onCommitAdvanced();
        else for (const pid of this.prs.keys()) if (pid !== this.id) this.maybeSendAppend(pid, pid === id);
      }
    }
    return this.confState();
  }

  /** Leader-side validation of a proposed config change; @throws ProposalDroppedError. */
  private checkConfChange(e: Entry): void {
    if (this.pendingConfIndex > this.log.applied) {
      throw new ProposalDroppedError(
        `a configuration change at index ${this.pendingConfIndex} is not applied yet (applied ${this.log.applied})`,
      );
    }
    let cc: ConfChange;
    try {
      cc = decodeConfChange(e.data);
    } catch (err) {
      throw new ProposalDroppedError(`invalid configuration change: ${(err as Error).message}`);
    }
    const pr = this.prs.get(cc.nodeId);
    if (cc.type === 'AddNode' && pr?.isLearner && pr.match < this.log.committed) {
      // Thesis §4.2.1: a new member joins as a non-voter until it has caught up.
      throw new ProposalDroppedError(
        `learner ${cc.nodeId} has not caught up (match ${pr.match}, committed ${this.log.committed})`,
      );
    }
    if (cc.type !== 'AddNode' && pr && !pr.isLearner && this.voterIds().length === 1) {
      throw new ProposalDroppedError(`cannot remove or demote the last voter ${cc.nodeId}`);
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private releasePendingReadIndexMessages(): void {
    if (!this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) this.sendReadIndexResponse(m);
  }

  /** Thesis §6.4 steps 2-3 (or §6.4.1 lease): record commitIndex and confirm leadership. */
  private sendReadIndexResponse(m: Message): void {
    if (this.voterIds().length === 1 || (this.readOnlyOption === 'LeaseBased' && this.leaseValid())) {
      this.answerRead(m, this.log.committed);
      return;
    }
    const key = bytesKey(m.context);
    if (!this.readPending.has(key)) {
      this.readPending.set(key, { index: this.log.committed, req: m, acks: new Set() });
      this.readQueue.push(key);
    }
    this.recvReadAck(this.id, m.context);
    this.bcastHeartbeatWithCtx(m.context);
  }

  private answerRead(m: Message, index: number): void {
    if (m.from === NONE || m.from === this.id) {
      this.readStates.push({ index, requestCtx: m.context });
    } else {
      this.send(makeMessage({ type: 'MsgReadIndexResp', to: m.from, index, context: m.context }));
    }
  }

  /** A heartbeat ack for read context `ctx`; once a quorum acked, release it and every earlier read. */
  recvReadAck(from: NodeId, ctx: Uint8Array): void {
    const key = bytesKey(ctx);
    const rs = this.readPending.get(key);
    if (!rs) return;
    rs.acks.add(from);
    let n = 0;
    for (const id of this.voterIds()) if (rs.acks.has(id)) n++;
    if (n < this.quorum()) return;
    const pos = this.readQueue.indexOf(key);
    const done = this.readQueue.slice(0, pos + 1);
    this.readQueue = this.readQueue.slice(pos + 1);
    for (const k of done) {
      const r = this.readPending.get(k)!;
      this.readPending.delete(k);
      this.answerRead(r.req, r.index);
    }
  }

  /** Leader: a ReadIndex request (thesis §6.4), deferred until an entry of this term is committed. */
  handleReadIndexAtLeader(m: Message): void {
    if (!this.committedEntryInCurrentTerm()) {
      // Thesis §6.4 step 1: wait until an entry of this term is committed.
      this.pendingReadIndexMessages.push(m);
      return;
    }
    this.sendReadIndexResponse(m);
  }

  /**
   * Leader: append proposed entries (Raft §5.3) unless a transfer is in progress (thesis §3.10),
   * a config change is invalid or still pending (thesis §4.1), or too much is uncommitted.
   * @throws ProposalDroppedError
   */
  handleProposalAtLeader(m: Message): void {
    if (!this.prs.has(this.id)) throw new ProposalDroppedError('leader was removed from the configuration');
    if (this.leadTransferee !== NONE) {
      throw new ProposalDroppedError(`leadership is being transferred to ${this.leadTransferee}`);
    }
    if (m.entries.length === 0) throw new ProposalDroppedError('empty proposal');
    if (this.maxUncommittedSize !== Infinity && this.log.lastIndex() > this.log.committed) {
      let size = 0;
      for (const e of this.log.slice(this.log.committed + 1, this.log.lastIndex() + 1)) size += e.data.length;
      for (const e of m.entries) size += e.data.length;
      if (size > this.maxUncommittedSize) {
        throw new ProposalDroppedError(`too many uncommitted bytes (${size} > ${this.maxUncommittedSize})`);
      }
    }
    for (const e of m.entries) if (e.type === 'ConfChange') this.checkConfChange(e);
    const es = m.entries.map((e) => ({ term: 0, index: 0, type: e.type, data: e.data }));
    const first = this.log.lastIndex() + 1;
    this.appendEntries(es);
    es.forEach((e, i) => {
      if (e.type === 'ConfChange') this.pendingConfIndex = first + i;
    });
    this.bcastAppend();
  }

  /** Thesis §3.10: tell the transferee to start an election immediately. */
  sendTimeoutNow(to: NodeId): void {
    this.send(makeMessage({ type: 'MsgTimeoutNow', to }));
  }
}

// ---- role step functions ---------------------------------------------------------------------

/** Leader behaviour (Raft §5.3 replication, §5.4.2 commit, thesis §3.10, §6.2, §6.4). */
export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case 'MsgBeat':
      r.bcastHeartbeat();
      return;
    case 'MsgCheckQuorum':
      if (!r.quorumActive()) r.becomeFollower(r.term, NONE);
      for (const [id, pr] of r.prs) if (id !== r.id) pr.recentActive = false;
      return;
    case 'MsgProp':
      r.handleProposalAtLeader(m);
      return;
    case 'MsgReadIndex':
      r.handleReadIndexAtLeader(m);
      return;
  }

  const pr = r.prs.get(m.from);
  if (!pr) return;
  switch (m.type) {
    case 'MsgAppResp': {
      pr.recentActive = true;
      if (m.reject) {
        let nextProbe = m.rejectHint;
        if (m.logTerm > 0) nextProbe = r.log.findConflictByTerm(m.rejectHint, m.logTerm)[0];
        if (pr.maybeDecrTo(m.index, nextProbe)) {
          if (pr.state === 'Replicate') pr.becomeProbe();
          r.maybeSendAppend(m.from, true);
        }
        return;
      }
      const oldPaused = pr.isPaused();
      if (pr.maybeUpdate(m.index)) {
        if (pr.state === 'Probe') pr.becomeReplicate();
        else if (pr.state === 'Snapshot' && pr.match >= pr.pendingSnapshot) {
          pr.becomeProbe();
          pr.becomeReplicate();
        } else if (pr.state === 'Replicate') pr.inflights.freeLE(m.index);
        if (r.maybeCommit()) {
          r.onCommitAdvanced();
        } else if (oldPaused) {
          r.maybeSendAppend(m.from, true);
        }
        // Pipelining: keep sending while the window allows.
        while (r.maybeSendAppend(m.from, false)) {
          /* loop */
        }
        if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) r.sendTimeoutNow(m.from);
      }
      return;
    }
    case 'MsgHeartbeatResp': {
      pr.recentActive = true;
      pr.msgAppFlowPaused = false;
      if (pr.state === 'Replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
      if (pr.state === 'Snapshot' && ++pr.snapshotWaits > 3) pr.becomeProbe(); // snapshot lost: retry
      if (pr.match < r.log.lastIndex()) r.maybeSendAppend(m.from, true);
      if (m.index > pr.leaseAckedAt) pr.leaseAckedAt = m.index;
      if (m.context.length > 0) r.recvReadAck(m.from, m.context);
      return;
    }
    case 'MsgSnapStatus':
      if (pr.state !== 'Snapshot') return;
      if (m.reject) pr.pendingSnapshot = 0;
      pr.becomeProbe();
      pr.msgAppFlowPaused = true; // wait for a heartbeat response before probing again
      return;
    case 'MsgUnreachable':
      if (pr.state === 'Replicate') pr.becomeProbe();
      return;
    case 'MsgTransferLeader': {
      // Thesis §3.10: bring the transferee up to date, then tell it to time out now.
      if (pr.isLearner) return;
      const transferee = m.from;
      if (r.leadTransferee === transferee || transferee === r.id) return;
      r.abortLeaderTransfer();
      r.electionElapsed = 0;
      r.leadTransferee = transferee;
      if (pr.match === r.log.lastIndex()) r.sendTimeoutNow(transferee);
      else r.maybeSendAppend(transferee, true);
      return;
    }
  }
}

/** Candidate and pre-candidate behaviour (Raft §5.2, thesis §9.6). */
export function stepCandidate(r: Raft, m: Message): void {
  const myVoteResp: MessageType = r.state === 'PreCandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
  switch (m.type) {
    case 'MsgProp':
      throw new ProposalDroppedError('no leader (election in progress)');
    case 'MsgReadIndex':
      throw new ProposalDroppedError('no leader (election in progress)');
    case 'MsgTransferLeader':
      throw new ProposalDroppedError('no leader (election in progress)');
    case 'MsgApp':
      // Raft §5.2: AppendEntries from a leader of our term means we lost.
      r.becomeFollower(m.term, m.from);
      r.handleAppendEntries(m);
      return;
    case 'MsgHeartbeat':
      r.becomeFollower(m.term, m.from);
      r.handleHeartbeat(m);
      return;
    case 'MsgSnap':
      r.becomeFollower(m.term, m.from);
      r.handleSnapshot(m);
      return;
    case 'MsgPreVoteResp':
    case 'MsgVoteResp': {
      if (m.type !== myVoteResp) return;
      const res = r.poll(m.from, m.type, !m.reject);
      if (res === 'Won') {
        if (r.state === 'PreCandidate') r.campaign('Election');
        else {
          r.becomeLeader();
          r.bcastAppend();
        }
      } else if (res === 'Lost') {
        r.becomeFollower(r.term, NONE);
      }
      return;
    }
    case 'MsgTimeoutNow':
      return;
  }
}

/** Follower behaviour (Raft §5.2, §5.3, §7; forwarding as in thesis §6.2 and §6.4). */
export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'MsgProp':
      if (r.lead === NONE) throw new ProposalDroppedError('no leader');
      m.to = r.lead;
      r.send(m);
      return;
    case 'MsgApp':
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleAppendEntries(m);
      return;
    case 'MsgHeartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleHeartbeat(m);
      return;
    case 'MsgSnap':
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleSnapshot(m);
      return;
    case 'MsgTransferLeader':
      if (r.lead === NONE) throw new ProposalDroppedError('no leader to transfer leadership from');
      m.to = r.lead;
      r.send(m);
      return;
    case 'MsgTimeoutNow':
      // Thesis §3.10: the transferee starts an election at once, skipping pre-vote.
      r.hup(true);
      return;
    case 'MsgReadIndex':
      if (r.lead === NONE) throw new ProposalDroppedError('no leader to serve a read index');
      m.to = r.lead;
      r.send(m);
      return;
    case 'MsgReadIndexResp':
      r.readStates.push({ index: m.index, requestCtx: m.context });
      return;
  }
}
