import fc from 'fast-check';
import {
  type KvInput,
  type KvOutput,
  type Model,
  type Operation,
  checkOperations,
  kvModel,
} from './linearizability';

type Op = Operation<KvInput, KvOutput>;
const put = (key: string, value: string, call: number, ret?: number): Op => ({
  input: { op: 'put', key, value },
  call,
  ret,
  output: {},
});
const get = (key: string, value: string | undefined, call: number, ret: number): Op => ({
  input: { op: 'get', key },
  call,
  ret,
  output: { value },
});

describe('checkOperations with the KV model', () => {
  test('a sequential history that follows the model is linearizable', () => {
    expect(
      checkOperations(kvModel, [
        put('k', 'a', 0, 1),
        get('k', 'a', 2, 3),
        put('k', 'b', 4, 5),
        get('k', 'b', 6, 7),
      ]).ok,
    ).toBe(true);
  });

  test('a read that misses a completed write is not linearizable (stale read)', () => {
    const r = checkOperations(kvModel, [put('k', 'a', 0, 1), get('k', undefined, 2, 3)]);
    expect(r.ok).toBe(false);
    expect(r.failedOps).toHaveLength(2);
  });

  test('a read concurrent with a write may see either value', () => {
    expect(checkOperations(kvModel, [put('k', 'a', 0, 10), get('k', 'a', 1, 2)]).ok).toBe(true);
    expect(checkOperations(kvModel, [put('k', 'a', 0, 10), get('k', undefined, 1, 2)]).ok).toBe(true);
  });

  test('two reads in sequence cannot see the new value and then the old one', () => {
    const h = [put('k', 'a', 0, 1), put('k', 'b', 2, 20), get('k', 'b', 3, 4), get('k', 'a', 5, 6)];
    expect(checkOperations(kvModel, h).ok).toBe(false);
  });

  test('a write that never returned may or may not have taken effect, but only once', () => {
    expect(checkOperations(kvModel, [put('k', 'a', 0), get('k', 'a', 1, 2)]).ok).toBe(true);
    expect(checkOperations(kvModel, [put('k', 'a', 0), get('k', undefined, 1, 2)]).ok).toBe(true);
    // ... but once seen it cannot be un-seen
    expect(
      checkOperations(kvModel, [put('k', 'a', 0), get('k', 'a', 1, 2), get('k', undefined, 3, 4)]).ok,
    ).toBe(false);
  });

  test('keys are checked independently (the failing partition is reported)', () => {
    const h = [put('x', '1', 0, 1), get('x', '1', 2, 3), put('y', '1', 0, 1), get('y', '0', 2, 3)];
    const r = checkOperations(kvModel, h);
    expect(r.ok).toBe(false);
    expect(r.failedOps!.every((o) => (o.input as KvInput).key === 'y')).toBe(true);
  });

  test('gives up (timedOut) instead of searching forever when the step budget runs out', () => {
    // Many overlapping writes and an impossible read: proving non-linearizability is expensive.
    const h: Op[] = [];
    for (let i = 0; i < 14; i++) h.push(put('k', `v${i}`, 0, 100));
    h.push(get('k', 'never', 101, 102));
    const r = checkOperations(kvModel, h, { maxSteps: 1000 });
    expect(r.ok).toBe(false);
    expect(r.timedOut).toBe(true);
  });

  test('rejects an operation returning before its call', () => {
    expect(() => checkOperations(kvModel, [put('k', 'a', 5, 1)])).toThrow(/before its call/);
  });

  test('works with any model: a counter whose increments return the new value', () => {
    const counter: Model<number, 'inc', number> = {
      init: () => 0,
      step: (s, _i, out) => [out === undefined || out === s + 1, s + 1],
    };
    const ok = [
      { input: 'inc' as const, call: 0, ret: 5, output: 2 },
      { input: 'inc' as const, call: 1, ret: 3, output: 1 },
    ];
    expect(checkOperations(counter, ok).ok).toBe(true);
    const bad = [
      { input: 'inc' as const, call: 0, ret: 1, output: 2 },
      { input: 'inc' as const, call: 2, ret: 3, output: 1 },
    ];
    expect(checkOperations(counter, bad).ok).toBe(false);
  });

  // Property: histories produced by linearizing at known instants are accepted; corrupting one
  // read to return a value never written is rejected.
  const historyArb = fc.array(
    fc.record({
      isPut: fc.boolean(),
      key: fc.constantFrom('a', 'b'),
      before: fc.nat(5),
      after: fc.nat(5),
      open: fc.boolean(),
    }),
    { minLength: 1, maxLength: 40 },
  );

  function build(
    spec: { isPut: boolean; key: string; before: number; after: number; open: boolean }[],
  ): Op[] {
    const state = new Map<string, string>();
    return spec.map((s, i) => {
      const at = i * 4 + 10; // the linearization point
      const call = at - s.before;
      const ret = at + s.after + 1;
      if (s.isPut) {
        state.set(s.key, `v${i}`);
        return put(s.key, `v${i}`, call, s.open ? undefined : ret);
      }
      return get(s.key, state.get(s.key), call, ret);
    });
  }

  test('property: every history linearized at known points is accepted', () => {
    fc.assert(
      fc.property(historyArb, (spec) => checkOperations(kvModel, build(spec)).ok),
      { numRuns: 300 },
    );
  });

  test('property: a read of a value never written is rejected', () => {
    fc.assert(
      fc.property(historyArb, fc.nat(), (spec, pick) => {
        const h = build(spec);
        const reads = h.filter((o) => o.input.op === 'get');
        fc.pre(reads.length > 0);
        reads[pick % reads.length].output = { value: 'never-written' };
        return !checkOperations(kvModel, h).ok;
      }),
      { numRuns: 300 },
    );
  });

  test('a history with 600 operations on 3 keys and overlapping clients is checked quickly', () => {
    const h: Op[] = [];
    const state = new Map<string, string>();
    for (let i = 0; i < 600; i++) {
      const key = ['a', 'b', 'c'][i % 3];
      const at = i * 3 + 10;
      if (i % 2 === 0) {
        state.set(key, `v${i}`);
        h.push(put(key, `v${i}`, at - 8, at + 8));
      } else h.push(get(key, state.get(key), at - 8, at + 8));
    }
    expect(checkOperations(kvModel, h).ok).toBe(true);
  });
});
