import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ContainerState } from '../src/cri-api';
import { probeRuntime, chooseRuntime } from '../src/oci/runtime';
import {
  containerConfig,
  describeRoot,
  readOr,
  removeBusyboxLayout,
  sandboxConfig,
  startTestRuntime,
  TestRuntime,
  waitFor,
} from './helpers';

const MiB = 1024 * 1024;

describeRoot('CRI container behaviour: OOM, stop timeout, resources, restart, crun fallback', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.cleanup();
    removeBusyboxLayout();
  });

  async function runIn(name: string, args: string[], more: object = {}) {
    const cfg = sandboxConfig(t.root);
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const { containerId } = await t.client.rt('createContainer', {
      podSandboxId,
      config: { ...containerConfig(name, args), ...more },
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId });
    return { podSandboxId, containerId, cfg };
  }

  async function exited(containerId: string, ms = 60000) {
    return waitFor(
      async () => {
        const r = await t.client.rt('containerStatus', { containerId });
        return r.status.state === ContainerState.CONTAINER_EXITED ? r.status : undefined;
      },
      ms,
      `container ${containerId} to exit`,
    );
  }

  test('a memory-limited allocation loop is OOMKilled with exit code 137', async () => {
    const { podSandboxId, containerId } = await runIn(
      'hog',
      ['sh', '-c', 'x=a; while true; do x=$x$x; done'],
      {
        linux: {
          resources: {
            memoryLimitInBytes: BigInt(32 * MiB),
            cpuPeriod: 0n,
            cpuQuota: 0n,
            cpuShares: 0n,
            oomScoreAdj: 0n,
            cpusetCpus: '',
            cpusetMems: '',
            hugepageLimits: [],
            unified: {},
            memorySwapLimitInBytes: 0n,
          },
        },
      },
    );
    const s = await exited(containerId, 60000);
    expect(s.reason).toBe('OOMKilled');
    expect(s.exitCode).toBe(137);
    await t.client.rt('removePodSandbox', { podSandboxId });
  }, 180000);

  test('resources land in the cgroup and UpdateContainerResources changes them', async () => {
    // oom_score_adj -997 is what the kubelet asks for Guaranteed pods; it is clamped to ours.
    const { podSandboxId, containerId } = await runIn('limited', ['sleep', '1000'], {
      linux: {
        resources: {
          memoryLimitInBytes: BigInt(64 * MiB),
          cpuPeriod: 100000n,
          cpuQuota: 50000n,
          cpuShares: 512n,
          oomScoreAdj: -997n,
          cpusetCpus: '',
          cpusetMems: '',
          hugepageLimits: [],
          unified: {},
          memorySwapLimitInBytes: 0n,
        },
      },
    });
    const info = JSON.parse((await t.client.rt('containerStatus', { containerId, verbose: true })).info.info);
    const own = Number(readFileSync('/proc/self/oom_score_adj', 'utf8'));
    expect(Number(readFileSync(`/proc/${info.pid}/oom_score_adj`, 'utf8'))).toBe(Math.max(-997, own));
    const cg = info.cgroupsPath as string;
    expect(cg).toBe(`${t.cgroupRoot}/pod-${podSandboxId.slice(0, 16)}/${containerId}`);
    expect(Number(readFileSync(join('/sys/fs/cgroup/memory', cg, 'memory.limit_in_bytes'), 'utf8'))).toBe(
      64 * MiB,
    );
    expect(Number(readFileSync(join('/sys/fs/cgroup/cpu', cg, 'cpu.cfs_quota_us'), 'utf8'))).toBe(50000);
    expect(Number(readFileSync(join('/sys/fs/cgroup/cpu', cg, 'cpu.shares'), 'utf8'))).toBe(512);
    await t.client.rt('updateContainerResources', {
      containerId,
      linux: { memoryLimitInBytes: BigInt(128 * MiB), cpuPeriod: 100000n, cpuQuota: 20000n, cpuShares: 256n },
    });
    expect(Number(readFileSync(join('/sys/fs/cgroup/memory', cg, 'memory.limit_in_bytes'), 'utf8'))).toBe(
      128 * MiB,
    );
    expect(Number(readFileSync(join('/sys/fs/cgroup/cpu', cg, 'cpu.cfs_quota_us'), 'utf8'))).toBe(20000);
    const s = await t.client.rt('containerStatus', { containerId });
    expect(s.status.resources.linux.memoryLimitInBytes).toBe(BigInt(128 * MiB));
    const stats = await t.client.rt('containerStats', { containerId });
    expect(stats.stats.cpu.usageCoreNanoSeconds.value).toBeGreaterThan(0n);
    expect(stats.stats.memory.workingSetBytes.value).toBeGreaterThan(0n);
    const pstats = await t.client.rt('podSandboxStats', { podSandboxId });
    expect(pstats.stats.linux.containers.map((c: { attributes: { id: string } }) => c.attributes.id)).toEqual(
      [containerId],
    );
    expect(pstats.stats.linux.process.processCount.value).toBeGreaterThanOrEqual(1n);
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('stop honours the timeout: sleep as PID 1 ignores SIGTERM and is SIGKILLed after it', async () => {
    const { podSandboxId, containerId } = await runIn('stubborn', ['sleep', '1000']);
    const t0 = Date.now();
    await t.client.rt('stopContainer', { containerId, timeout: 2n });
    const waited = Date.now() - t0;
    const s = (await t.client.rt('containerStatus', { containerId })).status;
    expect(s.state).toBe(ContainerState.CONTAINER_EXITED);
    expect(s.exitCode).toBe(137);
    expect(s.reason).toBe('Error');
    expect(waited).toBeGreaterThanOrEqual(2000);
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('a container that handles SIGTERM stops with its own exit code before the timeout', async () => {
    const { podSandboxId, containerId, cfg } = await runIn('polite', [
      'sh',
      '-c',
      'trap "echo bye; exit 0" TERM; echo up; while true; do sleep 0.1; done',
    ]);
    await waitFor(
      () => readOr(join(cfg.logDirectory, 'polite.log')).includes('stdout F up'),
      60000,
      'trap installed',
    );
    await t.client.rt('stopContainer', { containerId, timeout: 30n });
    const s = (await t.client.rt('containerStatus', { containerId })).status;
    expect(s.exitCode).toBe(0);
    expect(s.reason).toBe('Completed');
    expect(readOr(s.logPath)).toMatch(/ stdout F bye\n$/);
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('containers and their logs survive a runtime restart', async () => {
    const { podSandboxId, containerId, cfg } = await runIn('ticker', [
      'sh',
      '-c',
      'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done',
    ]);
    const logPath = join(cfg.logDirectory, 'ticker.log');
    await waitFor(() => readOr(logPath).includes('tick 2'), 60000, 'first ticks');
    await t.restart();
    const list = await t.client.rt('listContainers', { filter: { id: containerId } });
    expect(list.containers).toHaveLength(1);
    expect(list.containers[0].state).toBe(ContainerState.CONTAINER_RUNNING);
    const sb = await t.client.rt('podSandboxStatus', { podSandboxId });
    expect(sb.status.id).toBe(podSandboxId);
    const before = readOr(logPath).split('\n').length;
    await waitFor(() => readOr(logPath).split('\n').length > before + 2, 60000, 'more ticks after restart');
    const ex = await t.client.rt('execSync', { containerId, cmd: ['echo', 'still here'], timeout: 30n });
    expect(ex.stdout.toString()).toBe('still here\n');
    await t.client.rt('stopContainer', { containerId, timeout: 0n });
    const s = (await t.client.rt('containerStatus', { containerId })).status;
    expect(s.exitCode).toBe(137);
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('a line over 16 KiB is logged as P parts then an F tail', async () => {
    const { podSandboxId, containerId, cfg } = await runIn('long', [
      'sh',
      '-c',
      'head -c 40000 /dev/zero | tr "\\0" a; echo; echo short',
    ]);
    await exited(containerId);
    const lines = readOr(join(cfg.logDirectory, 'long.log')).trim().split('\n');
    const parts = lines.map((l) => {
      const m = /^\S+ stdout ([PF]) (a*|short)$/.exec(l);
      return m ? `${m[1]}${m[2].length}` : `bad:${l.slice(0, 60)}`;
    });
    expect(parts).toEqual(['P16384', 'P16384', 'F7232', 'F5']);
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('ReopenContainerLog starts a new file after the kubelet rotates the old one', async () => {
    const { podSandboxId, containerId, cfg } = await runIn('rotor', [
      'sh',
      '-c',
      'i=0; while true; do i=$((i+1)); echo line $i; sleep 0.1; done',
    ]);
    const logPath = join(cfg.logDirectory, 'rotor.log');
    await waitFor(() => readOr(logPath).includes('line 2'));
    const { renameSync } = await import('node:fs');
    renameSync(logPath, `${logPath}.1`);
    await t.client.rt('reopenContainerLog', { containerId });
    await waitFor(() => readOr(logPath).includes(' stdout F line '), 60000, 'new log file');
    expect(readOr(`${logPath}.1`)).toMatch(/stdout F line 1\n/);
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('auto picks crun only where crun can run; forcing crun elsewhere fails with its reason', async () => {
    const probe = await probeRuntime('crun');
    const choice = await chooseRuntime('auto');
    if (probe.ok) {
      expect(choice.name).toBe('crun');
    } else {
      expect(choice.name).toBe('runc');
      expect(choice.note).toContain(probe.reason);
      // On this machine (hybrid cgroups, PLATFORM.md) the reason is crun's own message.
      expect(probe.reason).toMatch(/crun/);
    }
    const c = await startTestRuntime({ ociRuntime: 'crun' });
    try {
      const cfg = sandboxConfig(c.root);
      const { podSandboxId } = await c.client.rt('runPodSandbox', { config: cfg });
      const { containerId } = await c.client.rt('createContainer', {
        podSandboxId,
        config: containerConfig('c', ['sh', '-c', 'exit 5']),
        sandboxConfig: cfg,
      });
      if (probe.ok) {
        await c.client.rt('startContainer', { containerId });
        const s = await waitFor(async () => {
          const r = await c.client.rt('containerStatus', { containerId });
          return r.status.state === ContainerState.CONTAINER_EXITED ? r.status : undefined;
        });
        expect(s.exitCode).toBe(5);
      } else {
        await expect(c.client.rt('startContainer', { containerId })).rejects.toMatchObject({ code: 2 });
        const s = (await c.client.rt('containerStatus', { containerId })).status;
        expect(s.reason).toBe('StartError');
        expect(s.message.length).toBeGreaterThan(0);
      }
    } finally {
      await c.cleanup();
    }
  });
});
