/**
 * Property: whatever writes, broken streams, injected 410s and compactions happen, once the
 * dust settles the informer's cache equals the server's objects, and the handlers' view (adds,
 * updates, deletes applied in order) equals it too.
 */
import fc from 'fast-check';
import type { KubeObject } from '@keelson/api';
import { FakeClock } from '../clock';
import { newGone } from '../errors';
import { FakeClientset } from '../fake/fake-clientset';
import { metaNamespaceKey } from '../resolve';
import { SharedInformer, objectFromDelete } from './shared-informer';

async function settle(n = 6): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

type Op =
  | { t: 'create'; name: string }
  | { t: 'update'; name: string; v: number }
  | { t: 'delete'; name: string }
  | { t: 'break' }
  | { t: 'gone' }
  | { t: 'compact' }
  | { t: 'tick'; ms: number };

const name = fc.constantFrom('a', 'b', 'c', 'd');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('create' as const), name }),
  fc.record({ t: fc.constant('update' as const), name, v: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ t: fc.constant('delete' as const), name }),
  fc.constant({ t: 'break' as const }),
  fc.constant({ t: 'gone' as const }),
  fc.constant({ t: 'compact' as const }),
  fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
);

describe('informer convergence (property)', () => {
  it('cache and handler view converge to the server state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const clock = new FakeClock(0);
        const cs = new FakeClientset({ now: () => clock.now() });
        let injectGone = false;
        cs.prependReactor('watch', 'configmaps', () =>
          injectGone ? ((injectGone = false), { error: newGone('injected') }) : undefined,
        );
        const inf = new SharedInformer(cs.resource('configmaps'), { clock, onError: () => {} });
        const view = new Map<string, string | undefined>();
        inf.addEventHandler({
          onAdd: (o) => view.set(metaNamespaceKey(o), o.metadata.resourceVersion),
          onUpdate: (_o, n) => view.set(metaNamespaceKey(n), n.metadata.resourceVersion),
          onDelete: (o) => view.delete(metaNamespaceKey(objectFromDelete(o))),
        });
        inf.run();
        const cms = cs.resource('configmaps');
        for (const o of ops) {
          try {
            if (o.t === 'create') await cms.create({ metadata: { name: o.name, namespace: 'ns' } });
            else if (o.t === 'update') await cms.patch('ns', o.name, 'merge', { data: { v: String(o.v) } });
            else if (o.t === 'delete') await cms.delete('ns', o.name);
            else if (o.t === 'break') cs.breakWatches('configmaps');
            else if (o.t === 'gone') {
              injectGone = true;
              cs.breakWatches('configmaps');
            } else if (o.t === 'compact') cs.compact();
            else clock.step(o.ms);
          } catch {
            // 404 / 409 from random ops are fine
          }
          await settle(2);
        }
        // let every backoff expire and the stream catch up
        for (let i = 0; i < 10; i++) {
          clock.step(30_000);
          await settle();
        }
        const server = new Map(
          cs.objects<KubeObject>('configmaps').map((o) => [metaNamespaceKey(o), o.metadata.resourceVersion]),
        );
        const cache = new Map(
          inf
            .getIndexer()
            .list()
            .map((o) => [metaNamespaceKey(o), o.metadata.resourceVersion]),
        );
        inf.stop();
        expect(inf.hasSynced()).toBe(true);
        expect(cache).toEqual(server);
        expect(view).toEqual(server);
      }),
      { numRuns: 60 },
    );
  });
});
