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
    h.clock.advance(5); // first backoff 5 ms
    await tick();
    expect(c.calls).toEqual(['k', 'k']);
    h.clock.advance(9);
    await tick();
    expect(c.calls).toEqual(['k', 'k']);
    h.clock.advance(1); // second backoff 10 ms
    await tick();
    expect(c.calls).toEqual(['k', 'k', 'k']);
    c.queue.add('again');
    await tick();
    h.clock.advance(1000);
    await tick();
    expect(c.calls.filter((k) => k === 'again')).toHaveLength(2);
    await c.stop();
  });
});
