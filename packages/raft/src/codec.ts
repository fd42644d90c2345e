import { RaftUsageError } from './errors';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type MessageType,
  type Snapshot,
  EMPTY_BYTES,
  makeMessage,
} from './types';

/**
 * A compact JSON codec for the plain Raft types, so a transport (gRPC `bytes` field, a file,
 * LevelDB value) can carry them. Byte arrays travel as base64 strings; fields holding their
 * default value are omitted. Decoding validates shapes and throws {@link RaftUsageError} on
 * malformed input.
 */

const MESSAGE_TYPES: ReadonlySet<string> = new Set<MessageType>([
  'MsgHup',
  'MsgBeat',
  'MsgCheckQuorum',
  'MsgProp',
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgSnap',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgUnreachable',
  'MsgSnapStatus',
  'MsgTransferLeader',
  'MsgTimeoutNow',
  'MsgReadIndex',
  'MsgReadIndexResp',
]);

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

function b64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function unb64(s: unknown, what: string): Uint8Array {
  if (s === undefined) return EMPTY_BYTES;
  if (typeof s !== 'string') throw new RaftUsageError(`${what}: expected base64 string`);
  return new Uint8Array(Buffer.from(s, 'base64'));
}

function num(v: unknown, what: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new RaftUsageError(`${what}: expected a non-negative integer`);
  }
  return v;
}

function str(v: unknown, what: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new RaftUsageError(`${what}: expected a string`);
  return v;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new RaftUsageError(`${what}: expected an object`);
  return v as Record<string, unknown>;
}

function strList(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new RaftUsageError(`${what}: expected string[]`);
  return v as string[];
}

function entryToJson(e: Entry): Record<string, unknown> {
  const o: Record<string, unknown> = { t: e.term, i: e.index };
  if (e.type !== 'Normal') o.y = e.type;
  if (e.data.length) o.d = b64(e.data);
  return o;
}

function entryFromJson(v: unknown): Entry {
  const o = obj(v, 'entry');
  const type = o.y === undefined ? 'Normal' : o.y;
  if (type !== 'Normal' && type !== 'ConfChange') throw new RaftUsageError(`entry: bad type ${String(type)}`);
  return {
    term: num(o.t, 'entry.term'),
    index: num(o.i, 'entry.index'),
    type,
    data: unb64(o.d, 'entry.data'),
  };
}

function confStateToJson(cs: ConfState): Record<string, unknown> {
  const o: Record<string, unknown> = { v: cs.voters };
  if (cs.learners.length) o.l = cs.learners;
  return o;
}

function confStateFromJson(v: unknown): ConfState {
  const o = obj(v, 'confState');
  return { voters: strList(o.v, 'confState.voters'), learners: strList(o.l, 'confState.learners') };
}

function snapshotToJson(s: Snapshot): Record<string, unknown> {
  const o: Record<string, unknown> = {
    i: s.metadata.index,
    t: s.metadata.term,
    c: confStateToJson(s.metadata.confState),
  };
  if (s.data.length) o.d = b64(s.data);
  return o;
}

function snapshotFromJson(v: unknown): Snapshot {
  const o = obj(v, 'snapshot');
  return {
    metadata: {
      index: num(o.i, 'snapshot.index'),
      term: num(o.t, 'snapshot.term'),
      confState: confStateFromJson(o.c ?? {}),
    },
    data: unb64(o.d, 'snapshot.data'),
  };
}

function parse(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(utf8d.decode(bytes));
  } catch (e) {
    throw new RaftUsageError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}

/** Encodes a message to bytes (UTF-8 JSON). Inverse of {@link decodeMessage}. */
export function encodeMessage(m: Message): Uint8Array {
  const o: Record<string, unknown> = { y: m.type };
  if (m.to) o.to = m.to;
  if (m.from) o.fr = m.from;
  if (m.term) o.t = m.term;
  if (m.logTerm) o.lt = m.logTerm;
  if (m.index) o.i = m.index;
  if (m.entries.length) o.e = m.entries.map(entryToJson);
  if (m.commit) o.c = m.commit;
  if (m.snapshot) o.s = snapshotToJson(m.snapshot);
  if (m.reject) o.r = true;
  if (m.rejectHint) o.rh = m.rejectHint;
  if (m.context.length) o.x = b64(m.context);
  return utf8.encode(JSON.stringify(o));
}

/** Decodes bytes made by {@link encodeMessage}. @throws RaftUsageError on malformed input. */
export function decodeMessage(bytes: Uint8Array): Message {
  const o = obj(parse(bytes, 'message'), 'message');
  if (typeof o.y !== 'string' || !MESSAGE_TYPES.has(o.y))
    throw new RaftUsageError(`message: unknown type ${String(o.y)}`);
  if (o.e !== undefined && !Array.isArray(o.e))
    throw new RaftUsageError('message.entries: expected an array');
  if (o.r !== undefined && typeof o.r !== 'boolean')
    throw new RaftUsageError('message.reject: expected a boolean');
  const m = makeMessage({
    type: o.y as MessageType,
    to: str(o.to, 'message.to'),
    from: str(o.fr, 'message.from'),
    term: num(o.t, 'message.term'),
    logTerm: num(o.lt, 'message.logTerm'),
    index: num(o.i, 'message.index'),
    entries: ((o.e as unknown[] | undefined) ?? []).map(entryFromJson),
    commit: num(o.c, 'message.commit'),
    reject: o.r === true,
    rejectHint: num(o.rh, 'message.rejectHint'),
    context: unb64(o.x, 'message.context'),
  });
  if (o.s !== undefined) m.snapshot = snapshotFromJson(o.s);
  return m;
}

/** Encodes a log entry (for persisting it). */
export function encodeEntry(e: Entry): Uint8Array {
  return utf8.encode(JSON.stringify(entryToJson(e)));
}

/** Decodes an entry made by {@link encodeEntry}. @throws RaftUsageError */
export function decodeEntry(bytes: Uint8Array): Entry {
  return entryFromJson(parse(bytes, 'entry'));
}

/** Encodes a hard state (for persisting it). */
export function encodeHardState(hs: HardState): Uint8Array {
  return utf8.encode(JSON.stringify({ t: hs.term, v: hs.vote, c: hs.commit }));
}

/** Decodes a hard state made by {@link encodeHardState}. @throws RaftUsageError */
export function decodeHardState(bytes: Uint8Array): HardState {
  const o = obj(parse(bytes, 'hardState'), 'hardState');
  return {
    term: num(o.t, 'hardState.term'),
    vote: str(o.v, 'hardState.vote'),
    commit: num(o.c, 'hardState.commit'),
  };
}

/** Encodes a snapshot (metadata and data). */
export function encodeSnapshot(s: Snapshot): Uint8Array {
  return utf8.encode(JSON.stringify(snapshotToJson(s)));
}

/** Decodes a snapshot made by {@link encodeSnapshot}. @throws RaftUsageError */
export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  return snapshotFromJson(parse(bytes, 'snapshot'));
}

/** Encodes a configuration (ConfState). */
export function encodeConfState(cs: ConfState): Uint8Array {
  return utf8.encode(JSON.stringify(confStateToJson(cs)));
}

/** Decodes a configuration made by {@link encodeConfState}. @throws RaftUsageError */
export function decodeConfState(bytes: Uint8Array): ConfState {
  return confStateFromJson(parse(bytes, 'confState'));
}

/** Encodes a membership change into the data of a `ConfChange` entry. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const o: Record<string, unknown> = { y: cc.type, n: cc.nodeId };
  if (cc.context?.length) o.x = b64(cc.context);
  return utf8.encode(JSON.stringify(o));
}

/** Decodes the data of a `ConfChange` entry. @throws RaftUsageError */
export function decodeConfChange(bytes: Uint8Array): ConfChange {
  const o = obj(parse(bytes, 'confChange'), 'confChange');
  if (o.y !== 'AddNode' && o.y !== 'AddLearner' && o.y !== 'RemoveNode') {
    throw new RaftUsageError(`confChange: bad type ${String(o.y)}`);
  }
  const nodeId = str(o.n, 'confChange.nodeId');
  if (!nodeId) throw new RaftUsageError('confChange: empty nodeId');
  const cc: ConfChange = { type: o.y, nodeId };
  if (o.x !== undefined) cc.context = unb64(o.x, 'confChange.context');
  return cc;
}
