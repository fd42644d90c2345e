import { SchedulingQueue } from './scheduling-queue';
import { makePod } from '../testing/wrappers';

function clock() {
  let t = 1000;
  return { now: () => t, step: (ms: number) => (t += ms) };
}

describe('SchedulingQueue', () => {
  it('pops by priority, then by age', async () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(makePod('old-low').priority(1).obj());
    c.step(1);
    q.add(makePod('new-high').priority(10).obj());
    c.step(1);
    q.add(makePod('newer-low').priority(1).obj());
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await q.pop())!.pod.metadata.name);
    expect(order).toEqual(['new-high', 'old-low', 'newer-low']);
  });

  it('backs off 1 s doubling to 10 s', () => {
    const q = new SchedulingQueue();
    expect([1, 2, 3, 4, 5, 6].map((a) => q.backoffFor(a))).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('parks unschedulable pods until a cluster event, then respects their backoff', () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(makePod('p').obj());
    const info = q.tryPop()!;
    q.addUnschedulable(info);
    expect(q.lengths()).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    c.step(5000);
    expect(q.tryPop()).toBeUndefined();
    q.moveAllToActiveOrBackoff();
    expect(q.tryPop()!.pod.metadata.name).toBe('p');
  });

  it('sends a pod whose cluster changed while in flight to backoff, not to the unschedulable pods', () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(makePod('p').obj());
    const info = q.tryPop()!;
    q.moveAllToActiveOrBackoff();
    q.addUnschedulable(info);
    expect(q.lengths().backoff).toBe(1);
    expect(q.tryPop()).toBeUndefined();
    c.step(1000);
    expect(q.tryPop()!.attempts).toBe(2);
  });

  it('flushes long-parked unschedulable pods after 5 minutes', () => {
    const c = clock();
    const q = new SchedulingQueue({ now: c.now });
    q.add(makePod('p').obj());
    q.addUnschedulable(q.tryPop()!);
    c.step(299_000);
    expect(q.tryPop()).toBeUndefined();
    c.step(1_000);
    expect(q.tryPop()).toBeDefined();
  });

  it('forgets deleted pods and wakes waiters on close', async () => {
    const q = new SchedulingQueue();
    const p = makePod('p').obj();
    q.add(p);
    q.delete(p);
    const waiting = q.pop();
    q.close();
    expect(await waiting).toBeUndefined();
  });
});
