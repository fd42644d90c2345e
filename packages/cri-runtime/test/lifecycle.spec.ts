import { join } from 'node:path';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { ContainerState, PodSandboxState } from '../src/cri-api';
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

describeRoot('CRI lifecycle over gRPC (runc)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.cleanup();
    removeBusyboxLayout();
  });

  test('Version names the runtime and API', async () => {
    const v = await t.client.rt('version', { version: 'v1' });
    expect(v).toMatchObject({ runtimeName: 'keelson', runtimeApiVersion: 'v1' });
  });

  test('sandbox + container: run, log, exec, exit code, stop, remove', async () => {
    const cfg = sandboxConfig(t.root);
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    expect(podSandboxId).toMatch(/^[a-f0-9]{64}$/);
    const st = await t.client.rt('podSandboxStatus', { podSandboxId, verbose: true });
    expect(st.status.state).toBe(PodSandboxState.SANDBOX_READY);
    const info = JSON.parse(st.info.info);
    expect(info.netNamespacePath).toBe(`/var/run/netns/keelson-${podSandboxId.slice(0, 16)}`);
    expect(existsSync(info.netNamespacePath)).toBe(true);

    const config = containerConfig('main', ['sh', '-c', 'echo hello; echo oops >&2; hostname; sleep 1000']);
    const { containerId } = await t.client.rt('createContainer', {
      podSandboxId,
      config,
      sandboxConfig: cfg,
    });
    let s = await t.client.rt('containerStatus', { containerId });
    expect(s.status.state).toBe(ContainerState.CONTAINER_CREATED);
    await t.client.rt('startContainer', { containerId });
    s = await t.client.rt('containerStatus', { containerId });
    expect(s.status.state).toBe(ContainerState.CONTAINER_RUNNING);
    expect(s.status.startedAt).toBeGreaterThan(0);
    expect(s.status.user).toEqual({ linux: { uid: 0n, gid: 0n, supplementalGroups: [] } });

    const logPath = join(cfg.logDirectory, 'main.log');
    const log = await waitFor(
      () => (readOr(logPath).split('\n').length >= 4 ? readOr(logPath) : ''),
      60000,
      'log lines',
    );
    const lines = log.trim().split('\n');
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) [FP] /);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ stdout F hello$/),
        expect.stringMatching(/ stderr F oops$/),
        expect.stringMatching(new RegExp(` stdout F ${cfg.metadata.name}$`)),
      ]),
    );

    const ex = await t.client.rt('execSync', {
      containerId,
      cmd: ['sh', '-c', 'cat /etc/hostname; echo err >&2; exit 7'],
      timeout: 10,
    });
    expect(ex.stdout.toString()).toBe(`${cfg.metadata.name}\n`);
    expect(ex.stderr.toString()).toBe('err\n');
    expect(ex.exitCode).toBe(7);

    const list = await t.client.rt('listContainers', {
      filter: { podSandboxId, state: { state: ContainerState.CONTAINER_RUNNING } },
    });
    expect(list.containers.map((c: { id: string }) => c.id)).toEqual([containerId]);

    await t.client.rt('stopContainer', { containerId, timeout: 1 });
    s = await t.client.rt('containerStatus', { containerId });
    expect(s.status.state).toBe(ContainerState.CONTAINER_EXITED);
    expect(s.status.finishedAt).toBeGreaterThanOrEqual(s.status.startedAt);

    await t.client.rt('removeContainer', { containerId });
    await expect(t.client.rt('containerStatus', { containerId })).rejects.toMatchObject({ code: 5 });
    await t.client.rt('stopPodSandbox', { podSandboxId });
    expect(existsSync(info.netNamespacePath)).toBe(false);
    await t.client.rt('removePodSandbox', { podSandboxId });
    const sbs = await t.client.rt('listPodSandbox', {});
    expect(sbs.items.find((i: { id: string }) => i.id === podSandboxId)).toBeUndefined();
  });

  test('a container that exits 3 reports exit code 3 and reason Error', async () => {
    const cfg = sandboxConfig(t.root);
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const { containerId } = await t.client.rt('createContainer', {
      podSandboxId,
      config: containerConfig('exit3', ['sh', '-c', 'exit 3']),
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId });
    const s = await waitFor(async () => {
      const r = await t.client.rt('containerStatus', { containerId });
      return r.status.state === ContainerState.CONTAINER_EXITED ? r.status : undefined;
    });
    expect(s.exitCode).toBe(3);
    expect(s.reason).toBe('Error');
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('containers that exit at once still start cleanly and report exit 0', async () => {
    const cfg = sandboxConfig(t.root);
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    for (let i = 0; i < 8; i++) {
      const { containerId } = await t.client.rt('createContainer', {
        podSandboxId,
        config: containerConfig(`quick${i}`, ['true']),
        sandboxConfig: cfg,
      });
      await t.client.rt('startContainer', { containerId });
      const s = await waitFor(async () => {
        const r = await t.client.rt('containerStatus', { containerId });
        return r.status.state === ContainerState.CONTAINER_EXITED ? r.status : undefined;
      });
      expect(s).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(s.startedAt).toBeGreaterThan(0n);
      expect(s.finishedAt).toBeGreaterThanOrEqual(s.startedAt);
    }
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('two containers of one sandbox share localhost', async () => {
    const cfg = sandboxConfig(t.root);
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const srv = await t.client.rt('createContainer', {
      podSandboxId,
      config: containerConfig('web', ['httpd', '-f', '-p', '127.0.0.1:8080', '-h', '/var/www']),
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId: srv.containerId });
    const cli = await t.client.rt('createContainer', {
      podSandboxId,
      config: containerConfig('client', ['sleep', '1000']),
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId: cli.containerId });
    const body = await waitFor(async () => {
      const r = await t.client.rt('execSync', {
        containerId: cli.containerId,
        cmd: ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/'],
        timeout: 5,
      });
      return r.exitCode === 0 ? r.stdout.toString() : '';
    });
    expect(body).toBe('hello from keelson busybox\n');
    await t.client.rt('removePodSandbox', { podSandboxId });
    const left = await t.client.rt('listContainers', { filter: { podSandboxId } });
    expect(left.containers).toEqual([]);
  });

  test('list filters (labels, state, id prefix), stop before start, image removal keeps running containers', async () => {
    const cfg = sandboxConfig(t.root);
    cfg.labels = { app: 'web', tier: 'front' };
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const other = sandboxConfig(t.root);
    other.labels = { app: 'db' };
    const { podSandboxId: otherId } = await t.client.rt('runPodSandbox', { config: other });
    const web = await t.client.rt('listPodSandbox', { filter: { labelSelector: { app: 'web' } } });
    expect(web.items.map((i: { id: string }) => i.id)).toEqual([podSandboxId]);
    const byPrefix = await t.client.rt('listPodSandbox', { filter: { id: otherId.slice(0, 12) } });
    expect(byPrefix.items.map((i: { id: string }) => i.id)).toEqual([otherId]);

    const a = await t.client.rt('createContainer', {
      podSandboxId,
      config: { ...containerConfig('a', ['sleep', '1000']), labels: { role: 'main' } },
      sandboxConfig: cfg,
    });
    const b = await t.client.rt('createContainer', {
      podSandboxId,
      config: containerConfig('b', ['sleep', '1000']),
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId: a.containerId });
    const created = await t.client.rt('listContainers', {
      filter: { state: { state: ContainerState.CONTAINER_CREATED } },
    });
    expect(created.containers.map((c: { id: string }) => c.id)).toEqual([b.containerId]);
    const labelled = await t.client.rt('listContainers', { filter: { labelSelector: { role: 'main' } } });
    expect(labelled.containers.map((c: { id: string }) => c.id)).toEqual([a.containerId]);
    // A container stopped before it ever started is EXITED and cannot start any more.
    await t.client.rt('stopContainer', { containerId: b.containerId, timeout: 0n });
    expect((await t.client.rt('containerStatus', { containerId: b.containerId })).status).toMatchObject({
      state: ContainerState.CONTAINER_EXITED,
      reason: '',
      startedAt: 0n,
    });
    await expect(t.client.rt('startContainer', { containerId: b.containerId })).rejects.toMatchObject({
      code: 9,
    });
    // Removing the image while a container uses it keeps the container working.
    await t.client.img('removeImage', { image: { image: 'busybox' } });
    expect((await t.client.img('imageStatus', { image: { image: 'busybox' } })).image).toBeUndefined();
    const ex = await t.client.rt('execSync', {
      containerId: a.containerId,
      cmd: ['ls', '/bin/busybox'],
      timeout: 30n,
    });
    expect(ex.exitCode).toBe(0);
    await t.server.runtime.images.importImage(t.busybox.dir);
    const fs = await t.client.img('imageFsInfo', {});
    expect(fs.imageFilesystems[0].usedBytes.value).toBeGreaterThan(1_000_000n);
    await t.client.rt('removePodSandbox', { podSandboxId });
    await t.client.rt('removePodSandbox', { podSandboxId: otherId });
    await t.client.rt('removePodSandbox', { podSandboxId: otherId });
  });

  test('PullImage of a stored image succeeds offline; of a missing one says the registry is unreachable', async () => {
    // Port 1 on loopback: fetch refuses it outright ("bad port"), so no connection is even tried.
    await t.server.runtime.images.importImage(t.busybox.dir, '127.0.0.1:1/library/busybox:latest');
    const { imageRef } = await t.client.img('pullImage', { image: { image: '127.0.0.1:1/library/busybox' } });
    expect(imageRef).toBe(t.busybox.id);
    await expect(
      t.client.img('pullImage', { image: { image: '127.0.0.1:1/library/other:1' } }),
    ).rejects.toMatchObject({
      code: 14,
      details: expect.stringContaining('registry 127.0.0.1:1 unreachable'),
    });
  });

  test('bad requests get clear gRPC errors and leave nothing behind', async () => {
    await expect(t.client.rt('podSandboxStatus', { podSandboxId: 'nope' })).rejects.toMatchObject({
      code: 5,
      details: expect.stringContaining('"nope" not found'),
    });
    await expect(t.client.rt('runPodSandbox', { config: { metadata: { name: 'x' } } })).rejects.toMatchObject(
      { code: 3, details: expect.stringContaining('namespace and uid') },
    );
    const before = (await t.client.rt('listPodSandbox', {})).items.length;
    // A sandbox that fails half-way (bad sysctl, after the directory was made) leaves nothing.
    const sandboxDirsBefore = readdirSync(join(t.root, 'sandboxes')).length;
    const badSysctl = sandboxConfig(t.root);
    badSysctl.linux = { ...badSysctl.linux!, sysctls: { 'net.ipv4.no_such_knob': '1' } };
    await expect(t.client.rt('runPodSandbox', { config: badSysctl })).rejects.toMatchObject({
      code: 3,
      details: expect.stringContaining('no_such_knob'),
    });
    // Its namespace files (network under /var/run/netns, IPC/UTS under the root) are unmounted.
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(join(t.root, 'sandboxes'));
    expect(readdirSync(join(t.root, 'sandboxes')).length).toBe(sandboxDirsBefore);
    expect((await t.client.rt('listPodSandbox', {})).items.length).toBe(before);
    const cfg = sandboxConfig(t.root);
    await expect(
      t.client.rt('createContainer', {
        podSandboxId: 'nope',
        config: containerConfig('x', ['true']),
        sandboxConfig: cfg,
      }),
    ).rejects.toMatchObject({ code: 5 });
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    await expect(t.client.rt('runPodSandbox', { config: cfg })).rejects.toMatchObject({
      code: 6,
      details: expect.stringContaining('reserved'),
    });
    await expect(
      t.client.rt('createContainer', {
        podSandboxId,
        config: { ...containerConfig('x', ['true']), image: { image: 'no-such-image:1' } },
        sandboxConfig: cfg,
      }),
    ).rejects.toMatchObject({
      code: 5,
      details: expect.stringContaining('image "no-such-image:1" not found'),
    });
    await expect(
      t.client.rt('createContainer', {
        podSandboxId,
        config: { image: { image: 'busybox' } },
        sandboxConfig: cfg,
      }),
    ).rejects.toMatchObject({ code: 3, details: expect.stringContaining('metadata.name') });
    await expect(
      t.client.rt('createContainer', {
        podSandboxId,
        config: {
          ...containerConfig('relmount', ['true']),
          mounts: [{ containerPath: 'data', hostPath: '/tmp' }],
        },
        sandboxConfig: cfg,
      }),
    ).rejects.toMatchObject({ code: 3, details: expect.stringContaining('"data" must be absolute') });
    expect((await t.client.rt('listContainers', { filter: { podSandboxId } })).containers).toEqual([]);
    expect(await t.client.rt('runtimeConfig', {})).toMatchObject({ linux: { cgroupDriver: 1 } });
    // A container whose command does not exist: StartContainer fails, status says StartError.
    const { containerId } = await t.client.rt('createContainer', {
      podSandboxId,
      config: containerConfig('bad', ['/no/such/binary']),
      sandboxConfig: cfg,
    });
    await expect(t.client.rt('startContainer', { containerId })).rejects.toMatchObject({ code: 2 });
    const s = await t.client.rt('containerStatus', { containerId });
    expect(s.status).toMatchObject({
      state: ContainerState.CONTAINER_EXITED,
      reason: 'StartError',
      exitCode: 128,
    });
    expect(s.status.message).toContain('/no/such/binary');
    await t.client.rt('removePodSandbox', { podSandboxId });
    expect((await t.client.rt('listPodSandbox', {})).items.length).toBe(before);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(t.root + '/containers');
  });
});
