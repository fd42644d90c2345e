import { Scheduler, makeNode, makePod } from './index';

describe('the README embedding example (a capacity planner)', () => {
  it('fits 24 pods of 500m/1Gi on three 4-CPU nodes, then explains why not more', () => {
    const s = new Scheduler();
    for (const name of ['n1', 'n2', 'n3'])
      s.addNode(makeNode(name).capacity({ cpu: '4', memory: '16Gi', pods: '110' }).obj());
    let placed = 0;
    let message = '';
    for (;;) {
      const pod = makePod(`p${placed}`).req({ cpu: '500m', memory: '1Gi' }).obj();
      const r = s.schedule(pod);
      if (!r.nodeName) {
        message = r.error!.message;
        break;
      }
      s.assume(pod, r.nodeName);
      placed++;
    }
    expect(placed).toBe(24);
    expect(message).toMatch(/^0\/3 nodes are available: 3 Insufficient cpu\./);
  });
});
