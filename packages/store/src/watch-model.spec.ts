// Property: under concurrent writes, every watch — live from the start, or started later from any
// past or future revision (so it first catches up from disk) — receives exactly the changes in
// its key span from its start revision on, in revision order, none missed, none repeated.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvccStore } from './mvcc-store';
import { Collector } from './testing/collector';

interface Change {
  revision: number;
  key: string;
  type: 'put' | 'delete';
}

const keys = ['a/1', 'a/2', 'b/1', 'b/2', 'c'];
const writeArb = fc.record({
  key: fc.constantFrom(...keys),
  del: fc.boolean(),
  prefixDelete: fc.boolean(),
});
const watcherArb = fc.record({
  afterWrite: fc.nat(79),
  prefix: fc.constantFrom('', 'a/', 'b/', 'c'),
  back: fc.integer({ min: -2, max: 30 }), // start this many revisions before "now" (negative: future)
});

describe('watch against the write log', () => {
  it('delivers exactly the matching changes from each start revision', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(writeArb, { minLength: 20, maxLength: 80 }),
        fc.array(watcherArb, { minLength: 1, maxLength: 6 }),
        async (writes, watchers) => {
          const dir = mkdtempSync(join(tmpdir(), 'keelson-watch-model-'));
          const store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
          const log: Change[] = [];
          const started: Array<{ c: Collector; start: number; prefix: string }> = [];
          try {
            const pending: Array<Promise<void>> = [];
            for (let i = 0; i < writes.length; i++) {
              const w = writes[i];
              const enc = new TextEncoder().encode(String(i));
              pending.push(
                w.del
                  ? store
                      .delete(w.prefixDelete ? w.key.slice(0, 2) : w.key, {
                        prefix: w.prefixDelete,
                        prevKv: true,
                      })
                      .then((r) => {
                        for (const kv of r.prevKvs)
                          log.push({ revision: r.revision, key: kv.key, type: 'delete' });
                      })
                  : store
                      .put(w.key, enc)
                      .then((r) => void log.push({ revision: r.revision, key: w.key, type: 'put' })),
              );
              for (const spec of watchers.filter((x) => x.afterWrite === i)) {
                // Let some writes land so that "now" moves and history exists to catch up on.
                if (i % 3 === 0) await pending[pending.length - 1];
                const now = await store.currentRevision();
                const start = Math.max(1, now - spec.back);
                const c = new Collector();
                store.watch(spec.prefix, { prefix: true, startRevision: start }, c);
                started.push({ c, start, prefix: spec.prefix });
              }
            }
            await Promise.all(pending);
            log.sort((x, y) => x.revision - y.revision || (x.key < y.key ? -1 : 1));
            for (const { c, start, prefix } of started) {
              const expected = log
                .filter((e) => e.revision >= start && e.key.startsWith(prefix))
                .map((e) => `${e.type}:${e.key}@${e.revision}`);
              await c.until(() => c.events.length >= expected.length || c.error !== undefined);
              expect(c.error).toBeUndefined();
              expect(c.events.map((e) => `${e.type}:${e.kv.key}@${e.kv.modRevision}`)).toEqual(expected);
            }
          } finally {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
