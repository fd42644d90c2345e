import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniManager, defaultConfList, podIpFromResult } from './cni';

describe('CNI', () => {
  it('generates the default bridge + host-local network', () => {
    const l = defaultConfList({ podCidr: '10.244.3.0/24', bridge: 'kbr-x', ipamDataDir: '/r/cni/networks' });
    expect(l).toEqual({
      cniVersion: '1.0.0',
      name: 'keelson',
      plugins: [
        {
          type: 'bridge',
          bridge: 'kbr-x',
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: '10.244.3.0/24' }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: '/r/cni/networks',
          },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ],
    });
  });

  it('reads the pod IP from a CNI 1.0.0 result', () => {
    expect(
      podIpFromResult({
        ips: [{ address: 'fd00::5/64' }, { address: '10.244.3.7/24', gateway: '10.244.3.1' }],
      }),
    ).toBe('10.244.3.7');
    expect(podIpFromResult({})).toBeUndefined();
  });

  it('invokes plugins per the spec: env, stdin config with prevResult, ADD in order, DEL in reverse', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubelet-cni-'));
    try {
      // Two fake plugins that log their env and stdin and answer a result.
      const log = join(dir, 'calls.log');
      for (const name of ['first', 'second']) {
        const script =
          `#!/bin/sh\nin=$(cat)\necho "${name} $CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME $in" >> ${log}\n` +
          `if [ "$CNI_COMMAND" = ADD ]; then echo '{"cniVersion":"1.0.0","ips":[{"address":"10.244.9.${name === 'first' ? 2 : 3}/24"}]}'; fi\n`;
        await writeFile(join(dir, name), script);
        await chmod(join(dir, name), 0o755);
      }
      const failing =
        '#!/bin/sh\ncat >/dev/null\necho \'{"code":7,"msg":"bad config","details":"x"}\'\nexit 1\n';
      await writeFile(join(dir, 'broken'), failing);
      await chmod(join(dir, 'broken'), 0o755);
      const confDir = join(dir, 'net.d');
      const mgr = new CniManager(confDir, join(dir, 'cache'), [dir]);
      const list = {
        cniVersion: '1.0.0',
        name: 'testnet',
        plugins: [{ type: 'first', a: 1 }, { type: 'second' }],
      };
      const res = await mgr.addList(list, 'sb1', '/var/run/netns/x', 'eth0');
      expect(podIpFromResult(res)).toBe('10.244.9.3');
      await mgr.delList(list, 'sb1', '/var/run/netns/x', 'eth0');
      const lines = (await readFile(log, 'utf8')).trim().split('\n');
      expect(lines.map((l) => l.split(' ').slice(0, 5).join(' '))).toEqual([
        'first ADD sb1 /var/run/netns/x eth0',
        'second ADD sb1 /var/run/netns/x eth0',
        'second DEL sb1 /var/run/netns/x eth0',
        'first DEL sb1 /var/run/netns/x eth0',
      ]);
      const firstConf = JSON.parse(lines[0]!.split(' ').slice(5).join(' '));
      expect(firstConf).toEqual({ type: 'first', a: 1, cniVersion: '1.0.0', name: 'testnet' });
      const secondConf = JSON.parse(lines[1]!.split(' ').slice(5).join(' '));
      expect(secondConf.prevResult.ips[0].address).toBe('10.244.9.2/24');
      const delConf = JSON.parse(lines[2]!.split(' ').slice(5).join(' '));
      expect(delConf.prevResult.ips[0].address).toBe('10.244.9.3/24');
      await expect(
        mgr.addList({ ...list, plugins: [{ type: 'broken' }] }, 'sb2', '/x', 'eth0'),
      ).rejects.toMatchObject({ code: 7, message: 'CNI broken ADD: bad config: x' });
      await expect(
        mgr.addList({ ...list, plugins: [{ type: 'absent' }] }, 'sb2', '/x', 'eth0'),
      ).rejects.toThrow('plugin not found');
      // Capability args reach only the plugins that declare them, on ADD and again on DEL.
      const capList = {
        cniVersion: '1.0.0',
        name: 'capnet',
        plugins: [{ type: 'first' }, { type: 'second', capabilities: { portMappings: true } }],
      };
      const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
      await mgr.addList(capList, 'sb3', '/x', 'eth0', undefined, { portMappings });
      await mgr.delList(capList, 'sb3', '/x', 'eth0');
      const capLines = (await readFile(log, 'utf8'))
        .trim()
        .split('\n')
        .filter((l) => l.includes(' sb3 '))
        .map((l) => JSON.parse(l.split(' ').slice(5).join(' ')));
      expect(capLines.map((c) => c.runtimeConfig)).toEqual([
        undefined, // first ADD
        { portMappings }, // second ADD
        { portMappings }, // second DEL
        undefined, // first DEL
      ]);
      // ensureConfig writes the kubelet's own file and keeps it current; loadConfig reads it back
      await mgr.ensureConfig(
        defaultConfList({ podCidr: '10.244.9.0/24', bridge: 'kbr-t', ipamDataDir: '/d' }),
      );
      expect((await mgr.loadConfig()).plugins[0]!.bridge).toBe('kbr-t');
      await mgr.ensureConfig(
        defaultConfList({ podCidr: '10.244.8.0/24', bridge: 'kbr-u', ipamDataDir: '/d' }),
      );
      expect((await mgr.loadConfig()).plugins[0]!.bridge).toBe('kbr-u');
      // ... but a network configuration of the user's wins and is never touched.
      await writeFile(join(confDir, '05-user.conflist'), JSON.stringify({ ...list, name: 'user' }));
      await mgr.ensureConfig(
        defaultConfList({ podCidr: '10.244.7.0/24', bridge: 'kbr-v', ipamDataDir: '/d' }),
      );
      expect((await mgr.loadConfig()).name).toBe('user');
      expect(JSON.parse(await readFile(join(confDir, '10-keelson.conflist'), 'utf8')).plugins[0].bridge).toBe(
        'kbr-u',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
