import type { ConfigMap, Secret } from '@keelson/api';
import { makePod } from '../testing/builders';
import { expand, expandCommand, resolveEnv, type ObjectSource } from './env';

const objects = (
  cms: Record<string, Record<string, string>>,
  secrets: Record<string, Record<string, string>>,
): ObjectSource => ({
  configMap: async (_ns, name) =>
    cms[name] ? ({ metadata: { name }, data: cms[name] } as ConfigMap) : undefined,
  secret: async (_ns, name) =>
    secrets[name]
      ? ({
          metadata: { name },
          data: Object.fromEntries(
            Object.entries(secrets[name]).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
        } as Secret)
      : undefined,
});
const ctx = {
  hostIp: '192.168.1.10',
  podIps: ['10.244.1.5'],
  node: { milliCpu: 2000, memoryBytes: 4 * 2 ** 30 },
};

describe('expand', () => {
  const look = (n: string) => ({ A: 'x', B: 'y' })[n];
  it.each([
    ['$(A)', 'x'],
    ['pre-$(A)-$(B)', 'pre-x-y'],
    ['$$(A)', '$(A)'],
    ['$(MISSING)', '$(MISSING)'],
    ['$(A', '$(A'],
    ['cost $5', 'cost $5'],
    ['$', '$'],
  ])('%s → %s', (input, out) => expect(expand(input, look)).toBe(out));
});

describe('resolveEnv', () => {
  it('resolves values, fieldRefs, resourceFieldRefs, configMap and secret keys, envFrom, in order', async () => {
    const pod = makePod('web', [
      {
        name: 'c',
        resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } },
        envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'S_', secretRef: { name: 'sec' } }],
        env: [
          { name: 'GREETING', value: 'hello $(NAME)' },
          { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'MSG', value: '$(GREETING) from $(POD_IP)' },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
          { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
          { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
        ],
      },
    ]);
    const env = await resolveEnv(
      pod,
      pod.spec!.containers[0]!,
      objects({ cfg: { color: 'blue', 'bad key': 'x', size: 'L' } }, { sec: { password: 's3cret' } }),
      ctx,
    );
    const m = Object.fromEntries(env.map((e) => [e.name, e.value]));
    expect(m).toEqual({
      color: 'blue',
      size: 'L',
      S_password: 's3cret',
      GREETING: 'hello $(NAME)',
      NAME: 'web',
      MSG: 'hello $(NAME) from $(POD_IP)',
      POD_IP: '10.244.1.5',
      NODE: 'n1',
      APP: 'web',
      HOST_IP: '192.168.1.10',
      MEM: '64',
      CPU_REQ: '250',
      CPU_LIM: '2',
      COLOR: 'blue',
      PASSWORD: 's3cret',
    });
  });

  it('expands references to earlier variables only', async () => {
    const pod = makePod('p', [
      {
        name: 'c',
        env: [
          { name: 'A', value: 'a' },
          { name: 'B', value: '$(A)-$(C)' },
          { name: 'C', value: 'c' },
        ],
      },
    ]);
    const env = await resolveEnv(pod, pod.spec!.containers[0]!, objects({}, {}), ctx);
    expect(env.find((e) => e.name === 'B')!.value).toBe('a-$(C)');
  });

  it('fails with CreateContainerConfigError for a missing configmap or key', async () => {
    const pod = makePod('p', [
      { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'missing' } } }] },
    ]);
    await expect(
      resolveEnv(pod, pod.spec!.containers[0]!, objects({ cfg: {} }, {}), ctx),
    ).rejects.toMatchObject({
      reason: 'CreateContainerConfigError',
      message: "couldn't find key missing in ConfigMap default/cfg",
    });
    const pod2 = makePod('p', [{ name: 'c', envFrom: [{ secretRef: { name: 'gone' } }] }]);
    await expect(resolveEnv(pod2, pod2.spec!.containers[0]!, objects({}, {}), ctx)).rejects.toThrow(
      'secret "gone" not found',
    );
  });

  it('expands $(VAR) in command and args', () => {
    const pod = makePod('p', [{ name: 'c', command: ['sh', '-c'], args: ['echo $(MSG) $$(MSG)'] }]);
    expect(expandCommand(pod.spec!.containers[0]!, [{ name: 'MSG', value: 'hi' }])).toEqual({
      command: ['sh', '-c'],
      args: ['echo hi $(MSG)'],
    });
  });
});
