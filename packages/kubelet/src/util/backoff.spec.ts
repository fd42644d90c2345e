import { Backoff, goDuration } from './backoff';
import { FakeClock } from './clock';

describe('Backoff', () => {
  it('doubles from the initial delay up to the max, per key', () => {
    const clock = new FakeClock(0);
    const b = new Backoff(clock, 10_000, 60_000);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      b.next('k', clock.now());
      seen.push(b.get('k'));
    }
    expect(seen).toEqual([10_000, 20_000, 40_000, 60_000, 60_000]);
    expect(b.get('other')).toBe(0);
  });

  it('is in back-off until the delay passed since the event', () => {
    const clock = new FakeClock(0);
    const b = new Backoff(clock, 10_000, 60_000);
    b.next('k', 0);
    expect(b.isInBackOffSince('k', 0)).toBe(true);
    clock.advance(9_999);
    expect(b.isInBackOffSince('k', 0)).toBe(true);
    clock.advance(1);
    expect(b.isInBackOffSince('k', 0)).toBe(false);
  });

  it('forgets an entry idle for more than twice the max', () => {
    const clock = new FakeClock(0);
    const b = new Backoff(clock, 10_000, 60_000);
    b.next('k', 0);
    b.next('k', 0);
    clock.advance(120_001);
    b.next('k', clock.now());
    expect(b.get('k')).toBe(10_000);
  });

  it('resets by key and by prefix', () => {
    const b = new Backoff(new FakeClock(0));
    b.next('uid/a', 0);
    b.next('uid/b', 0);
    b.next('other/a', 0);
    b.reset('uid/a');
    expect(b.get('uid/a')).toBe(0);
    b.resetPrefix('uid/');
    expect(b.get('uid/b')).toBe(0);
    expect(b.get('other/a')).toBe(10_000);
  });

  it('formats durations like Go', () => {
    expect([10_000, 20_000, 40_000, 80_000, 160_000, 300_000].map(goDuration)).toEqual([
      '10s',
      '20s',
      '40s',
      '1m20s',
      '2m40s',
      '5m0s',
    ]);
  });
});
