import fc from 'fast-check';
import { Scheduler } from '../scheduler';
import { FitError } from '../framework/schedule-one';
import { makeNode, makePod } from '../testing/wrappers';
import { parseConfiguration } from '../framework/config';
import { NodeInfo } from '../framework/node-info';
import { CycleState } from '../framework/interface';
import { Code } from '../framework/status';
import { DefaultBinder } from './basic';

function sched(
  nodes: ReturnType<typeof makeNode>[],
  placed: ReturnType<typeof makePod>[] = [],
  config?: string,
) {
  const s = new Scheduler({ random: () => 0, config: config ? parseConfiguration(config) : undefined });
  for (const n of nodes) s.addNode(n.obj());
  for (const p of placed) s.addPod(p.obj());
  return s;
}
const nodeOf = (s: Scheduler, pod: ReturnType<typeof makePod>) => {
  const r = s.schedule(pod.obj());
  if (r.error) throw r.error;
  return r.nodeName;
};
const errorOf = (s: Scheduler, pod: ReturnType<typeof makePod>) => {
  const r = s.schedule(pod.obj());
  if (!r.error) throw new Error(`expected no fit, got ${r.nodeName}`);
  return r.error as FitError;
};

describe('NodeResourcesFit', () => {
  it('rejects nodes without room, with the upstream aggregate message', () => {
    const s = sched([
      makeNode('n1').capacity({ cpu: '1', memory: '1Gi', pods: '110' }),
      makeNode('n2').capacity({ cpu: '4', memory: '1Gi', pods: '110' }),
    ]);
    const err = errorOf(s, makePod('p').req({ cpu: '2', memory: '2Gi' }));
    expect(err).toBeInstanceOf(FitError);
    expect(err.message).toBe(
      '0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
  });

  it('counts init containers as the max with the sum of app containers', () => {
    // docs: effective request = max(max(init), sum(app)) → 2 cpu here
    const s = sched([makeNode('n1').capacity({ cpu: '1500m', memory: '8Gi', pods: '110' })]);
    expect(errorOf(s, makePod('p').req({ cpu: '500m' }).initReq({ cpu: '2' })).message).toContain(
      'Insufficient cpu',
    );
    expect(nodeOf(s, makePod('q').req({ cpu: '500m' }).initReq({ cpu: '1' }))).toBe('n1');
  });

  it('rejects with "Too many pods" when the pod count is reached', () => {
    const s = sched(
      [makeNode('n1').capacity({ cpu: '4', memory: '8Gi', pods: '1' })],
      [makePod('a').node('n1')],
    );
    expect(errorOf(s, makePod('p')).message).toContain('1 Too many pods');
  });

  it('scores LeastAllocated by default and MostAllocated when configured', () => {
    const nodes = [
      makeNode('busy').capacity({ cpu: '4', memory: '8Gi', pods: '110' }),
      makeNode('idle').capacity({ cpu: '4', memory: '8Gi', pods: '110' }),
    ];
    const placed = [makePod('x').node('busy').req({ cpu: '3', memory: '6Gi' })];
    expect(nodeOf(sched(nodes, placed), makePod('p').req({ cpu: '500m', memory: '1Gi' }))).toBe('idle');
    const most = `
profiles:
- schedulerName: default-scheduler
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
  plugins:
    score:
      disabled: [{ name: NodeResourcesBalancedAllocation }]
`;
    expect(nodeOf(sched(nodes, placed, most), makePod('p').req({ cpu: '500m', memory: '1Gi' }))).toBe('busy');
  });
});

describe('TaintToleration (docs: taints and tolerations)', () => {
  const tainted = () => makeNode('node1').taint({ key: 'key1', value: 'value1', effect: 'NoSchedule' });
  it('keeps pods without a matching toleration off a NoSchedule node', () => {
    expect(errorOf(sched([tainted()]), makePod('p')).message).toBe(
      '0/1 nodes are available: 1 node(s) had untolerated taint {key1: value1}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
  });
  it.each([
    [{ key: 'key1', operator: 'Equal', value: 'value1', effect: 'NoSchedule' }],
    [{ key: 'key1', operator: 'Exists', effect: 'NoSchedule' }],
    [{ operator: 'Exists' }],
  ])('allows a pod tolerating it: %j', (t) => {
    expect(nodeOf(sched([tainted()]), makePod('p').toleration(t))).toBe('node1');
  });
  it('does not tolerate with a different value or effect', () => {
    expect(
      errorOf(
        sched([tainted()]),
        makePod('p').toleration({ key: 'key1', operator: 'Equal', value: 'other', effect: 'NoSchedule' }),
      ),
    ).toBeInstanceOf(FitError);
    expect(
      errorOf(
        sched([tainted()]),
        makePod('p').toleration({ key: 'key1', operator: 'Exists', effect: 'NoExecute' }),
      ),
    ).toBeInstanceOf(FitError);
  });
  it('prefers nodes without untolerated PreferNoSchedule taints', () => {
    const s = sched([
      makeNode('a').taint({ key: 'k', value: 'v', effect: 'PreferNoSchedule' }),
      makeNode('b'),
    ]);
    expect(nodeOf(s, makePod('p'))).toBe('b');
  });
  it('keeps pods off cordoned nodes', () => {
    expect(errorOf(sched([makeNode('n').unschedulable()]), makePod('p')).message).toContain(
      '1 node(s) were unschedulable',
    );
  });
});

describe('NodeAffinity and nodeSelector (docs: assign pods to nodes)', () => {
  const nodes = () => [makeNode('ssd').label('disktype', 'ssd'), makeNode('hdd').label('disktype', 'hdd')];
  it('honours nodeSelector', () => {
    expect(nodeOf(sched(nodes()), makePod('p').nodeSelector({ disktype: 'ssd' }))).toBe('ssd');
  });
  it('honours required affinity with NotIn', () => {
    expect(nodeOf(sched(nodes()), makePod('p').nodeAffinityIn('disktype', ['ssd'], 'NotIn'))).toBe('hdd');
    expect(errorOf(sched(nodes()), makePod('p').nodeAffinityIn('disktype', ['nvme'])).message).toContain(
      "2 node(s) didn't match Pod's node affinity/selector",
    );
  });
  it('prefers nodes matching preferred terms', () => {
    expect(nodeOf(sched(nodes()), makePod('p').preferredNodeAffinity(50, 'disktype', ['hdd']))).toBe('hdd');
  });
  it('respects spec.nodeName through the NodeName filter', () => {
    expect(errorOf(sched(nodes()), makePod('p').node('other')).message).toContain(
      "didn't match the requested node name",
    );
  });
});

describe('NodePorts', () => {
  it('keeps a second pod wanting the same host port off the node', () => {
    const s = sched([makeNode('n1'), makeNode('n2')], [makePod('a').node('n1').hostPort(8080)]);
    expect(nodeOf(s, makePod('p').hostPort(8080))).toBe('n2');
  });
});

describe('PodTopologySpread (docs: maxSkew example)', () => {
  // Docs example: zoneA has 2 matching pods (node1, node2), zoneB none → the new pod must go to zoneB.
  const nodes = () => [
    makeNode('node1').label('zone', 'zoneA'),
    makeNode('node2').label('zone', 'zoneA'),
    makeNode('node3').label('zone', 'zoneB'),
    makeNode('node4').label('zone', 'zoneB'),
  ];
  const placed = () => [
    makePod('a').label('foo', 'bar').node('node1'),
    makePod('b').label('foo', 'bar').node('node2'),
  ];
  const constraint = {
    maxSkew: 1,
    topologyKey: 'zone',
    whenUnsatisfiable: 'DoNotSchedule',
    labelSelector: { matchLabels: { foo: 'bar' } },
  };
  it('places the pod in the emptier zone', () => {
    const s = sched(nodes(), placed());
    for (let i = 0; i < 5; i++)
      expect(['node3', 'node4']).toContain(
        nodeOf(s, makePod(`p${i}`).label('foo', 'bar').spread(constraint)),
      );
  });
  it('rejects nodes lacking the topology key as unresolvable', () => {
    const s = sched([makeNode('nokey')]);
    expect(errorOf(s, makePod('p').label('foo', 'bar').spread(constraint)).message).toContain(
      '(missing required label)',
    );
  });
});

describe('InterPodAffinity', () => {
  const nodes = () => [makeNode('n1').label('zone', 'a'), makeNode('n2').label('zone', 'b')];
  const term = (app: string) => ({ labelSelector: { matchLabels: { app } }, topologyKey: 'zone' });
  it('co-locates with required affinity', () => {
    const s = sched(nodes(), [makePod('cache').label('app', 'cache').node('n2')]);
    expect(nodeOf(s, makePod('web').podAffinity(term('cache')))).toBe('n2');
  });
  it('spreads apart with required anti-affinity', () => {
    const s = sched(nodes(), [makePod('w1').label('app', 'web').node('n1')]);
    expect(nodeOf(s, makePod('w2').label('app', 'web').podAntiAffinity(term('web')))).toBe('n2');
  });
  it("respects existing pods' anti-affinity", () => {
    const s = sched(nodes(), [makePod('lonely').podAntiAffinity(term('web')).node('n1')]);
    expect(nodeOf(s, makePod('w').label('app', 'web'))).toBe('n2');
  });
  it('lets the first pod of a self-affine group go anywhere', () => {
    expect(['n1', 'n2']).toContain(
      nodeOf(sched(nodes()), makePod('first').label('app', 'db').podAffinity(term('db'))),
    );
  });
});

describe('DefaultPreemption', () => {
  it('nominates a node by evicting lower-priority pods, keeping the ones it can', () => {
    const s = sched(
      [makeNode('n1').capacity({ cpu: '2', memory: '8Gi', pods: '110' })],
      [
        makePod('low').priority(1).req({ cpu: '1' }).node('n1'),
        makePod('mid').priority(5).req({ cpu: '1' }).node('n1'),
      ],
    );
    const err = errorOf(s, makePod('high').priority(10).req({ cpu: '1' }));
    expect(err.nominatedNodeName).toBe('n1');
  });
  it('does not preempt pods of equal or higher priority', () => {
    const s = sched(
      [makeNode('n1').capacity({ cpu: '1', memory: '8Gi', pods: '110' })],
      [makePod('a').priority(10).req({ cpu: '1' }).node('n1')],
    );
    expect(errorOf(s, makePod('p').priority(10).req({ cpu: '1' })).nominatedNodeName).toBeUndefined();
  });
});

describe('profiles', () => {
  it('selects the profile by spec.schedulerName and reports unknown names', () => {
    const s = sched([makeNode('n1')], [], 'profiles:\n- schedulerName: a\n- schedulerName: b\n');
    expect(nodeOf(s, makePod('p').schedulerName('b'))).toBe('n1');
    expect(s.schedule(makePod('q').schedulerName('c').obj()).error?.message).toContain('no profile');
  });
  it('rejects unknown plugins in the config', () => {
    expect(() =>
      sched([], [], 'profiles:\n- plugins:\n    filter:\n      enabled: [{ name: Nope }]\n'),
    ).toThrow('plugin "Nope" does not exist');
  });
});

describe('property: no placement overcommits allocatable', () => {
  it('holds for random nodes and pods', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cpu: fc.integer({ min: 1, max: 8 }), memGi: fc.integer({ min: 1, max: 16 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(
          fc.record({ milli: fc.integer({ min: 0, max: 3000 }), memMi: fc.integer({ min: 0, max: 4096 }) }),
          { maxLength: 60 },
        ),
        (nodeSpecs, podSpecs) => {
          const s = new Scheduler({ random: () => 0.5 });
          nodeSpecs.forEach((n, i) =>
            s.addNode(
              makeNode(`n${i}`)
                .capacity({ cpu: String(n.cpu), memory: `${n.memGi}Gi`, pods: '110' })
                .obj(),
            ),
          );
          podSpecs.forEach((p, i) => {
            const pod = makePod(`p${i}`)
              .req({ cpu: `${p.milli}m`, memory: `${p.memMi}Mi` })
              .obj();
            const r = s.schedule(pod);
            if (r.nodeName) s.assume(pod, r.nodeName);
          });
          for (const info of s.cache.snapshot() as NodeInfo[]) {
            expect(info.requested.milliCPU).toBeLessThanOrEqual(info.allocatable.milliCPU);
            expect(info.requested.memory).toBeLessThanOrEqual(info.allocatable.memory);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('DefaultBinder', () => {
  it('returns Success after the binder wrote the binding, and Skip without a binder (embedded)', async () => {
    const bound: string[] = [];
    const ctx = { args: {}, snapshot: () => [] };
    const withBinder = new DefaultBinder({
      ...ctx,
      binder: async (p, n) => void bound.push(`${p.metadata.name}@${n}`),
    });
    expect((await withBinder.bind(new CycleState(), makePod('p').obj(), 'n1')).isSuccess()).toBe(true);
    expect(bound).toEqual(['p@n1']);
    expect((await new DefaultBinder(ctx).bind(new CycleState(), makePod('p').obj(), 'n1')).code).toBe(
      Code.Skip,
    );
  });

  it("keeps the binder's error as the Error status's cause, so the caller can tell NotFound/Conflict apart", async () => {
    const err = Object.assign(new Error('pod p is already assigned to node "n2"'), { code: 409 });
    const binder = new DefaultBinder({
      args: {},
      snapshot: () => [],
      binder: async () => Promise.reject(err),
    });
    const status = (await binder.bind(new CycleState(), makePod('p').obj(), 'n1')).withPlugin(
      'DefaultBinder',
    );
    expect(status.code).toBe(Code.Error);
    expect(status.cause).toBe(err);
    expect(status.message()).toContain('already assigned');
  });
});
