import { harness } from '../testing';
import { QueueController, type SyncResult } from './controller';

class Flaky extends QueueController {
  readonly name = 'flaky';
  calls: string[] = [];
  toFail = 2;
  async sync(key: string): Promise<SyncResult> {
    this.calls.push(key);
    if (this.toFail-- > 0) throw new Error('boom');
    return key === 'again' ? { requeueAfterMs: 1000 } : undefined;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('QueueController', () => {
  it('retries failures with backoff and honours requeueAfterMs', async () => {
    const h = harness();
    const c = new Flaky(h.ctx);
    c.run(2);
    c.queue.add('k');
    await tick();
    expect(c.calls).toEqual(['k']);
    h.clock.step(5); // first backoff 5 ms
    await tick();
    expect(c.calls).toEqual(['k', 'k']);
    h.clock.step(9);
    await tick();
    expect(c.calls).toEqual(['k', 'k']);
    h.clock.step(1); // second backoff 10 ms
    await tick();
    expect(c.calls).toEqual(['k', 'k', 'k']);
    c.queue.add('again');
    await tick();
    h.clock.step(1000);
    await tick();
    expect(c.calls.filter((k) => k === 'again')).toHaveLength(2);
    await c.stop();
  });
});

describe('QueueController retries', () => {
  it('never drops a failing key: it is retried past upstream maxRetries (15) with capped backoff', async () => {
    const h = harness();
    const c = new Flaky(h.ctx);
    c.toFail = 40;
    c.run(1);
    c.queue.add('k');
    await tick();
    for (let i = 0; i < 40; i++) {
      h.clock.step(1_000_000); // the backoff cap (1000 s) covers every retry delay
      await tick();
    }
    expect(c.calls.length).toBe(41);
    expect(c.queue.numRequeues('k')).toBe(0); // forgotten after the final success
    await c.stop();
  });
});
