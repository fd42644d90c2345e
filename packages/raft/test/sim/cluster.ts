/**
 * A deterministic in-process cluster for tests: members backed by MemoryStorage "disks", a
 * network that can drop, delay, duplicate and reorder messages and be partitioned, crashes that
 * lose everything not persisted, and a small replicated KV state machine with clients whose
 * invocations and responses are recorded for the linearizability checker. Every choice comes
 * from one seeded RNG, so a run is reproducible from its seed.
 */
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type Operation,
  type Ready,
  type KvInput,
  type KvOutput,
  MemoryStorage,
  ProposalDroppedError,
  RawNode,
  decodeConfChange,
  decodeMessage,
  encodeMessage,
  seededRandom,
} from '../../src';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface SimOptions {
  seed: number;
  ids: NodeId[];
  electionTick?: number;
  heartbeatTick?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  readOnlyOption?: 'Safe' | 'LeaseBased';
  maxInflight?: number;
  maxSizePerMsg?: number;
  /** Take a snapshot every N applied entries and compact (0 = never). */
  snapshotEvery?: number;
  /** Entries kept in the log behind a snapshot. */
  keepEntries?: number;
  /** Serve gets from the local state machine without ReadIndex (deliberately broken). */
  staleReads?: boolean;
  /** Network faults. */
  drop?: number;
  duplicate?: number;
  /** Max extra delay of a message, in sim steps (reordering comes from different delays). */
  maxDelay?: number;
  /** Sim steps per tick. */
  stepsPerTick?: number;
  /** Per-member steps per tick, to model clocks running at different rates (default stepsPerTick). */
  tickPeriods?: Record<NodeId, number>;
  /** Report undeliverable messages to the sender (reportUnreachable / reportSnapshot). */
  reportFailures?: boolean;
  /** Carry every message through encodeMessage/decodeMessage, as a real transport would. */
  wireCodec?: boolean;
}

interface InFlight {
  at: number;
  seq: number;
  m: Message;
}

/** The replicated KV: puts are deduplicated by op id (thesis §6.3). */
export class KvStateMachine {
  data = new Map<string, string>();
  seen = new Set<string>();
  applied = 0;
  confState: ConfState = { voters: [], learners: [] };

  apply(e: Entry): { id: string } | undefined {
    this.applied = e.index;
    if (e.type !== 'Normal' || e.data.length === 0) return undefined;
    const cmd = JSON.parse(dec.decode(e.data)) as { id: string; key: string; value: string };
    if (!this.seen.has(cmd.id)) {
      this.seen.add(cmd.id);
      this.data.set(cmd.key, cmd.value);
    }
    return { id: cmd.id };
  }

  serialize(): Uint8Array {
    return enc.encode(JSON.stringify({ d: [...this.data], s: [...this.seen] }));
  }

  restore(index: number, cs: ConfState, data: Uint8Array): void {
    this.applied = index;
    this.confState = { voters: [...cs.voters], learners: [...cs.learners] };
    if (data.length === 0) {
      this.data = new Map();
      this.seen = new Set();
      return;
    }
    const o = JSON.parse(dec.decode(data)) as { d: [string, string][]; s: string[] };
    this.data = new Map(o.d);
    this.seen = new Set(o.s);
  }
}

/** One member: its disk survives crashes; `node` and `sm` do not. */
export class SimMember {
  node: RawNode | undefined;
  sm = new KvStateMachine();
  /** ReadIndex requests: ctx -> read index once known. */
  readWaits = new Map<string, number>();
  constructor(
    readonly id: NodeId,
    readonly disk: MemoryStorage,
  ) {}
  get alive(): boolean {
    return this.node !== undefined;
  }
}

interface PendingOp {
  op: Operation<KvInput, KvOutput>;
  member: NodeId;
  opId: string;
  deadline: number;
}

/** Hooks for tests that print what happens (the data-driven interaction tests). */
export interface SimObserver {
  ready?(id: NodeId, rd: Ready): void;
  dropped?(m: Message, reason: string): void;
}

/** Thrown by the invariant checks; carries the seed for replay. */
export class SafetyViolation extends Error {}

export class SimCluster {
  readonly rand: () => number;
  readonly members = new Map<NodeId, SimMember>();
  readonly opts: Required<Omit<SimOptions, 'ids' | 'seed'>> & { seed: number; ids: NodeId[] };
  now = 0;
  private seq = 0;
  private queue: InFlight[] = [];
  /** Unordered pairs "a|b" that cannot talk. */
  private cut = new Set<string>();
  /** Linearizability history. */
  readonly history: Operation<KvInput, KvOutput>[] = [];
  private pending: PendingOp[] = [];
  private clock = 0;
  private opCounter = 0;
  private ops = new Map<string, Operation<KvInput, KvOutput>>();
  /** Invariant bookkeeping. */
  private leaderOfTerm = new Map<number, NodeId>();
  private committed: { term: number; data: string; commitTerm: number }[] = [];
  private appliedAt: string[] = [];
  /** Observed events, for debugging a failing seed. */
  readonly trace: string[] = [];
  observer: SimObserver = {};
  stats = {
    delivered: 0,
    dropped: 0,
    elections: 0,
    snapshotsSent: 0,
    crashes: 0,
    putsDone: 0,
    getsDone: 0,
    confChanges: 0,
  };

  constructor(o: SimOptions) {
    this.opts = {
      electionTick: 10,
      heartbeatTick: 1,
      preVote: true,
      checkQuorum: true,
      readOnlyOption: 'Safe',
      maxInflight: 4,
      maxSizePerMsg: 256,
      snapshotEvery: 0,
      keepEntries: 3,
      staleReads: false,
      drop: 0,
      duplicate: 0,
      maxDelay: 0,
      stepsPerTick: 4,
      tickPeriods: {},
      reportFailures: false,
      wireCodec: false,
      ...o,
    };
    this.rand = seededRandom(o.seed);
    for (const id of o.ids) {
      const m = new SimMember(id, new MemoryStorage());
      this.members.set(id, m);
      this.start(m, o.ids);
    }
  }

  private log(s: string): void {
    this.trace.push(`[${this.now}] ${s}`);
    if (this.trace.length > 400) this.trace.splice(0, this.trace.length - 300);
  }

  // ---- membership of the process ----------------------------------------------------------

  private start(m: SimMember, peers?: NodeId[]): void {
    const snap = m.disk.snapshot();
    m.node = new RawNode({
      id: m.id,
      storage: m.disk,
      peers,
      applied: snap.metadata.index,
      electionTick: this.opts.electionTick,
      heartbeatTick: this.opts.heartbeatTick,
      preVote: this.opts.preVote,
      checkQuorum: this.opts.checkQuorum,
      readOnlyOption: this.opts.readOnlyOption,
      maxInflightMsgs: this.opts.maxInflight,
      maxSizePerMsg: this.opts.maxSizePerMsg,
      random: seededRandom(Math.floor(this.rand() * 2 ** 32)),
    });
    m.sm = new KvStateMachine();
    m.sm.restore(snap.metadata.index, snap.metadata.confState, snap.data);
    m.readWaits.clear();
  }

  /** Crash: the process and all its volatile state vanish; the disk stays. */
  crash(id: NodeId): void {
    const m = this.members.get(id)!;
    if (!m.alive) return;
    m.node = undefined;
    this.stats.crashes++;
    this.log(`crash ${id}`);
    for (const p of this.pending) if (p.member === id) p.deadline = -1;
    this.expire();
  }

  /** Restart from the persisted hard state, log and snapshot. */
  restart(id: NodeId): void {
    const m = this.members.get(id)!;
    if (m.alive) return;
    this.start(m);
    this.log(`restart ${id}`);
  }

  /** Adds a brand-new empty member (to be added to the configuration by a ConfChange). */
  addMember(id: NodeId): SimMember {
    const m = new SimMember(id, new MemoryStorage());
    this.members.set(id, m);
    this.start(m);
    return m;
  }

  // ---- network ---------------------------------------------------------------------------

  partition(groupA: NodeId[], groupB: NodeId[]): void {
    for (const a of groupA) for (const b of groupB) this.cut.add(a < b ? `${a}|${b}` : `${b}|${a}`);
    this.log(`partition [${groupA}] / [${groupB}]`);
  }

  isolate(id: NodeId): void {
    this.partition(
      [id],
      [...this.members.keys()].filter((x) => x !== id),
    );
  }

  heal(): void {
    this.cut.clear();
    this.log('heal');
  }

  private connected(a: NodeId, b: NodeId): boolean {
    return !this.cut.has(a < b ? `${a}|${b}` : `${b}|${a}`);
  }

  private send(m: Message): void {
    if (this.opts.wireCodec) m = decodeMessage(encodeMessage(m));
    if (m.type === 'MsgSnap') this.stats.snapshotsSent++;
    if (this.rand() < this.opts.drop) {
      this.stats.dropped++;
      return;
    }
    const copies = this.rand() < this.opts.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = 1 + Math.floor(this.rand() * (this.opts.maxDelay + 1));
      this.queue.push({ at: this.now + delay, seq: this.seq++, m });
    }
  }

  private deliver(f: InFlight): void {
    const to = this.members.get(f.m.to);
    const sender = this.members.get(f.m.from)?.node;
    if (!to?.node || !this.connected(f.m.from, f.m.to)) {
      this.stats.dropped++;
      this.observer.dropped?.(f.m, !to?.node ? `${f.m.to} is down` : 'partitioned');
      // A transport notices a failed connection: tell the sender (exercises flow-control paths).
      if (sender && this.opts.reportFailures) {
        if (f.m.type === 'MsgSnap') sender.reportSnapshot(f.m.to, false);
        else sender.reportUnreachable(f.m.to);
      }
      return;
    }
    this.stats.delivered++;
    to.node.step(f.m);
    if (sender && this.opts.reportFailures && f.m.type === 'MsgSnap') sender.reportSnapshot(f.m.to, true);
  }

  // ---- ready handling ----------------------------------------------------------------------

  /** Handles one Ready of a member in the order the Ready contract demands. @returns false if none. */
  processReady(id: NodeId): boolean {
    const m = this.members.get(id)!;
    const node = m.node;
    if (!node || !node.hasReady()) return false;
    const rd = node.ready();
    this.observer.ready?.(id, rd);
    if (rd.softState?.raftState === 'Leader') {
      this.stats.elections++;
      this.log(`${id} leader of term ${node.raft.term}`);
    }
    if (rd.snapshot) {
      m.disk.applySnapshot(rd.snapshot);
      m.sm.restore(rd.snapshot.metadata.index, rd.snapshot.metadata.confState, rd.snapshot.data);
      this.log(`${id} installed snapshot at ${rd.snapshot.metadata.index}`);
    }
    m.disk.append(rd.entries);
    if (rd.hardState) m.disk.setHardState(rd.hardState);
    for (const msg of rd.messages) this.send(msg);
    for (const e of rd.committedEntries) {
      this.recordApplied(id, e);
      if (e.type === 'ConfChange') {
        const cc: ConfChange = decodeConfChange(e.data);
        m.sm.confState = node.applyConfChange(cc);
        m.sm.applied = e.index;
        if (node.raft.state === 'Leader') this.stats.confChanges++;
        this.log(`${id} applied conf change ${cc.type} ${cc.nodeId} at ${e.index}`);
      } else {
        const r = m.sm.apply(e);
        if (r) this.completePuts(id, r.id);
      }
    }
    for (const rs of rd.readStates) m.readWaits.set(dec.decode(rs.requestCtx), rs.index);
    node.advance(rd);
    this.completeGets(m);
    this.maybeSnapshot(m);
    return true;
  }

  private maybeSnapshot(m: SimMember): void {
    const every = this.opts.snapshotEvery;
    if (!every) return;
    const snapIndex = m.disk.snapshot().metadata.index;
    if (m.sm.applied - snapIndex < every) return;
    m.disk.createSnapshot(m.sm.applied, m.sm.confState, m.sm.serialize());
    const compactTo = m.sm.applied - this.opts.keepEntries;
    if (compactTo >= m.disk.firstIndex()) m.disk.compact(compactTo);
  }

  /** Processes readies and delivers every queued message (ignoring delays) until quiet. */
  stabilize(maxRounds = 10000): void {
    for (let round = 0; round < maxRounds; round++) {
      let busy = false;
      for (const id of this.members.keys()) while (this.processReady(id)) busy = true;
      if (this.queue.length > 0) {
        busy = true;
        const q = this.queue;
        this.queue = [];
        for (const f of q) this.deliver(f);
      }
      this.checkInvariants();
      if (!busy) return;
    }
    throw new Error('cluster did not stabilize');
  }

  /** Ticks every live member once. */
  tickAll(): void {
    for (const m of this.members.values()) m.node?.tick();
  }

  /** One simulation step: tick (every stepsPerTick), deliver due messages in random order, process readies. */
  step(): void {
    this.now++;
    for (const m of this.members.values()) {
      const period = this.opts.tickPeriods[m.id] ?? this.opts.stepsPerTick;
      if (this.now % period === 0) m.node?.tick();
    }
    const due: InFlight[] = [];
    const later: InFlight[] = [];
    for (const f of this.queue) (f.at <= this.now ? due : later).push(f);
    this.queue = later;
    shuffle(due, this.rand);
    for (const f of due) this.deliver(f);
    for (const id of this.members.keys()) while (this.processReady(id));
    this.expire();
    this.checkInvariants();
  }

  // ---- queries -----------------------------------------------------------------------------

  /** Live members that believe they lead, with their terms. */
  leaders(): { id: NodeId; term: number }[] {
    const out: { id: NodeId; term: number }[] = [];
    for (const m of this.members.values()) {
      if (m.node?.raft.state === 'Leader') out.push({ id: m.id, term: m.node.raft.term });
    }
    return out;
  }

  /** The leader with the highest term, if any. */
  leader(): NodeId | undefined {
    const ls = this.leaders().sort((a, b) => b.term - a.term);
    return ls[0]?.id;
  }

  node(id: NodeId): RawNode {
    const n = this.members.get(id)?.node;
    if (!n) throw new Error(`member ${id} is not running`);
    return n;
  }

  // ---- clients -----------------------------------------------------------------------------

  /** Invokes put(key, value) at member `at`. @returns the op id, or undefined if refused at once. */
  put(at: NodeId, key: string, value: string, timeout = 400): string | undefined {
    const m = this.members.get(at)!;
    if (!m.node) return undefined;
    const opId = `op${this.opCounter++}`;
    try {
      m.node.propose(enc.encode(JSON.stringify({ id: opId, key, value })));
    } catch (e) {
      if (e instanceof ProposalDroppedError) return undefined; // never entered any log
      throw e;
    }
    const op: Operation<KvInput, KvOutput> = { input: { op: 'put', key, value }, call: this.clock++ };
    this.history.push(op);
    this.ops.set(opId, op);
    this.pending.push({ op, member: at, opId, deadline: this.now + timeout });
    return opId;
  }

  /** Invokes get(key) at member `at` (through ReadIndex, unless staleReads). */
  get(at: NodeId, key: string, timeout = 400): string | undefined {
    const m = this.members.get(at)!;
    if (!m.node) return undefined;
    const opId = `op${this.opCounter++}`;
    if (this.opts.staleReads) {
      // BROKEN on purpose: the local state machine may be arbitrarily stale.
      const op: Operation<KvInput, KvOutput> = { input: { op: 'get', key }, call: this.clock++ };
      op.output = { value: m.sm.data.get(key) };
      op.ret = this.clock++;
      this.history.push(op);
      this.stats.getsDone++;
      return opId;
    }
    try {
      m.node.readIndex(enc.encode(opId));
    } catch (e) {
      if (e instanceof ProposalDroppedError) return undefined;
      throw e;
    }
    const op: Operation<KvInput, KvOutput> = { input: { op: 'get', key }, call: this.clock++ };
    this.history.push(op);
    this.ops.set(opId, op);
    this.pending.push({ op, member: at, opId, deadline: this.now + timeout });
    return opId;
  }

  /** The recorded operation for an op id (undefined for refused or dropped gets). */
  operation(opId: string): Operation<KvInput, KvOutput> | undefined {
    return this.ops.get(opId);
  }

  /** True if the operation with that id has returned. */
  isDone(opId: string): boolean {
    return !this.pending.some((p) => p.opId === opId);
  }

  pendingCount(): number {
    return this.pending.length;
  }

  private completePuts(member: NodeId, opId: string): void {
    const i = this.pending.findIndex((p) => p.opId === opId && p.member === member);
    if (i < 0) return;
    const p = this.pending[i];
    this.pending.splice(i, 1);
    p.op.ret = this.clock++;
    p.op.output = {};
    this.stats.putsDone++;
  }

  private completeGets(m: SimMember): void {
    for (const [ctx, index] of m.readWaits) {
      if (m.sm.applied < index) continue;
      m.readWaits.delete(ctx);
      const i = this.pending.findIndex((p) => p.opId === ctx && p.member === m.id);
      if (i < 0) continue;
      const p = this.pending[i];
      this.pending.splice(i, 1);
      if (p.op.input.op !== 'get') continue;
      p.op.output = { value: m.sm.data.get(p.op.input.key) };
      p.op.ret = this.clock++;
      this.stats.getsDone++;
    }
  }

  /** Gives up on operations past their deadline: a put stays open (it may still take effect), a get is dropped. */
  private expire(): void {
    const keep: PendingOp[] = [];
    for (const p of this.pending) {
      if (p.deadline >= this.now) {
        keep.push(p);
        continue;
      }
      if (p.op.input.op === 'get') {
        const i = this.history.indexOf(p.op);
        if (i >= 0) this.history.splice(i, 1);
      }
      // put: ret stays undefined (outcome unknown)
    }
    this.pending = keep;
  }

  /** Removes every pending op from tracking (end of run): puts stay open-ended in the history. */
  abandonPending(): void {
    for (const p of this.pending) p.deadline = -1;
    this.expire();
  }

  // ---- invariants ----------------------------------------------------------------------------

  private recordApplied(id: NodeId, e: Entry): void {
    const key = `${e.term}:${e.type}:${dec.decode(e.data)}`;
    const prev = this.appliedAt[e.index];
    if (prev === undefined) this.appliedAt[e.index] = key;
    else if (prev !== key) {
      throw new SafetyViolation(
        `state machine safety: ${id} applied ${key} at ${e.index}, another member applied ${prev}`,
      );
    }
  }

  /**
   * Raft Figure 3 properties, checked over every running member:
   * election safety, log matching, leader completeness, and (with recordApplied) state machine
   * safety. Committed entries are also checked never to change.
   */
  checkInvariants(): void {
    const live = [...this.members.values()].filter((m) => m.node);
    // Election safety: at most one leader per term.
    for (const m of live) {
      const r = m.node!.raft;
      if (r.state !== 'Leader') continue;
      const prev = this.leaderOfTerm.get(r.term);
      if (prev === undefined) this.leaderOfTerm.set(r.term, m.id);
      else if (prev !== m.id)
        throw new SafetyViolation(`election safety: ${prev} and ${m.id} both lead term ${r.term}`);
    }
    // Committed entries never change (and record the term in which each was first seen committed).
    for (const m of live) {
      const r = m.node!.raft;
      const lo = Math.max(r.log.firstIndex(), 1);
      for (let i = Math.max(lo, this.committed.length); i <= r.log.committed; i++) {
        const e = r.log.slice(i, i + 1)[0];
        this.committed[i] = { term: e.term, data: `${e.type}:${dec.decode(e.data)}`, commitTerm: r.term };
      }
      const from = Math.max(lo, r.log.committed - 50);
      for (let i = from; i <= r.log.committed && i < this.committed.length; i++) {
        const c = this.committed[i];
        if (!c) continue;
        const e = r.log.slice(i, i + 1)[0];
        if (e.term !== c.term || `${e.type}:${dec.decode(e.data)}` !== c.data) {
          throw new SafetyViolation(
            `commit safety: ${m.id} has committed index ${i} as term ${e.term}, was term ${c.term}`,
          );
        }
      }
    }
    // Log matching: same index and term => identical logs up to there.
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) checkLogMatching(live[a], live[b]);
    }
    // Leader completeness: a leader of term T holds every entry committed in a term <= T.
    for (const m of live) {
      const r = m.node!.raft;
      if (r.state !== 'Leader') continue;
      for (let i = r.log.firstIndex(); i < this.committed.length; i++) {
        const c = this.committed[i];
        if (!c || c.commitTerm > r.term) continue;
        const t = r.log.term(i);
        if (t !== c.term) {
          throw new SafetyViolation(
            `leader completeness: leader ${m.id} (term ${r.term}) has ${t === undefined ? 'no entry' : `term ${t}`} at committed index ${i} (term ${c.term})`,
          );
        }
      }
    }
  }
}

function checkLogMatching(a: SimMember, b: SimMember): void {
  const la = a.node!.raft.log;
  const lb = b.node!.raft.log;
  const lo = Math.max(la.firstIndex(), lb.firstIndex());
  const hi = Math.min(la.lastIndex(), lb.lastIndex());
  let matched = false;
  for (let i = hi; i >= lo; i--) {
    const ta = la.term(i);
    const tb = lb.term(i);
    if (!matched) {
      if (ta === tb) matched = true;
      else continue;
    }
    if (ta !== tb) {
      throw new SafetyViolation(
        `log matching: ${a.id} and ${b.id} agree on a later entry but differ at ${i}`,
      );
    }
    const ea = la.slice(i, i + 1)[0];
    const eb = lb.slice(i, i + 1)[0];
    if (ea.type !== eb.type || Buffer.compare(Buffer.from(ea.data), Buffer.from(eb.data)) !== 0) {
      throw new SafetyViolation(
        `log matching: ${a.id} and ${b.id} hold different entries at ${i} (term ${ta})`,
      );
    }
  }
}

export function shuffle<T>(xs: T[], rand: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}
