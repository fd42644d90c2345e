// Shared setup for the kubelet's root-only integration tests: a real apiserver (in memory), a
// real keelson-cri runtime on a temp root with the busybox image imported, real CNI plugins on a
// uniquely named bridge, and the kubelet under test. Everything is removed in cleanup().
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Namespace } from '@keelson/api';
import { startApiServer, type RunningApiServer } from '@keelson/apiserver';
import { createClientset, isAlreadyExists, type Clientset } from '@keelson/client';
import { buildBusyboxImage, startCriServer, type RunningCriServer } from '@keelson/cri-runtime';
import { removeIdlePortmapChains } from '../src/cni/cni';
import { startKubelet, type KubeletHandle, type KubeletOptions } from '../src/kubelet';
import { silentLogger } from '../src/util/log';

/** True when running as root. */
export const isRoot = process.getuid?.() === 0;

/** `describe` that skips with a printed reason when not root. */
export function describeRoot(name: string, fn: () => void): void {
  if (!isRoot) {
    console.log(`skipped: ${name}: needs root`);
    describe.skip(name, fn);
  } else describe(name, fn);
}

/** Removes a cgroup v1 directory tree `rel` (e.g. "/kt-123") from every mounted hierarchy. */
export function removeCgroupTree(rel: string): void {
  const base = '/sys/fs/cgroup';
  if (!existsSync(base)) return;
  const rmTree = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      try {
        if (statSync(p).isDirectory()) rmTree(p);
      } catch {
        /* gone */
      }
    }
    try {
      rmdirSync(dir);
    } catch {
      /* busy or gone */
    }
  };
  for (const h of readdirSync(base)) rmTree(join(base, h, rel));
}

/** A running test node: apiserver + runtime + kubelet. */
export interface TestNode {
  api: RunningApiServer;
  cs: Clientset;
  cri: RunningCriServer;
  kubelet: KubeletHandle;
  dir: string;
  bridge: string;
  podCidr: string;
  busyboxRef: string;
  cleanup(): Promise<void>;
}

/** Starts apiserver, keelson-cri and a kubelet named `nodeName` with CNI on a unique bridge. */
export async function startTestNode(
  nodeName: string,
  extra: Partial<KubeletOptions> = {},
): Promise<TestNode> {
  const dir = await mkdtemp(join(tmpdir(), 'kt-kubelet-'));
  const pid = process.pid;
  const bridge = `ktb${pid % 100000}`;
  const podCidr = `10.233.${pid % 250}.0/24`;
  const cgroupRoot = `/kt-kubelet-${pid}`;
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch (e) {
        console.log(`cleanup: ${(e as Error).message}`);
      }
    }
  };
  try {
    const api = await startApiServer({ storage: 'memory', bindAddress: '127.0.0.1' });
    cleanups.push(() => api.close());
    const cs = createClientset({ grpcAddress: api.grpcAddress });
    cleanups.push(() => cs.close());
    for (const ns of ['default', 'kube-node-lease', 'kube-system']) {
      await cs
        .resource<Namespace>('namespaces')
        .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
        .catch((e) => {
          if (!isAlreadyExists(e)) throw e;
        });
    }
    const criRoot = join(dir, 'cri');
    const cri = await startCriServer({
      root: criRoot,
      listen: `unix://${join(dir, 'cri.sock')}`,
      ociRuntime: 'runc',
      cgroupRoot,
    });
    cleanups.push(async () => {
      const rt = cri.runtime;
      for (const s of rt.listPodSandbox()) await rt.removePodSandbox(s.id).catch(() => undefined);
      await cri.close();
      const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'])
        .stdout.toString()
        .split('\n')
        .filter((m) => m.startsWith(dir));
      for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
      removeCgroupTree(cgroupRoot);
    });
    const img = await buildBusyboxImage(join(dir, 'busybox-oci'));
    await cri.runtime.images.importImage(img.dir, img.ref);
    cleanups.push(() => {
      spawnSync('ip', ['link', 'del', bridge]);
      removeIdlePortmapChains();
    });
    const kubelet = await startKubelet(
      {
        nodeName,
        containerRuntimeEndpoint: `unix://${join(dir, 'cri.sock')}`,
        rootDir: join(dir, 'kubelet'),
        podCidr,
        nodeIp: '127.0.0.1',
        clusterDns: ['10.96.0.10'],
        port: 0,
        address: '127.0.0.1',
        cniBridge: bridge,
        backoffInitialMs: 1000,
        resyncMs: 2000,
        logger: silentLogger,
        ...extra,
      },
      cs,
    );
    // stop the kubelet's loops, then remove every pod sandbox it manages (CNI DEL first)
    cleanups.push(() => kubelet.stop({ removePods: true }));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // rm must run last: move it to the front of the reversed order
    const last = cleanups.pop()!;
    cleanups.unshift(last);
    return { api, cs, cri, kubelet, dir, bridge, podCidr, busyboxRef: img.ref, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
