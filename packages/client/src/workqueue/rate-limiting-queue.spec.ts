import { FakeClock } from '../clock';
import { RateLimitingQueue } from './rate-limiting-queue';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter';

describe('RateLimitingQueue', () => {
  it('de-duplicates queued keys and keeps FIFO order', async () => {
    const q = new RateLimitingQueue<string>();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('a key re-added while processing is processed again after done()', async () => {
    const q = new RateLimitingQueue<string>();
    q.add('a');
    const k = await q.get();
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0); // not handed to a second worker
    q.done(k!);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('get waits for an add; shutDown resolves waiters with undefined', async () => {
    const q = new RateLimitingQueue<string>();
    const p = q.get();
    q.add('x');
    expect(await p).toBe('x');
    const w = q.get();
    q.shutDown();
    expect(await w).toBeUndefined();
    q.add('y');
    expect(await q.get()).toBeUndefined();
    expect(q.shuttingDown()).toBe(true);
  });

  it('addAfter waits on the clock; the earlier time wins', () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 500);
    expect(q.len()).toBe(0);
    expect(q.waitingLen()).toBe(1);
    clock.step(49);
    expect(q.len()).toBe(0);
    clock.step(1);
    expect(q.len()).toBe(1);
    clock.step(1000);
    expect(q.len()).toBe(1);
  });

  it('addRateLimited backs off 5ms·2^n per item; forget resets', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({ clock });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = clock.now();
      q.addRateLimited('k');
      for (let n = 0; n < 1000 && q.len() === 0; n++) clock.step(1);
      delays.push(clock.now() - t0);
      q.done((await q.get())!);
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(q.numRequeues('k')).toBe(4);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
    q.addRateLimited('k');
    clock.step(4);
    expect(q.len()).toBe(0);
    clock.step(1);
    expect(q.len()).toBe(1);
  });

  it('shutDown drops delayed adds', () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({ clock });
    q.addAfter('a', 10);
    q.shutDown();
    expect(clock.pendingTimers()).toBe(0);
    clock.step(100);
    expect(q.len()).toBe(0);
  });
});

describe('rate limiters', () => {
  it('item exponential caps at max', () => {
    const l = new ItemExponentialFailureRateLimiter<string>(5, 1_000_000);
    const d = Array.from({ length: 30 }, () => l.when('x'));
    expect(d.slice(0, 3)).toEqual([5, 10, 20]);
    expect(d.at(-1)).toBe(1_000_000);
    expect(l.when('y')).toBe(5);
  });

  it('bucket allows the burst, then paces at qps', () => {
    const clock = new FakeClock();
    const b = new BucketRateLimiter<string>(10, 2, clock);
    expect([b.when('a'), b.when('b'), b.when('c'), b.when('d')]).toEqual([0, 0, 100, 200]);
    clock.step(1000);
    expect(b.when('e')).toBe(0);
  });

  it('default controller limiter is the max of both', () => {
    const clock = new FakeClock();
    const l = defaultControllerRateLimiter<string>(clock);
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(10);
    expect(l.numRequeues('a')).toBe(2);
  });
});

describe('FakeClock', () => {
  it('runs due timers in order, including ones set by timers', () => {
    const c = new FakeClock(1000);
    const seen: string[] = [];
    c.setTimeout(() => seen.push(`b@${c.now()}`), 20);
    c.setTimeout(() => {
      seen.push(`a@${c.now()}`);
      c.setTimeout(() => seen.push(`c@${c.now()}`), 5);
    }, 10);
    const h = c.setTimeout(() => seen.push('never'), 15);
    c.clearTimeout(h);
    c.step(30);
    expect(seen).toEqual(['a@1010', 'c@1015', 'b@1020']);
    expect(c.now()).toBe(1030);
  });
});

describe('RateLimitingQueue drain', () => {
  it('shutDownWithDrain waits for keys in flight', async () => {
    const q = new RateLimitingQueue<string>();
    q.add('a');
    const k = await q.get();
    let drained = false;
    const p = q.shutDownWithDrain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    expect(q.processingLen()).toBe(1);
    q.done(k!);
    await p;
    expect(drained).toBe(true);
  });
});

describe('RateLimitingQueue (property)', () => {
  it('never hands a key to two workers at once and processes every key added after its last get', async () => {
    const fc = (await import('fast-check')).default;
    type QOp = { t: 'add'; k: string } | { t: 'get' } | { t: 'done' };
    const qop = fc.oneof(
      fc.record({ t: fc.constant('add' as const), k: fc.constantFrom('a', 'b', 'c') }),
      fc.constant({ t: 'get' as const }),
      fc.constant({ t: 'done' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(qop, { maxLength: 40 }), async (ops: QOp[]) => {
        const q = new RateLimitingQueue<string>();
        const inFlight: string[] = [];
        const owed = new Set<string>(); // added and not yet handed out since
        for (const o of ops) {
          if (o.t === 'add') {
            q.add(o.k);
            owed.add(o.k);
          } else if (o.t === 'get' && q.len() > 0) {
            const k = (await q.get())!;
            expect(inFlight).not.toContain(k);
            inFlight.push(k);
            owed.delete(k);
          } else if (o.t === 'done' && inFlight.length > 0) {
            q.done(inFlight.shift()!);
          }
        }
        for (const k of inFlight.splice(0)) q.done(k);
        while (q.len() > 0) {
          const k = (await q.get())!;
          owed.delete(k);
          q.done(k);
        }
        expect([...owed]).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
