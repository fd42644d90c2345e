import fc from 'fast-check';
import {
  decodeConfChange,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  encodeConfChange,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
} from './codec';
import { RaftUsageError } from './errors';
import { type Message, type MessageType, makeMessage } from './types';

const types: MessageType[] = [
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgSnap',
  'MsgHeartbeat',
  'MsgReadIndexResp',
  'MsgProp',
];
const bytes = fc.uint8Array({ maxLength: 20 });
const entryArb = fc.record({
  term: fc.nat(1000),
  index: fc.nat(100000),
  type: fc.constantFrom('Normal' as const, 'ConfChange' as const),
  data: bytes,
});
const confArb = fc.record({
  voters: fc.array(fc.string({ minLength: 1 })),
  learners: fc.array(fc.string({ minLength: 1 })),
});
const messageArb: fc.Arbitrary<Message> = fc
  .record({
    type: fc.constantFrom(...types),
    to: fc.string(),
    from: fc.string(),
    term: fc.nat(),
    logTerm: fc.nat(),
    index: fc.nat(),
    entries: fc.array(entryArb, { maxLength: 4 }),
    commit: fc.nat(),
    reject: fc.boolean(),
    rejectHint: fc.nat(),
    context: bytes,
    snap: fc.option(fc.record({ index: fc.nat(), term: fc.nat(), confState: confArb, data: bytes })),
  })
  .map(({ snap, ...m }) => {
    const msg = makeMessage(m);
    if (snap)
      msg.snapshot = {
        metadata: { index: snap.index, term: snap.term, confState: snap.confState },
        data: snap.data,
      };
    return msg;
  });

describe('codec', () => {
  test('property: decodeMessage(encodeMessage(m)) equals m', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
    );
  });

  test('defaults are omitted: an empty heartbeat response is a few bytes', () => {
    const b = encodeMessage(makeMessage({ type: 'MsgHeartbeatResp', to: 'a', from: 'b', term: 3 }));
    expect(new TextDecoder().decode(b)).toBe('{"y":"MsgHeartbeatResp","to":"a","fr":"b","t":3}');
  });

  test('entries, hard states, snapshots and conf changes round-trip', () => {
    const e = { term: 2, index: 9, type: 'ConfChange' as const, data: new Uint8Array([1, 2, 3]) };
    expect(decodeEntry(encodeEntry(e))).toEqual(e);
    expect(decodeHardState(encodeHardState({ term: 4, vote: 'x', commit: 7 }))).toEqual({
      term: 4,
      vote: 'x',
      commit: 7,
    });
    const s = {
      metadata: { index: 5, term: 2, confState: { voters: ['a'], learners: ['b'] } },
      data: new Uint8Array([9]),
    };
    expect(decodeSnapshot(encodeSnapshot(s))).toEqual(s);
    const cc = { type: 'AddLearner' as const, nodeId: 'n4', context: new Uint8Array([1]) };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
  });

  test('malformed input is rejected with RaftUsageError', () => {
    const enc = new TextEncoder();
    expect(() => decodeMessage(enc.encode('not json'))).toThrow(RaftUsageError);
    expect(() => decodeMessage(enc.encode('{"y":"MsgNope"}'))).toThrow(/unknown type/);
    expect(() => decodeMessage(enc.encode('{"y":"MsgApp","t":-1}'))).toThrow(/non-negative/);
    expect(() => decodeMessage(enc.encode('{"y":"MsgApp","e":{}}'))).toThrow(/array/);
    expect(() => decodeConfChange(enc.encode('{"y":"AddNode"}'))).toThrow(/empty nodeId/);
  });
});
