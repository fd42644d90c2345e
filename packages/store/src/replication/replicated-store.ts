// ReplicatedStore: the KV interface over a Raft-replicated MvccStore.
//
// Writes are Raft proposals (request id + TxnRequest bytes). Every member applies committed
// entries in log order through MvccStore.commit (with the applied index as meta 'raft-applied'
// in the same LevelDB batch); the member that proposed resolves the caller when it applies the
// entry carrying its request id. Followers propose too: @keelson/raft forwards MsgProp and
// MsgReadIndex to the leader (as etcd's raft does), so any member serves every request.
//
// One event loop per member drives the RawNode: inputs (ticks, messages, proposals, read
// requests) queue in an inbox and are stepped only between Readies; each Ready is handled in
// the order of the @keelson/raft contract: install snapshot → persist entries + hard state
// (synced LevelDB batch) → send messages → apply committed entries → release reads → advance.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  ProposalDroppedError,
  RaftUsageError,
  RawNode,
  decodeConfChange,
  decodeMessage,
  type ConfChange,
  type ConfState,
  type Entry,
  type Ready,
  type Snapshot,
} from '@keelson/raft';
import { MvccStore } from '../mvcc-store';
import { normalizeTxn, type NormalTxn } from '../mvcc-state';
import { StoreClosedError, StoreUnavailableError } from '../errors';
import { checkKey, checkValue } from '../span';
import type {
  Compare,
  KV,
  KeyValue,
  RangeOptions,
  RangeResult,
  TxnOp,
  TxnResult,
  WatchCallbacks,
  WatchHandle,
  WatchOptions,
} from '../types';
import { LevelRaftStorage } from './raft-storage';
import { dumpMvcc, restoreMvcc } from './mvcc-snapshot';
import { decodeProposal, encodeCompactProposal, encodeTxnProposal } from './proposal';
import { GrpcRaftTransport } from './transport';

/** Options of {@link ReplicatedStore.open}. */
export interface ReplicatedStoreOptions {
  /** This member's name (its Raft node id), e.g. "m1". */
  name: string;
  /** Data directory; the MVCC LevelDB lives in `<dataDir>/mvcc`, the Raft log in `<dataDir>/raft`. */
  dataDir: string;
  /**
   * Member name → gRPC address ("host:port") of the initial cluster, this member included.
   * On first start (empty Raft log) these names bootstrap the configuration unless `join`.
   */
  peers: Record<string, string>;
  /** Start empty without bootstrapping: this member was added with `member add` (default false). */
  join?: boolean;
  /** Tick period, ms (default 100). */
  tickMs?: number;
  /** Election timeout in ticks (default 10; randomized in [10, 20) by Raft §5.2). */
  electionTick?: number;
  /** Heartbeat period in ticks (default 1). */
  heartbeatTick?: number;
  /** Take a snapshot and compact the log when it holds more than this many entries (default 10,000). */
  snapshotEntries?: number;
  /** Entries kept behind a snapshot for followers that lag a little (default 1,000). */
  keepEntries?: number;
  /** fsync the Raft log writes (default true; false only for benchmarks). The MVCC LevelDB is never fsync'd: it is rebuilt from the log. */
  sync?: boolean;
  /** How long a write or linearizable read waits before failing with UNAVAILABLE, ms (default 5,000). */
  requestTimeoutMs?: number;
  /** Progress notification period of the MVCC store's watches, ms (default 10,000). */
  progressIntervalMs?: number;
  /**
   * Called once if the Raft loop fails (a LevelDB write error, a corrupt snapshot): the member
   * then refuses every request. The bin exits so that a supervisor restarts it.
   */
  onFatal?: (err: Error) => void;
}

/** One member as {@link ReplicatedStore.members} reports it. */
export interface MemberInfo {
  name: string;
  address: string;
  learner: boolean;
}

/** Range options of a ReplicatedStore: `serializable` reads the local state without ReadIndex. */
export type ReplicatedRangeOptions = RangeOptions & { serializable?: boolean };

interface PendingProposal {
  resolve(r: TxnResult | undefined): void;
  reject(e: Error): void;
  /** The leader this member knew when it handed the proposal to Raft ('' = not yet). */
  via: string;
}

interface ReadWaiter {
  resolve(): void;
  reject(e: Error): void;
  deadline: number;
}

const APPLIED_META = 'raft-applied';
const MEMBERS_META = 'raft-members';
const enc = new TextEncoder();
const dec = new TextDecoder();

function u64(n: number): Uint8Array {
  return enc.encode(String(n));
}

/**
 * A Raft-replicated {@link KV} (Raft §5–§7, ReadIndex from the thesis §6.4, single-server
 * membership changes from the thesis §4.1). Writes resolve once committed by a majority and
 * applied on this member; reads are linearizable unless `serializable: true`.
 * Errors: those of {@link MvccStore}, plus `StoreUnavailableError` (code UNAVAILABLE) when no
 * leader is reachable within `requestTimeoutMs` (a write's outcome is then unknown).
 */
export class ReplicatedStore implements KV {
  private node!: RawNode;
  private mvcc: MvccStore;
  private readonly transport: GrpcRaftTransport;
  private readonly addresses = new Map<string, string>();
  private confState: ConfState = { voters: [], learners: [] };
  private leaderId = '';
  private applied = 0;
  /** Highest index already in the MVCC state (entries at or below are skipped on replay). */
  private mvccApplied = 0;
  private inbox: Array<() => void> = [];
  private looping = false;
  private idleWaiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private failed: Error | undefined;
  private readonly boot = Math.random().toString(36).slice(2, 8);
  private seq = 0;
  private readonly proposals = new Map<string, PendingProposal>();
  private readQueue: ReadWaiter[] = [];
  private readRound: { ctx: string; waiters: ReadWaiter[]; retry: NodeJS.Timeout } | undefined;
  private appliedWaiters: Array<{ index: number; resolve(): void }> = [];
  private readonly o: Required<Omit<ReplicatedStoreOptions, 'peers' | 'join' | 'onFatal'>>;
  private readonly onFatal: ((err: Error) => void) | undefined;

  private constructor(
    mvcc: MvccStore,
    private readonly storage: LevelRaftStorage,
    opts: ReplicatedStoreOptions,
  ) {
    this.mvcc = mvcc;
    this.onFatal = opts.onFatal;
    this.o = {
      name: opts.name,
      dataDir: opts.dataDir,
      tickMs: opts.tickMs ?? 100,
      electionTick: opts.electionTick ?? 10,
      heartbeatTick: opts.heartbeatTick ?? 1,
      snapshotEntries: opts.snapshotEntries ?? 10_000,
      keepEntries: opts.keepEntries ?? 1000,
      sync: opts.sync ?? true,
      requestTimeoutMs: opts.requestTimeoutMs ?? 5000,
      progressIntervalMs: opts.progressIntervalMs ?? 10_000,
    };
    this.transport = new GrpcRaftTransport({
      unreachable: (to) => this.enqueue(() => this.node.reportUnreachable(to)),
      snapshotStatus: (to, ok) => this.enqueue(() => this.node.reportSnapshot(to, ok)),
    });
  }

  /**
   * Opens (creating) a member's data directory and starts its Raft node and tick timer.
   * Messages from peers reach it through {@link receive} (wired by `startReplicatedMember`).
   * @throws LevelDB errors (directory locked), Error on a corrupt snapshot.
   */
  static async open(opts: ReplicatedStoreOptions): Promise<ReplicatedStore> {
    if (!opts.name) throw new Error('member name must not be empty');
    mkdirSync(opts.dataDir, { recursive: true });
    const mvccDir = join(opts.dataDir, 'mvcc');
    // The MVCC LevelDB is not fsync'd: the synced Raft log holds every committed entry, and
    // 'raft-applied' is written in the same (ordered) LevelDB batch as the data, so after a
    // machine crash the lost suffix is replayed from the log, or from the (synced) snapshot
    // when the log was compacted past it (raft snapshot index > raft-applied at open).
    const storeOpts = { sync: false, progressIntervalMs: opts.progressIntervalMs };
    const storage = await LevelRaftStorage.open(join(opts.dataDir, 'raft'), { sync: opts.sync ?? true });
    let mvcc = await MvccStore.open(mvccDir, storeOpts);
    const snap = storage.snapshot();
    let mvccApplied = Number(dec.decode((await mvcc.readMeta(APPLIED_META)) ?? u64(0)));
    if (snap.metadata.index > mvccApplied) {
      // Crashed while installing a snapshot: finish it.
      await mvcc.close();
      await restoreFromSnapshot(mvccDir, snap);
      mvcc = await MvccStore.open(mvccDir, storeOpts);
      mvccApplied = snap.metadata.index;
    }
    const s = new ReplicatedStore(mvcc, storage, opts);
    s.mvccApplied = mvccApplied;
    for (const [n, a] of Object.entries(opts.peers)) s.addresses.set(n, a);
    await s.loadMemberMeta();
    const bootstrap = storage.isEmpty() && !opts.join;
    s.node = new RawNode({
      id: opts.name,
      storage,
      electionTick: s.o.electionTick,
      heartbeatTick: s.o.heartbeatTick,
      applied: snap.metadata.index,
      peers: bootstrap ? Object.keys(opts.peers).sort() : undefined,
      preVote: true,
      checkQuorum: true,
    });
    s.applied = snap.metadata.index;
    s.confState = storage.initialState().confState;
    s.syncTransport();
    s.timer = setInterval(() => s.enqueue(() => s.node.tick()), s.o.tickMs);
    s.kick();
    return s;
  }

  // ---- membership and status ----

  /** The member name of the leader as this member knows it ('' when unknown). */
  leader(): string {
    return this.leaderId;
  }

  /** This member's name. */
  get name(): string {
    return this.o.name;
  }

  /** The last log index applied to the local MVCC state. */
  appliedIndex(): number {
    return this.applied;
  }

  /**
   * Raft bookkeeping of this member: applied index, the latest snapshot's index, the first and
   * last index held in the log, the known leader, and this member's role.
   */
  raftStatus(): {
    applied: number;
    snapshotIndex: number;
    firstIndex: number;
    lastIndex: number;
    leader: string;
    role: string;
  } {
    return {
      applied: this.applied,
      snapshotIndex: this.storage.snapshot().metadata.index,
      firstIndex: this.storage.firstIndex(),
      lastIndex: this.storage.lastIndex(),
      leader: this.leaderId,
      role: this.node.status().softState.raftState,
    };
  }

  /** Current configuration (voters and learners) with their addresses. */
  members(): MemberInfo[] {
    const out: MemberInfo[] = [];
    for (const n of this.confState.voters)
      out.push({ name: n, address: this.addresses.get(n) ?? '', learner: false });
    for (const n of this.confState.learners)
      out.push({ name: n, address: this.addresses.get(n) ?? '', learner: true });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Adds member `name` at `address` (Raft thesis §4.1–4.2.1): as a learner first, then promoted
   * to voter once it has caught up (the leader refuses earlier promotion; we retry every 200 ms).
   * Start the new member with `join: true` and peers including the existing members.
   * @throws StoreUnavailableError (UNAVAILABLE) when not done within `timeoutMs` (default 60 s).
   */
  async addMember(name: string, address: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (!this.confState.voters.includes(name) && !this.confState.learners.includes(name)) {
      await this.changeConf(
        { type: 'AddLearner', nodeId: name, context: enc.encode(address) },
        deadline,
        () => this.confState.learners.includes(name) || this.confState.voters.includes(name),
      );
    }
    await this.changeConf({ type: 'AddNode', nodeId: name, context: enc.encode(address) }, deadline, () =>
      this.confState.voters.includes(name),
    );
  }

  /**
   * Removes member `name` (a voter or learner). A removed leader steps down.
   * @throws StoreUnavailableError (UNAVAILABLE) when not done within `timeoutMs` (default 30 s).
   */
  async removeMember(name: string, timeoutMs = 30_000): Promise<void> {
    await this.changeConf(
      { type: 'RemoveNode', nodeId: name },
      Date.now() + timeoutMs,
      () => !this.confState.voters.includes(name) && !this.confState.learners.includes(name),
    );
  }

  /** Proposes `cc` every 500 ms until `done()` holds (applied locally) or the deadline passes. */
  private async changeConf(cc: ConfChange, deadline: number, done: () => boolean): Promise<void> {
    let lastTry = 0;
    while (!done()) {
      this.checkOpen();
      if (Date.now() > deadline) {
        throw new StoreUnavailableError(
          GrpcStatus.UNAVAILABLE,
          `membership change ${cc.type} ${cc.nodeId} timed out`,
        );
      }
      if (Date.now() - lastTry >= 500) {
        lastTry = Date.now();
        this.enqueue(() => {
          try {
            this.node.proposeConfChange(cc);
          } catch (err) {
            if (!(err instanceof ProposalDroppedError)) throw err;
          }
        });
      }
      await sleep(50);
    }
  }

  /** Feeds Raft messages received from a peer (each encoded with encodeMessage). */
  receive(batch: Uint8Array[]): void {
    if (this.closed) return;
    for (const b of batch) {
      let m;
      try {
        m = decodeMessage(b);
      } catch {
        continue;
      }
      // A message for another member (e.g. a reused address) or a malformed one is dropped:
      // RawNode.step throws RaftUsageError for those, which must not stop this member.
      if (m.to !== this.o.name) continue;
      this.inbox.push(() => {
        try {
          this.node.step(m);
        } catch (err) {
          if (!(err instanceof RaftUsageError)) throw err;
        }
      });
    }
    this.kick();
  }

  // ---- writes ----

  /** {@inheritDoc KV.put} */
  async put(
    key: string,
    value: Uint8Array,
    opts: { prevKv?: boolean } = {},
  ): Promise<{ revision: number; prevKv?: KeyValue }> {
    checkKey(key);
    checkValue(value);
    const r = await this.txn([], [{ type: 'put', key, value, prevKv: !!opts.prevKv }], []);
    const resp = r.responses[0] as { prevKv?: KeyValue };
    return resp.prevKv ? { revision: r.revision, prevKv: resp.prevKv } : { revision: r.revision };
  }

  /** {@inheritDoc KV.delete} */
  async delete(
    key: string,
    opts: { end?: string; prefix?: boolean; prevKv?: boolean } = {},
  ): Promise<{ revision: number; deleted: number; prevKvs: KeyValue[] }> {
    const r = await this.txn(
      [],
      [{ type: 'delete', key, end: opts.end, prefix: opts.prefix, prevKv: !!opts.prevKv }],
      [],
    );
    const resp = r.responses[0] as { deleted: number; prevKvs: KeyValue[] };
    return { revision: r.revision, deleted: resp.deleted, prevKvs: resp.prevKvs };
  }

  /** {@inheritDoc KV.txn} Validated here (named errors at once), then proposed. */
  async txn(compares: Compare[], success: TxnOp[], failure: TxnOp[]): Promise<TxnResult> {
    this.checkOpen();
    normalizeTxn(compares, success, failure);
    const id = this.nextId();
    const r = await this.propose(id, encodeTxnProposal(id, compares, success, failure));
    return r!;
  }

  /** {@inheritDoc KV.compact} Replicated: every member compacts at the same log position. */
  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (!Number.isSafeInteger(revision) || revision <= 0) {
      // Same validation errors as the local store.
      await this.mvcc.compact(revision);
    }
    const id = this.nextId();
    await this.propose(id, encodeCompactProposal(id, revision));
  }

  private nextId(): string {
    return `${this.o.name}/${this.boot}/${++this.seq}`;
  }

  /**
   * Hands `data` to Raft (retrying while no leader is known) and waits for this member to apply
   * the entry with request id `id`.
   */
  private propose(id: string, data: Uint8Array): Promise<TxnResult | undefined> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + this.o.requestTimeoutMs;
      const timer = setTimeout(() => {
        if (this.proposals.delete(id)) {
          reject(
            new StoreUnavailableError(
              GrpcStatus.UNAVAILABLE,
              `request timed out after ${this.o.requestTimeoutMs} ms (leader ${this.leaderId || 'unknown'}); its outcome is unknown`,
            ),
          );
        }
      }, this.o.requestTimeoutMs);
      const pending: PendingProposal = {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
        via: '',
      };
      this.proposals.set(id, pending);
      const attempt = () =>
        this.enqueue(() => {
          if (!this.proposals.has(id)) return;
          try {
            this.node.propose(data);
            pending.via = this.node.raft.lead;
          } catch (err) {
            if (!(err instanceof ProposalDroppedError)) throw err;
            if (Date.now() + this.o.tickMs < deadline) setTimeout(attempt, this.o.tickMs);
          }
        });
      attempt();
    });
  }

  // ---- reads ----

  /** {@inheritDoc KV.get} Linearizable unless `serializable: true`. */
  async get(
    key: string,
    opts: { revision?: number; serializable?: boolean } = {},
  ): Promise<KeyValue | undefined> {
    checkKey(key);
    const r = await this.range(key, { revision: opts.revision, serializable: opts.serializable });
    return r.kvs[0];
  }

  /**
   * {@inheritDoc KV.range} Linearizable by default (ReadIndex, Raft thesis §6.4: the leader
   * confirms its leadership with a heartbeat round, then this member waits until it has applied
   * up to the read index and reads locally). `serializable: true` reads the local state at once
   * (may be stale on a lagging member).
   */
  async range(key: string, opts: ReplicatedRangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    const { serializable, ...rest } = opts;
    if (!serializable) await this.readBarrier();
    return this.mvcc.range(key, rest);
  }

  /** {@inheritDoc KV.currentRevision} (local, serializable) */
  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.mvcc.currentRevision();
  }

  /** {@inheritDoc KV.compactRevision} (local, serializable) */
  async compactRevision(): Promise<number> {
    this.checkOpen();
    return this.mvcc.compactRevision();
  }

  /**
   * {@inheritDoc KV.watch} Served from this member's applied state (like etcd). Watches end with
   * StoreClosedError when this member installs a snapshot from the leader; re-watch then.
   */
  watch(key: string, opts: WatchOptions, cb: WatchCallbacks): WatchHandle {
    return this.mvcc.watch(key, opts, cb);
  }

  /**
   * Resolves once this member has applied everything committed before the call (ReadIndex).
   * Reads queued while a round is in flight share the next round.
   */
  private readBarrier(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.readQueue.push({ resolve, reject, deadline: Date.now() + this.o.requestTimeoutMs });
      this.startReadRound();
    });
  }

  private startReadRound(): void {
    if (this.readRound || !this.readQueue.length || this.closed) return;
    const waiters = this.readQueue;
    this.readQueue = [];
    const round = { ctx: '', waiters, retry: undefined as unknown as NodeJS.Timeout };
    this.readRound = round;
    const issue = () => {
      const now = Date.now();
      const live = round.waiters.filter((w) => w.deadline > now);
      for (const w of round.waiters) {
        if (w.deadline <= now) {
          w.reject(
            new StoreUnavailableError(
              GrpcStatus.UNAVAILABLE,
              `linearizable read timed out after ${this.o.requestTimeoutMs} ms (leader ${this.leaderId || 'unknown'})`,
            ),
          );
        }
      }
      round.waiters = live;
      if (!live.length) {
        this.readRound = undefined;
        this.startReadRound();
        return;
      }
      round.ctx = `${this.boot}/r${++this.seq}`;
      const ctx = enc.encode(round.ctx);
      this.enqueue(() => {
        try {
          this.node.readIndex(ctx);
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) throw err;
        }
      });
      // No ReadState (no leader, lost message, leader change): ask again.
      round.retry = setTimeout(issue, Math.max((this.o.tickMs * this.o.electionTick) / 2, 300));
    };
    issue();
  }

  private onReadState(ctx: string, index: number): void {
    const round = this.readRound;
    if (!round || round.ctx !== ctx) return;
    clearTimeout(round.retry);
    this.readRound = undefined;
    const release = () => {
      for (const w of round.waiters) w.resolve();
    };
    if (this.applied >= index) release();
    else this.appliedWaiters.push({ index, resolve: release });
    this.startReadRound();
  }

  // ---- the Raft loop ----

  private enqueue(fn: () => void): void {
    if (this.closed) return;
    this.inbox.push(fn);
    this.kick();
  }

  private kick(): void {
    if (!this.looping && !this.failed) void this.loop();
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      for (;;) {
        const work = this.inbox;
        this.inbox = [];
        for (const w of work) w();
        if (!this.node.hasReady()) {
          if (this.inbox.length) continue;
          break;
        }
        const rd = this.node.ready();
        await this.handleReady(rd);
        this.node.advance(rd);
      }
    } catch (err) {
      this.fatal(err as Error);
    } finally {
      this.looping = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) {
      const lead = rd.softState.lead;
      if (lead && lead !== this.leaderId) this.leaderChanged(lead);
      this.leaderId = lead;
    }
    if (rd.snapshot) await this.installSnapshot(rd.snapshot);
    // A leader sends before its own fsync (Raft thesis §10.2.1, as etcd does): it counts its own
    // copy of an entry only after advance(), so nothing commits that it has not persisted; its
    // hard state (term, vote) was already persisted when it campaigned. Others persist first.
    const leading = this.leaderId === this.o.name;
    if (leading) this.sendAll(rd);
    await this.storage.save(rd.entries, rd.hardState);
    if (!leading) this.sendAll(rd);
    await this.applyEntries(rd.committedEntries);
    for (const rs of rd.readStates) this.onReadState(dec.decode(rs.requestCtx), rs.index);
    await this.maybeSnapshot();
  }

  private sendAll(rd: Ready): void {
    for (const m of rd.messages) if (m.to !== this.o.name) this.transport.send(m);
  }

  /**
   * A new leader: proposals handed to an earlier leader may be lost (a forwarded MsgProp is
   * dropped silently), so fail them now with UNAVAILABLE rather than at the timeout; the client
   * moves on. Their outcome is unknown (the entry may still commit), as with a timeout.
   */
  private leaderChanged(lead: string): void {
    for (const [id, p] of this.proposals) {
      if (p.via && p.via !== lead) {
        this.proposals.delete(id);
        p.reject(
          new StoreUnavailableError(
            GrpcStatus.UNAVAILABLE,
            `leader changed from ${p.via} to ${lead} while the request was pending; its outcome is unknown`,
          ),
        );
      }
    }
  }

  /** Applies committed entries in log order; consecutive txns go to MvccStore.commit together. */
  private async applyEntries(ents: Entry[]): Promise<void> {
    let group: Array<{ id: string; txn?: NormalTxn; error?: Error }> = [];
    let groupLast = 0;
    const flush = async () => {
      if (!group.length && groupLast <= this.mvccApplied) return;
      const txns = group.filter((g) => g.txn).map((g) => g.txn!);
      const results = await this.mvcc.commit(txns, [{ name: APPLIED_META, value: u64(groupLast) }]);
      this.mvccApplied = groupLast;
      let i = 0;
      for (const g of group) {
        const p = this.proposals.get(g.id);
        const r = g.txn ? results[i++] : undefined;
        if (!p) continue;
        this.proposals.delete(g.id);
        if (g.error) p.reject(g.error);
        else p.resolve(r);
      }
      group = [];
    };
    for (const e of ents) {
      if (e.type === 'ConfChange') {
        await flush();
        const cc = decodeConfChange(e.data);
        this.confState = this.node.applyConfChange(cc);
        if (cc.type === 'RemoveNode') this.addresses.delete(cc.nodeId);
        else if (cc.context?.length) this.addresses.set(cc.nodeId, dec.decode(cc.context));
        this.syncTransport();
        if (e.index > this.mvccApplied) {
          await this.mvcc.commit(
            [],
            [
              { name: MEMBERS_META, value: enc.encode(JSON.stringify(Object.fromEntries(this.addresses))) },
              { name: APPLIED_META, value: u64(e.index) },
            ],
          );
          this.mvccApplied = e.index;
        }
      } else if (e.index > this.mvccApplied && e.data.length) {
        let p;
        try {
          p = decodeProposal(e.data);
        } catch {
          groupLast = e.index; // not ours: skip it
          this.setApplied(e.index);
          continue;
        }
        if (p.kind === 'txn') {
          try {
            group.push({ id: p.id, txn: normalizeTxn(p.compares, p.success, p.failure) });
          } catch (err) {
            group.push({ id: p.id, error: err as Error });
          }
          groupLast = e.index;
        } else {
          await flush();
          let error: Error | undefined;
          try {
            await this.mvcc.compact(p.revision);
          } catch (err) {
            error = err as Error;
          }
          await this.mvcc.commit([], [{ name: APPLIED_META, value: u64(e.index) }]);
          this.mvccApplied = e.index;
          const w = this.proposals.get(p.id);
          if (w) {
            this.proposals.delete(p.id);
            if (error) w.reject(error);
            else w.resolve(undefined);
          }
        }
      }
      this.setApplied(e.index);
    }
    await flush();
    this.releaseApplied();
  }

  private setApplied(index: number): void {
    if (index > this.applied) this.applied = index;
  }

  private releaseApplied(): void {
    if (!this.appliedWaiters.length) return;
    const keep: typeof this.appliedWaiters = [];
    for (const w of this.appliedWaiters) {
      if (w.index <= this.applied) w.resolve();
      else keep.push(w);
    }
    this.appliedWaiters = keep;
  }

  /** Snapshot the MVCC state and compact the log when it has grown past `snapshotEntries`. */
  private async maybeSnapshot(): Promise<void> {
    const s = this.storage;
    if (this.applied - s.snapshot().metadata.index <= this.o.snapshotEntries) return;
    if (this.applied > s.lastIndex()) return;
    if (this.mvccApplied < this.applied) {
      await this.mvcc.commit([], [{ name: APPLIED_META, value: u64(this.applied) }]);
      this.mvccApplied = this.applied;
    }
    const data = await dumpMvcc(this.mvcc);
    await s.snapshotAndCompact(this.applied, this.confState, data, this.o.keepEntries);
  }

  /** Installs a snapshot from the leader: persist it, then replace the MVCC state by it. */
  private async installSnapshot(snap: Snapshot): Promise<void> {
    await this.storage.installSnapshot(snap);
    const dir = join(this.o.dataDir, 'mvcc');
    await this.mvcc.close();
    await restoreFromSnapshot(dir, snap);
    this.mvcc = await MvccStore.open(dir, { sync: false, progressIntervalMs: this.o.progressIntervalMs });
    this.mvccApplied = snap.metadata.index;
    this.applied = snap.metadata.index;
    this.confState = snap.metadata.confState;
    await this.loadMemberMeta();
    this.syncTransport();
    this.releaseApplied();
  }

  private async loadMemberMeta(): Promise<void> {
    const raw = await this.mvcc.readMeta(MEMBERS_META);
    if (!raw) return;
    const m = JSON.parse(dec.decode(raw)) as Record<string, string>;
    for (const [n, a] of Object.entries(m)) this.addresses.set(n, a);
  }

  private syncTransport(): void {
    for (const [n, a] of this.addresses) if (n !== this.o.name) this.transport.setAddress(n, a);
  }

  private fatal(err: Error): void {
    if (this.failed) return;
    this.failed =
      err instanceof StoreClosedError
        ? err
        : new StoreUnavailableError(GrpcStatus.INTERNAL, `raft loop failed: ${err.message}`);
    for (const p of this.proposals.values()) p.reject(this.failed);
    this.proposals.clear();
    if (this.onFatal) this.onFatal(this.failed);
    else process.emitWarning(`keelson-store ${this.o.name}: ${this.failed.message}`);
  }

  private checkOpen(): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw new StoreClosedError();
  }

  /** {@inheritDoc KV.close} Stops ticking and sending; pending requests fail with StoreClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.readRound) clearTimeout(this.readRound.retry);
    const err = new StoreClosedError('store closed');
    for (const w of [...(this.readRound?.waiters ?? []), ...this.readQueue]) w.reject(err);
    this.readRound = undefined;
    this.readQueue = [];
    for (const p of this.proposals.values()) p.reject(err);
    this.proposals.clear();
    this.inbox = [];
    if (this.looping) await new Promise<void>((r) => this.idleWaiters.push(r));
    this.transport.close();
    await this.mvcc.close();
    await this.storage.close();
  }
}

/** Rewrites the MVCC LevelDB in `dir` from a Raft snapshot, marking it applied at its index. */
async function restoreFromSnapshot(dir: string, snap: Snapshot): Promise<void> {
  await restoreMvcc(dir, snap.data, [
    { key: Buffer.from(`m.${APPLIED_META}`), value: Buffer.from(String(snap.metadata.index)) },
  ]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
