// Model-based test: random operation sequences against MvccStore and against a naive model that
// keeps a full snapshot of every revision (etcd semantics written the obvious, slow way).
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvccStore } from './mvcc-store';
import { CompactedError } from './errors';
import type { KeyValue } from './types';

type Snapshot = Map<string, KeyValue>;

class Model {
  snaps: Snapshot[] = [new Map(), new Map()]; // index = revision; revision 1 = empty
  compactRev = 0;
  get rev(): number {
    return this.snaps.length - 1;
  }
  private commit(next: Snapshot, changed: boolean): number {
    if (changed) this.snaps.push(next);
    return this.rev;
  }
  put(key: string, value: Uint8Array): number {
    const next = new Map(this.snaps[this.rev]);
    const prev = next.get(key);
    const rev = this.rev + 1;
    next.set(key, {
      key,
      value,
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
    });
    return this.commit(next, true);
  }
  del(prefix: string): number {
    const next = new Map(this.snaps[this.rev]);
    let changed = false;
    for (const k of [...next.keys()]) {
      if (k.startsWith(prefix)) {
        next.delete(k);
        changed = true;
      }
    }
    return this.commit(next, changed);
  }
  range(prefix: string, rev: number): KeyValue[] {
    return [...this.snaps[rev].values()]
      .filter((kv) => kv.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }
}

const keyArb = fc.constantFrom('a', 'a/1', 'a/2', 'b', 'b/x', 'c');
const opArb = fc.oneof(
  fc.record({ t: fc.constant('put' as const), key: keyArb, v: fc.nat(99) }),
  fc.record({ t: fc.constant('del' as const), key: fc.constantFrom('a', 'a/', 'b', 'c', 'z') }),
  fc.record({ t: fc.constant('cas' as const), key: keyArb, v: fc.nat(99), stale: fc.boolean() }),
  fc.record({ t: fc.constant('compact' as const), back: fc.nat(5) }),
  fc.record({ t: fc.constant('reopen' as const) }),
);

describe('MvccStore against a snapshot model', () => {
  it('agrees on every write result and on ranges at every retained revision', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const dir = mkdtempSync(join(tmpdir(), 'keelson-model-'));
        let store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
        const m = new Model();
        try {
          for (const op of ops) {
            if (op.t === 'put') {
              expect((await store.put(op.key, Uint8Array.of(op.v))).revision).toBe(
                m.put(op.key, Uint8Array.of(op.v)),
              );
            } else if (op.t === 'del') {
              expect((await store.delete(op.key, { prefix: true })).revision).toBe(m.del(op.key));
            } else if (op.t === 'cas') {
              const cur = m.snaps[m.rev].get(op.key)?.modRevision ?? 0;
              const expectRev = op.stale ? cur + 1 : cur;
              const r = await store.txn(
                [{ key: op.key, target: 'modRevision', result: '=', value: expectRev }],
                [{ type: 'put', key: op.key, value: Uint8Array.of(op.v) }],
                [],
              );
              expect(r.succeeded).toBe(!op.stale);
              if (!op.stale) m.put(op.key, Uint8Array.of(op.v));
              expect(r.revision).toBe(m.rev);
            } else if (op.t === 'compact') {
              const target = Math.max(1, m.rev - op.back);
              if (target > m.compactRev) {
                await store.compact(target);
                m.compactRev = target;
              } else {
                await expect(store.compact(target)).rejects.toBeInstanceOf(CompactedError);
              }
            } else {
              await store.close();
              store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
            }
          }
          expect(await store.currentRevision()).toBe(m.rev);
          for (let rev = Math.max(1, m.compactRev); rev <= m.rev; rev++) {
            for (const prefix of ['', 'a', 'b/']) {
              const got = await store.range(prefix, { prefix: true, revision: rev });
              expect(got.kvs).toEqual(m.range(prefix, rev));
            }
          }
          if (m.compactRev > 1) {
            await expect(store.range('a', { revision: m.compactRev - 1 })).rejects.toBeInstanceOf(
              CompactedError,
            );
          }
        } finally {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});
