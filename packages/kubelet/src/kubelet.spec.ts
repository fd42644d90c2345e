// The kubelet end to end against in-memory fakes: FakeClientset (apiserver) + FakeCriRuntime
// (runtime reports the pod IP itself, so no CNI). Real timers with short intervals; every wait
// polls for a condition with a deadline.
import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, Event, Lease, Node, Pod } from '@keelson/api';
import { FakeClientset } from '@keelson/client';
import { FakeCriRuntime } from './cri/fake-runtime';
import { startKubelet, type KubeletHandle } from './kubelet';
import { KUBELET_MANAGED_LABEL, KUBELET_NODE_LABEL, POD_UID_LABEL } from './pod/labels';
import { makePod } from './testing/builders';
import { waitFor } from './testing/wait';
import { silentLogger } from './util/log';

describe('Kubelet with fakes', () => {
  let dir: string;
  let cs: FakeClientset;
  let cri: FakeCriRuntime;
  let k: KubeletHandle;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubelet-spec-'));
    cs = new FakeClientset();
    cri = new FakeCriRuntime();
    cri.sandboxIp = '10.244.1.7';
    cri.images.add('busybox:1.36');
    k = await startKubelet(
      {
        nodeName: 'n1',
        runtime: cri,
        rootDir: dir,
        podCidr: '10.244.1.0/24',
        nodeIp: '192.168.50.2',
        clusterDns: ['10.96.0.10'],
        port: 0,
        address: '127.0.0.1',
        disableCni: true,
        cgroupRoot: '/keelson-test/n1',
        relistMs: 30,
        resyncMs: 200,
        backoffInitialMs: 300,
        leaseRenewMs: 100,
        logger: silentLogger,
      },
      cs,
    );
  });

  afterEach(async () => {
    await k.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const pods = () => cs.resource<Pod>('pods');
  const getPod = (name: string) => pods().get('default', name);
  const create = (p: Pod) =>
    pods().create({
      ...p,
      metadata: { name: p.metadata.name, namespace: 'default', labels: p.metadata.labels },
    });

  it('registers its Node and renews a Lease in kube-node-lease', async () => {
    const node = await cs.resource<Node>('nodes').get(undefined, 'n1');
    expect(node.spec?.podCIDR).toBe('10.244.1.0/24');
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '192.168.50.2' });
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toBe('fake://0.0.1');
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.allocatable?.pods).toBe('110');
    const lease = await waitFor('lease', () => cs.resource<Lease>('leases').get('kube-node-lease', 'n1'));
    const first = lease.spec!.renewTime!;
    expect(lease.spec?.holderIdentity).toBe('n1');
    await waitFor(
      'lease renewal',
      async () => (await cs.resource<Lease>('leases').get('kube-node-lease', 'n1')).spec!.renewTime !== first,
    );
  });

  it('runs a bound pod to Running and Ready and reports status via pods/status', async () => {
    await create(makePod('web', [{ name: 'c', image: 'busybox:1.36', env: [{ name: 'X', value: '1' }] }]));
    const pod = await waitFor('Running', async () => {
      const p = await getPod('web');
      return p.status?.phase === 'Running' &&
        p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
        ? p
        : undefined;
    });
    expect(pod.status?.podIP).toBe('10.244.1.7');
    expect(pod.status?.hostIP).toBe('192.168.50.2');
    const cst = pod.status!.containerStatuses![0]!;
    expect(cst).toMatchObject({
      name: 'c',
      ready: true,
      started: true,
      restartCount: 0,
      image: 'busybox:1.36',
    });
    expect(cst.containerID).toMatch(/^fake:\/\//);
    expect(cri.calls).toContain('runPodSandbox web');
    expect(cri.calls).not.toContain('pullImage busybox:1.36'); // IfNotPresent and present
    const patches = cs.actions.filter(
      (a) => a.verb === 'patch' && a.resource === 'pods' && a.subresource === 'status',
    );
    expect(patches.length).toBeGreaterThan(0);
    // the sandbox carries the pod identity labels
    const sb = [...cri.sandboxes.values()][0]!;
    expect(sb.status.labels).toMatchObject({
      'io.kubernetes.pod.name': 'web',
      'io.kubernetes.pod.namespace': 'default',
      app: 'web',
    });
    // --cgroup-root reaches the runtime as the sandbox's cgroup parent
    expect(sb.config.linux?.cgroupParent).toBe('/keelson-test/n1');
    const cc = cri.containersNamed('c')[0]!.config;
    expect(cc.envs.map((e) => `${e.key}=${e.value.toString()}`)).toEqual(['X=1']);
    expect(cc.logPath).toBe('c/0.log');
    expect(cc.mounts.map((m) => m.containerPath).sort()).toEqual([
      '/dev/termination-log',
      '/etc/hosts',
      '/etc/resolv.conf',
    ]);
    // no status writes while nothing changes
    const n = cs.actions.filter((a) => a.verb === 'patch' && a.resource === 'pods').length;
    await new Promise((r) => setTimeout(r, 400));
    expect(cs.actions.filter((a) => a.verb === 'patch' && a.resource === 'pods').length).toBe(n);
  });

  it('resolves env from a ConfigMap and reports CreateContainerConfigError while it is missing', async () => {
    await create(
      makePod('cfg', [
        {
          name: 'c',
          image: 'busybox:1.36',
          env: [{ name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } }],
        },
      ]),
    );
    await waitFor(
      'CreateContainerConfigError',
      async () =>
        (await getPod('cfg')).status?.containerStatuses?.[0]?.state?.waiting?.reason ===
        'CreateContainerConfigError',
    );
    await cs
      .resource<ConfigMap>('configmaps')
      .create({ metadata: { name: 'settings', namespace: 'default' }, data: { color: 'teal' } } as ConfigMap);
    await waitFor('Running', async () => (await getPod('cfg')).status?.phase === 'Running');
    expect(cri.containersNamed('c')[0]!.config.envs.map((e) => `${e.key}=${e.value.toString()}`)).toEqual([
      'COLOR=teal',
    ]);
  });

  it("updates a running pod's ConfigMap volume when the ConfigMap changes (atomically, via ..data)", async () => {
    const cms = cs.resource<ConfigMap>('configmaps');
    await cms.create({
      metadata: { name: 'conf', namespace: 'default' },
      data: { color: 'red' },
    } as ConfigMap);
    await create(
      makePod('vol', [{ name: 'c', image: 'busybox:1.36' }], {
        volumes: [{ name: 'cfg', configMap: { name: 'conf' } }],
      }),
    );
    await waitFor('Running', async () => (await getPod('vol')).status?.phase === 'Running');
    const uid = (await getPod('vol')).metadata.uid!;
    const volDir = join(dir, 'pods', uid, 'volumes', 'kubernetes.io~configmap', 'cfg');
    const read = () => readFile(join(volDir, 'color'), 'utf8').catch(() => '');
    expect(await read()).toBe('red');
    const firstData = await readlink(join(volDir, '..data'));
    // Unchanged content is not rewritten on the next syncs.
    await new Promise((r) => setTimeout(r, 500));
    expect(await readlink(join(volDir, '..data'))).toBe(firstData);
    const cm = await cms.get('default', 'conf');
    await cms.update({ ...cm, data: { color: 'blue', size: 'xl' } });
    await waitFor('new content', async () => (await read()) === 'blue');
    expect(await readFile(join(volDir, 'size'), 'utf8')).toBe('xl');
    expect(await readlink(join(volDir, '..data'))).not.toBe(firstData);
    expect(cri.containersNamed('c')).toHaveLength(1); // no restart
  });

  it('restarts a crashing container with growing back-off and shows CrashLoopBackOff', async () => {
    await create(makePod('crash', [{ name: 'c', image: 'busybox:1.36' }]));
    await waitFor('first start', () => cri.containersNamed('c').length === 1);
    cri.exitContainer(cri.containersNamed('c')[0]!.status.id, 1);
    await waitFor('restart 1', () =>
      cri.containersNamed('c').some((x) => x.status.metadata?.attempt === 1 && x.status.state === 1),
    );
    const second = cri.containersNamed('c').find((x) => x.status.metadata?.attempt === 1)!;
    cri.exitContainer(second.status.id, 1);
    const p = await waitFor('CrashLoopBackOff', async () => {
      const pod = await getPod('crash');
      return pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'
        ? pod
        : undefined;
    });
    const st = p.status!.containerStatuses![0]!;
    expect(st.restartCount).toBe(1);
    expect(st.state!.waiting!.message).toMatch(
      /^back-off 0s restarting failed container=c pod=crash_default\(/,
    );
    expect(st.lastState!.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const backOff = await waitFor('BackOff event', async () =>
      (await cs.resource<Event>('events').list('default')).items.find(
        (e) => e.reason === 'BackOff' && e.involvedObject.name === 'crash',
      ),
    );
    expect(backOff.type).toBe('Warning');
    expect(backOff.message).toMatch(/^Back-off restarting failed container c in pod crash_default\(/);
    await waitFor('restart 2 after back-off', () =>
      cri.containersNamed('c').some((x) => x.status.metadata?.attempt === 2),
    );
    const pod = await waitFor('restartCount 2', async () => {
      const x = await getPod('crash');
      return x.status?.containerStatuses?.[0]?.restartCount === 2 ? x : undefined;
    });
    expect(pod.status?.phase).toBe('Running');
  });

  it('ends a Never pod whose container exits 1 as Failed and stops its sandbox', async () => {
    await create(makePod('job', [{ name: 'c', image: 'busybox:1.36' }], { restartPolicy: 'Never' }));
    await waitFor('start', () => cri.containersNamed('c').length === 1);
    cri.exitContainer(cri.containersNamed('c')[0]!.status.id, 1);
    const pod = await waitFor('Failed', async () => {
      const x = await getPod('job');
      return x.status?.phase === 'Failed' ? x : undefined;
    });
    expect(pod.status!.containerStatuses![0]!.state!.terminated).toMatchObject({
      exitCode: 1,
      reason: 'Error',
    });
    await waitFor('sandbox stopped', () => [...cri.sandboxes.values()].every((s) => s.status.state === 1));
    expect(cri.containersNamed('c')).toHaveLength(1);
  });

  it('deletes gracefully: stops containers, writes final status, deletes with grace 0 and a uid precondition', async () => {
    await create(
      makePod('gone', [{ name: 'c', image: 'busybox:1.36' }], { terminationGracePeriodSeconds: 7 }),
    );
    const running = await waitFor('Running', async () => {
      const x = await getPod('gone');
      return x.status?.phase === 'Running' ? x : undefined;
    });
    await pods().delete('default', 'gone');
    await waitFor('pod object deleted', async () => {
      try {
        await getPod('gone');
        return false;
      } catch {
        return true;
      }
    });
    expect(cri.calls).toContain('stopContainer c 7');
    const del = cs.actions.filter(
      (a) => a.verb === 'delete' && a.resource === 'pods' && a.deleteOptions?.gracePeriodSeconds === 0,
    );
    expect(del[0]!.deleteOptions!.preconditions).toEqual({ uid: running.metadata.uid });
    await waitFor('sandbox removed', () => cri.sandboxes.size === 0);
  });

  it("removes orphaned sandboxes of pods that no longer exist, but not another node's", async () => {
    const sandbox = (name: string, node: string) =>
      cri.runPodSandbox({
        metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
        hostname: name,
        logDirectory: '',
        portMappings: [],
        labels: {
          [POD_UID_LABEL]: `uid-${name}`,
          [KUBELET_MANAGED_LABEL]: 'true',
          [KUBELET_NODE_LABEL]: node,
        },
        annotations: {},
      });
    const mine = await sandbox('old', 'n1');
    const theirs = await sandbox('other', 'n2');
    expect(await k.kubelet.cleanupOrphans()).toBe(1);
    expect(cri.sandboxes.has(mine)).toBe(false);
    expect(cri.sandboxes.has(theirs)).toBe(true);
  });

  it('reports ErrImagePull and then ImagePullBackOff for an image that cannot be pulled', async () => {
    cri.badImages.add('nosuch:1');
    await create(makePod('img', [{ name: 'c', image: 'nosuch:1' }]));
    const reasons = () =>
      cs.actions
        .filter((a) => a.verb === 'patch' && a.name === 'img')
        .map((a) => (a.patch as Pod).status?.containerStatuses?.[0]?.state?.waiting?.reason);
    await waitFor('ErrImagePull written', () => reasons().includes('ErrImagePull'));
    await waitFor(
      'ImagePullBackOff',
      async () =>
        (await getPod('img')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    const events = await waitFor('BackOff event', async () => {
      const items = (await cs.resource<Event>('events').list('default')).items.filter(
        (e) => e.involvedObject.name === 'img',
      );
      return items.some((e) => e.reason === 'BackOff') ? items : undefined;
    });
    expect(events.find((e) => e.reason === 'BackOff')).toMatchObject({
      type: 'Normal',
      message: 'Back-off pulling image "nosuch:1"',
    });
    expect(events.map((e) => e.message)).toEqual(
      expect.arrayContaining(['Error: ErrImagePull', 'Error: ImagePullBackOff']),
    );
  });

  it('adopts running pods after a kubelet restart without recreating them, and removes pods deleted meanwhile', async () => {
    await create(makePod('keep', [{ name: 'c', image: 'busybox:1.36' }]));
    await create(makePod('drop', [{ name: 'c', image: 'busybox:1.36' }]));
    await waitFor(
      'both Running',
      async () =>
        (await getPod('keep')).status?.phase === 'Running' &&
        (await getPod('drop')).status?.phase === 'Running',
    );
    await k.stop(); // pods keep running in the runtime
    const creates = cri.calls.filter((c) => c.startsWith('createContainer')).length;
    // "drop" disappears while the kubelet is down (force delete)
    await pods().delete('default', 'drop', { gracePeriodSeconds: 0 });
    k = await startKubelet(
      {
        nodeName: 'n1',
        runtime: cri,
        rootDir: dir,
        nodeIp: '192.168.50.2',
        port: 0,
        address: '127.0.0.1',
        disableCni: true,
        relistMs: 30,
        resyncMs: 200,
        logger: silentLogger,
      },
      cs,
    );
    await waitFor(
      'orphan sandbox removed',
      () => [...cri.sandboxes.values()].every((sb) => sb.status.metadata?.name !== 'drop'),
      10_000,
    );
    expect([...cri.sandboxes.values()].filter((sb) => sb.status.metadata?.name === 'keep')).toHaveLength(1);
    expect(cri.calls.filter((c) => c.startsWith('createContainer')).length).toBe(creates);
    expect((await getPod('keep')).status?.phase).toBe('Running');
  });

  it('runs preStop hooks before stopping containers on deletion', async () => {
    await create(
      makePod(
        'hooked',
        [
          {
            name: 'c',
            image: 'busybox:1.36',
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo bye'] } } },
          },
        ],
        { terminationGracePeriodSeconds: 5 },
      ),
    );
    await waitFor('Running', async () => (await getPod('hooked')).status?.phase === 'Running');
    await pods().delete('default', 'hooked');
    await waitFor('stopped', () => cri.calls.some((c) => c.startsWith('stopContainer c')));
    const hook = cri.calls.indexOf('execSync sh -c echo bye');
    const stop = cri.calls.findIndex((c) => c.startsWith('stopContainer c'));
    expect(hook).toBeGreaterThanOrEqual(0);
    expect(hook).toBeLessThan(stop);
  });

  it('fails a pod that outlives spec.activeDeadlineSeconds with reason DeadlineExceeded', async () => {
    await create(makePod('deadline', [{ name: 'c', image: 'busybox:1.36' }], { activeDeadlineSeconds: 1 }));
    const p = await waitFor('DeadlineExceeded', async () => {
      const x = await getPod('deadline');
      return x.status?.phase === 'Failed' ? x : undefined;
    });
    expect(p.status).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
    });
    await waitFor('sandbox stopped', () => [...cri.sandboxes.values()].every((s) => s.status.state === 1));
  });

  it('re-lists and re-watches after the pod watch breaks', async () => {
    await waitFor('watching', () => cs.watchCount('pods') > 0);
    cs.breakWatches('pods');
    await create(makePod('after-break', [{ name: 'c', image: 'busybox:1.36' }]));
    await waitFor(
      'Running after re-watch',
      async () => (await getPod('after-break')).status?.phase === 'Running',
    );
  });

  it('uses a present image when pulling it (policy Always) fails, and does not retry the pull for every container', async () => {
    cri.images.add('offline:latest');
    cri.badImages.add('offline:latest');
    await create(makePod('off1', [{ name: 'c', image: 'offline:latest' }]));
    await waitFor('off1 Running', async () => (await getPod('off1')).status?.phase === 'Running');
    await create(makePod('off2', [{ name: 'c', image: 'offline:latest' }]));
    await waitFor('off2 Running', async () => (await getPod('off2')).status?.phase === 'Running');
    expect(cri.calls.filter((c) => c === 'pullImage offline:latest')).toHaveLength(1);
  });

  it('removes every pod sandbox (several at a time) on stop({ removePods })', async () => {
    for (const name of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10'])
      await create(makePod(name, [{ name: 'c', image: 'busybox:1.36' }]));
    await waitFor('10 sandboxes running', async () => cri.sandboxes.size === 10);
    await k.stop({ removePods: true });
    expect(cri.sandboxes.size).toBe(0);
    expect(cri.calls.filter((c) => c.startsWith('removePodSandbox'))).toHaveLength(10);
  });
});
