import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NamespaceMode } from '../src/cri-api';
import {
  containerConfig,
  describeRoot,
  removeBusyboxLayout,
  sandboxConfig,
  startTestRuntime,
  TestRuntime,
  uniqueName,
  waitFor,
} from './helpers';

const CNI_PATH = '/usr/lib/cni';

/** Runs one CNI plugin command (CNI spec 1.0: env + JSON config on stdin). */
function cni(command: 'ADD' | 'DEL', netns: string, conf: object, containerId: string): string {
  const r = spawnSync(join(CNI_PATH, 'bridge'), [], {
    input: JSON.stringify(conf),
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH,
      PATH: process.env.PATH,
    },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`CNI ${command}: ${r.stdout} ${r.stderr}`);
  return r.stdout;
}

function emptySecurity() {
  return {
    runAsUser: undefined,
    runAsGroup: undefined,
    readonlyRootfs: false,
    supplementalGroups: [],
    supplementalGroupsPolicy: 0,
    privileged: false,
    seccomp: undefined,
    apparmor: undefined,
    seccompProfilePath: '',
    selinuxOptions: undefined,
  };
}

describeRoot('sandbox networking, DNS, sysctls, host network', () => {
  let t: TestRuntime;
  let scratch = '';
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'kt-net-'));
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    removeBusyboxLayout();
  });

  test('CNI on the sandbox netns path gives the pod an IP that PodSandboxStatus reports', async () => {
    if (!existsSync(join(CNI_PATH, 'bridge'))) return console.log('skipped: CNI plugins missing');
    const cfg = sandboxConfig(t.root);
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const st = await t.client.rt('podSandboxStatus', { podSandboxId, verbose: true });
    expect(st.status.network.ip).toBe('');
    const netns = st.info.netNamespacePath;
    // An L2-only bridge (no gateway address): nothing routes off the machine.
    const bridge = uniqueName('ktbr').replace(/-/g, '').slice(0, 15);
    const conf = {
      cniVersion: '1.0.0',
      name: bridge,
      type: 'bridge',
      bridge,
      isGateway: false,
      ipMasq: false,
      ipam: { type: 'host-local', subnet: '10.253.7.0/24', dataDir: join(scratch, 'ipam') },
    };
    try {
      const result = JSON.parse(cni('ADD', netns, conf, podSandboxId));
      const ip = result.ips[0].address.split('/')[0];
      const after = await t.client.rt('podSandboxStatus', { podSandboxId });
      expect(after.status.network.ip).toBe(ip);
      const { containerId } = await t.client.rt('createContainer', {
        podSandboxId,
        config: containerConfig('ip', ['sleep', '1000']),
        sandboxConfig: cfg,
      });
      await t.client.rt('startContainer', { containerId });
      const ex = await t.client.rt('execSync', {
        containerId,
        cmd: ['ip', '-4', '-o', 'addr', 'show', 'eth0'],
        timeout: 30n,
      });
      expect(ex.stdout.toString()).toContain(`inet ${ip}/24`);
      const stats = await t.client.rt('podSandboxStats', { podSandboxId });
      expect(stats.stats.linux.network.defaultInterface.name).toBe('eth0');
      cni('DEL', netns, conf, podSandboxId);
    } finally {
      spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      await t.client.rt('removePodSandbox', { podSandboxId });
    }
  });

  test('DNSConfig becomes /etc/resolv.conf, sysctls apply in the pod namespaces, hostname is set', async () => {
    const cfg = sandboxConfig(t.root);
    cfg.dnsConfig = {
      servers: ['10.96.0.10'],
      searches: ['default.svc.cluster.local', 'svc.cluster.local'],
      options: ['ndots:5'],
    };
    cfg.linux = {
      ...cfg.linux!,
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80', 'kernel.shm_rmid_forced': '1' },
    };
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const { containerId } = await t.client.rt('createContainer', {
      podSandboxId,
      config: containerConfig('dns', ['sleep', '1000']),
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId });
    const run = async (cmd: string) =>
      (
        await t.client.rt('execSync', { containerId, cmd: ['sh', '-c', cmd], timeout: 30n })
      ).stdout.toString();
    expect(await run('cat /etc/resolv.conf')).toBe(
      'search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(await run('cat /proc/sys/net/ipv4/ip_unprivileged_port_start')).toBe('80\n');
    expect(await run('cat /proc/sys/kernel/shm_rmid_forced')).toBe('1\n');
    expect(await run('hostname')).toBe(`${cfg.hostname}\n`);
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('a host-network pod has no netns of its own', async () => {
    const cfg = sandboxConfig(t.root);
    cfg.linux = {
      ...cfg.linux!,
      securityContext: {
        namespaceOptions: {
          network: NamespaceMode.NODE,
          pid: NamespaceMode.CONTAINER,
          ipc: NamespaceMode.POD,
          targetId: '',
          usernsOptions: undefined,
        },
        runAsUser: undefined,
        runAsGroup: undefined,
        readonlyRootfs: false,
        supplementalGroups: [],
        supplementalGroupsPolicy: 0,
        privileged: false,
        seccomp: undefined,
        apparmor: undefined,
        seccompProfilePath: '',
        selinuxOptions: undefined,
      },
    };
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const st = await t.client.rt('podSandboxStatus', { podSandboxId, verbose: true });
    expect(st.info.netNamespacePath).toBe('');
    expect(st.status.linux.namespaces.options.network).toBe(NamespaceMode.NODE);
    const { containerId } = await t.client.rt('createContainer', {
      podSandboxId,
      config: containerConfig('hostnet', ['sleep', '1000']),
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId });
    const info = JSON.parse((await t.client.rt('containerStatus', { containerId, verbose: true })).info.info);
    const { readlinkSync } = await import('node:fs');
    expect(readlinkSync(`/proc/${info.pid}/ns/net`)).toBe(readlinkSync('/proc/self/ns/net'));
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('shareProcessNamespace: containers of a pod with pid mode POD see each other', async () => {
    const nsOptions = {
      network: NamespaceMode.POD,
      pid: NamespaceMode.POD,
      ipc: NamespaceMode.POD,
      targetId: '',
      usernsOptions: undefined,
    };
    const cfg = sandboxConfig(t.root);
    cfg.linux = { ...cfg.linux!, securityContext: { ...emptySecurity(), namespaceOptions: nsOptions } };
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const start = async (name: string, args: string[], shared: boolean) => {
      const { containerId } = await t.client.rt('createContainer', {
        podSandboxId,
        config: {
          ...containerConfig(name, args),
          linux: {
            securityContext: {
              namespaceOptions: shared ? nsOptions : { ...nsOptions, pid: NamespaceMode.CONTAINER },
            },
          },
        },
        sandboxConfig: cfg,
      });
      await t.client.rt('startContainer', { containerId });
      return containerId;
    };
    await start('a', ['sleep', '1001'], true);
    const b = await start('b', ['sleep', '1002'], true);
    const c = await start('c', ['sleep', '1003'], false);
    const ps = async (id: string) =>
      (
        await t.client.rt('execSync', { containerId: id, cmd: ['ps', '-o', 'args'], timeout: 30n })
      ).stdout.toString();
    const seenByB = await ps(b);
    expect(seenByB).toContain('sleep 1001');
    expect(seenByB).toContain('sleep 1002');
    const seenByC = await ps(c);
    expect(seenByC).toContain('sleep 1003');
    expect(seenByC).not.toContain('sleep 1001');
    const info = JSON.parse(
      (await t.client.rt('podSandboxStatus', { podSandboxId, verbose: true })).info.info,
    );
    await t.client.rt('removePodSandbox', { podSandboxId });
    expect(info.runtimeSpec.linux.namespaces.map((n: { type: string }) => n.type)).toContain('pid');
  });

  test('the keelson-cri bin serves CRI on its socket and exits cleanly on SIGTERM', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kt-bin-'));
    const bin = join(__dirname, '../src/bin/keelson-cri.ts');
    const proc = spawn(
      process.execPath,
      [
        '--conditions=keelson-source',
        '--import',
        'tsx',
        bin,
        '--root',
        root,
        '--listen',
        `unix://${join(root, 'cri.sock')}`,
        '--oci-runtime',
        'runc',
        '--cgroup-root',
        `/${uniqueName('keelson-bin')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await waitFor(() => err.includes('serving CRI runtime.v1'), 120000, 'keelson-cri to serve');
      const { CriTestClient } = await import('./helpers');
      const c = new CriTestClient(join(root, 'cri.sock'));
      const v = await c.rt('version', {});
      expect(v.runtimeName).toBe('keelson');
      const list = await c.rt('listContainers', {});
      expect(list.containers).toEqual([]);
      c.close();
      proc.kill('SIGTERM');
      const code = await new Promise((r) => proc.once('exit', r));
      expect(code).toBe(0);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  }, 180000);
});
