/**
 * A linearizability checker for recorded client histories: the Wing & Gong search with
 * Lowe's memoisation (cache of (set of linearized operations, model state)) and per-partition
 * checking, the algorithm used by Porcupine (Athalye, "Porcupine: a fast linearizability
 * checker"). Our own implementation.
 *
 * An operation is linearizable if it appears to take effect atomically at some instant between
 * its invocation and its response (Herlihy & Wing 1990). Operations that never returned
 * (`ret === undefined`) may or may not have taken effect: they are treated as returning at
 * infinity.
 */

/** A sequential specification of the object under test. */
export interface Model<S, I, O> {
  /** Splits a history into independent sub-histories (e.g. per key). Default: one partition. */
  partition?: (ops: Operation<I, O>[]) => Operation<I, O>[][];
  /** The initial state. */
  init(): S;
  /**
   * Applies `input` to `state`; returns whether `output` is a legal response and the next
   * state. `output` is undefined for an operation that never returned (any output is legal).
   */
  step(state: S, input: I, output: O | undefined): [boolean, S];
  /** A string identifying the state (used for memoisation); default JSON.stringify. */
  key?(state: S): string;
}

/** One client operation: invocation time, response time (undefined if none), input, output. */
export interface Operation<I, O> {
  /** Optional client label (not used by the checker; handy in reports). */
  clientId?: number | string;
  /** The operation's arguments. */
  input: I;
  /** Invocation time (any monotonic number; ties are broken as "call before return"). */
  call: number;
  /** The response (ignored when `ret` is undefined). */
  output?: O;
  /** Response time, > call; undefined if the operation never returned. */
  ret?: number;
}

/** Result of {@link checkOperations}. */
export interface CheckResult {
  /** True if every partition is linearizable. */
  ok: boolean;
  /** For a failure: index of the first partition that is not linearizable. */
  failedPartition?: number;
  /** For a failure: the operations of that partition. */
  failedOps?: Operation<unknown, unknown>[];
  /** True if the search gave up after `maxSteps` (the answer is then unknown, reported as not ok). */
  timedOut?: boolean;
}

/** Limits for {@link checkOperations}. */
export interface CheckOptions {
  /** Search steps allowed per partition before giving up (default 5,000,000). */
  maxSteps?: number;
}

interface Node {
  id: number; // operation id within the partition
  isCall: boolean;
  input: unknown;
  output: unknown;
  match: Node | null; // call -> its return, return -> its call
  prev: Node | null;
  next: Node | null;
}

class Bitset {
  readonly words: Uint32Array;
  constructor(n: number) {
    this.words = new Uint32Array(Math.ceil(n / 32) || 1);
  }
  set(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }
  key(): string {
    return Array.from(this.words, (w) => w.toString(36)).join('.');
  }
}

function buildList<I, O>(ops: Operation<I, O>[]): Node {
  type Ev = { t: number; isCall: boolean; node: Node };
  const evs: Ev[] = [];
  ops.forEach((op, id) => {
    const call: Node = {
      id,
      isCall: true,
      input: op.input,
      output: undefined,
      match: null,
      prev: null,
      next: null,
    };
    const ret: Node = {
      id,
      isCall: false,
      input: undefined,
      output: op.output,
      match: call,
      prev: null,
      next: null,
    };
    call.match = ret;
    evs.push({ t: op.call, isCall: true, node: call });
    evs.push({ t: op.ret ?? Infinity, isCall: false, node: ret });
  });
  // Calls before returns at equal times (conservative: treats them as concurrent).
  evs.sort((a, b) => a.t - b.t || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: Node = {
    id: -1,
    isCall: false,
    input: undefined,
    output: undefined,
    match: null,
    prev: null,
    next: null,
  };
  let cur = head;
  for (const e of evs) {
    cur.next = e.node;
    e.node.prev = cur;
    cur = e.node;
  }
  return head;
}

function lift(n: Node): void {
  n.prev!.next = n.next;
  if (n.next) n.next.prev = n.prev;
  const m = n.match!;
  m.prev!.next = m.next;
  if (m.next) m.next.prev = m.prev;
}

function unlift(n: Node): void {
  const m = n.match!;
  m.prev!.next = m;
  if (m.next) m.next.prev = m;
  n.prev!.next = n;
  if (n.next) n.next.prev = n;
}

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  maxSteps: number,
): boolean | 'timeout' {
  const key = model.key ?? ((s: S) => JSON.stringify(s));
  const head = buildList(ops);
  const linearized = new Bitset(ops.length);
  const cache = new Set<string>();
  const calls: { node: Node; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > maxSteps) return 'timeout';
    if (entry === null) return false; // defensive; cannot happen with a well-formed list
    if (entry.isCall) {
      const out = entry.match!.output as O | undefined;
      const [ok, next] = model.step(state, entry.input as I, out);
      if (ok) {
        linearized.set(entry.id);
        const k = linearized.key() + '|' + key(next);
        if (!cache.has(k)) {
          cache.add(k);
          calls.push({ node: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.id);
      }
      entry = entry.next;
    } else {
      // A return whose call cannot be linearized yet: backtrack.
      const top = calls.pop();
      if (!top) return false;
      state = top.state;
      linearized.clear(top.node.id);
      unlift(top.node);
      entry = top.node.next;
    }
  }
  return true;
}

/**
 * Checks that `history` is linearizable with respect to `model`. The search is exponential in
 * the worst case (many overlapping operations on one partition), so it is bounded by
 * `options.maxSteps`.
 * @returns `{ ok: true }`, or `ok: false` with the first failing partition's operations
 *          (`timedOut: true` if the search gave up rather than finding a violation).
 * @throws Error if an operation returns before its call.
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult {
  const maxSteps = options.maxSteps ?? 5_000_000;
  for (const op of history) {
    if (op.ret !== undefined && op.ret < op.call)
      throw new Error(`operation returns (${op.ret}) before its call (${op.call})`);
  }
  const parts = model.partition ? model.partition(history) : [history];
  for (let i = 0; i < parts.length; i++) {
    const res = checkPartition(model, parts[i], maxSteps);
    if (res !== true) {
      const out: CheckResult = {
        ok: false,
        failedPartition: i,
        failedOps: parts[i] as Operation<unknown, unknown>[],
      };
      if (res === 'timeout') out.timedOut = true;
      return out;
    }
  }
  return { ok: true };
}

/** Input of a {@link kvModel} operation. */
export type KvInput = { op: 'put'; key: string; value: string } | { op: 'get'; key: string };
/** Output of a {@link kvModel} operation: the value read (undefined if absent), or nothing for put. */
export type KvOutput = { value?: string };

/**
 * A key-value register map: `put(k, v)` sets, `get(k)` returns the latest value or undefined.
 * Partitioned per key (operations on different keys commute).
 */
export const kvModel: Model<string | undefined, KvInput, KvOutput> = {
  partition(ops) {
    const by = new Map<string, Operation<KvInput, KvOutput>[]>();
    for (const op of ops) {
      const list = by.get(op.input.key) ?? [];
      list.push(op);
      by.set(op.input.key, list);
    }
    return [...by.values()];
  },
  init: () => undefined,
  step(state, input, output) {
    if (input.op === 'put') return [true, input.value];
    if (output === undefined) return [true, state];
    return [output.value === state, state];
  },
  key: (s) => (s === undefined ? '\u0000' : 'v' + s),
};
