import { ContainerConfig, MountPropagation, NamespaceMode } from '../cri-api';
import { buildSpec, mergeEnv, processArgs } from './spec';
import type { ImageConfig } from '../images/oci-types';

const image = (c: ImageConfig['config']): ImageConfig => ({
  architecture: 'amd64',
  os: 'linux',
  config: c,
  rootfs: { type: 'layers', diff_ids: [] },
});
const cfg = (o: object) =>
  ContainerConfig.fromPartial({ metadata: { name: 'c', attempt: 0 }, image: { image: 'busybox' }, ...o });

describe('OCI spec from CRI config', () => {
  test('command/args follow the Kubernetes entrypoint rules', () => {
    const img = image({ Entrypoint: ['/entry'], Cmd: ['default'] });
    expect(processArgs(cfg({}), img)).toEqual(['/entry', 'default']);
    expect(processArgs(cfg({ args: ['x'] }), img)).toEqual(['/entry', 'x']);
    expect(processArgs(cfg({ command: ['/bin/cmd'] }), img)).toEqual(['/bin/cmd']);
    expect(processArgs(cfg({ command: ['/bin/cmd'], args: ['a'] }), img)).toEqual(['/bin/cmd', 'a']);
    expect(() => processArgs(cfg({}), image({}))).toThrow(/no command/);
  });

  test('container env overrides image env', () => {
    expect(
      mergeEnv(
        ['PATH=/bin', 'A=1'],
        [
          { key: 'A', value: Buffer.from('2') },
          { key: 'B', value: '3' },
        ],
      ),
    ).toEqual(['PATH=/bin', 'A=2', 'B=3']);
  });

  test('namespaces join the sandbox files; mounts, resources, user map through', () => {
    const spec = buildSpec({
      config: cfg({
        command: ['sleep', '1'],
        mounts: [
          {
            containerPath: '/data',
            hostPath: '/tmp/x',
            readonly: true,
            propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER,
          },
        ],
        linux: {
          resources: { memoryLimitInBytes: 1048576n, cpuShares: 2n, cpuQuota: 1000n, cpuPeriod: 100000n },
          securityContext: {
            runAsUser: { value: 1000n },
            namespaceOptions: { pid: NamespaceMode.CONTAINER },
          },
        },
      }),
      image: image({ User: 'root' }),
      rootfs: '/r',
      sandbox: {
        netnsPath: '/var/run/netns/n',
        ipcPath: '/s/ipc',
        utsPath: '/s/uts',
        hostPid: false,
        resolvConf: '/s/resolv.conf',
      },
      cgroupsPath: '/p/c',
      lookupUser: () => undefined,
    });
    expect(spec.linux.namespaces).toEqual([
      { type: 'mount' },
      { type: 'pid' },
      { type: 'network', path: '/var/run/netns/n' },
      { type: 'ipc', path: '/s/ipc' },
      { type: 'uts', path: '/s/uts' },
    ]);
    expect(spec.mounts).toEqual(
      expect.arrayContaining([
        { destination: '/data', type: 'bind', source: '/tmp/x', options: ['rbind', 'rslave', 'ro'] },
        {
          destination: '/etc/resolv.conf',
          type: 'bind',
          source: '/s/resolv.conf',
          options: ['rbind', 'rprivate', 'rw'],
        },
      ]),
    );
    expect(spec.linux.resources.memory).toEqual({ limit: 1048576 });
    expect(spec.linux.resources.cpu).toEqual({ shares: 2, quota: 1000, period: 100000 });
    expect(spec.process.user).toMatchObject({ uid: 1000, gid: 0 });
    expect(spec.linux.cgroupsPath).toBe('/p/c');
  });
});
