import type { MachineInfo } from './node-info';
import { parseMeminfo } from './node-info';
import {
  initialNode,
  nodeConditions,
  nodeResources,
  nodeStatusChanged,
  type NodeOptions,
} from './node-status';

const GI = 2 ** 30;
const m: MachineInfo = {
  cpus: 4,
  memoryBytes: 8 * GI,
  memoryAvailableBytes: 4 * GI,
  fsCapacityBytes: 100 * GI,
  fsAvailableBytes: 50 * GI,
  machineID: 'mid',
  systemUUID: 'uuid',
  bootID: 'boot',
  kernelVersion: '6.1.0',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  architecture: 'amd64',
};
const o: NodeOptions = {
  nodeName: 'n1',
  nodeIp: '10.0.0.2',
  hostname: 'host1',
  podCidr: '10.244.1.0/24',
  port: 10250,
  maxPods: 110,
  labels: { 'node-role.kubernetes.io/worker': '' },
  reserved: { cpu: '500m', memory: '1Gi' },
};
const h = { runtimeName: 'keelson', runtimeVersion: '0.1.0', notReadyReason: '' };

describe('node status', () => {
  it('parses /proc/meminfo', () => {
    expect(
      parseMeminfo('MemTotal:       16318028 kB\nMemAvailable:    8000000 kB\nHugePages_Total:       0\n'),
    ).toEqual({ MemTotal: 16318028, MemAvailable: 8000000, HugePages_Total: 0 });
  });

  it('computes capacity and allocatable minus reserved and eviction thresholds', () => {
    const r = nodeResources(m, o);
    expect(r.capacity).toEqual({
      cpu: '4',
      'ephemeral-storage': `${100 * 1024 * 1024}Ki`,
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: `${8 * 1024 * 1024}Ki`,
      pods: '110',
    });
    expect(r.allocatable.cpu).toBe('3500m');
    expect(r.allocatable.memory).toBe(`${(8 * GI - GI - 100 * 2 ** 20) / 1024}Ki`);
    expect(r.allocatable['ephemeral-storage']).toBe(String(Math.floor(100 * GI * 0.9)));
  });

  it('builds the Node with labels, addresses, podCIDR, nodeInfo and daemon endpoint', () => {
    const n = initialNode(m, o, h, Date.UTC(2026, 0, 1));
    expect(n.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'n1',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'node-role.kubernetes.io/worker': '',
    });
    expect(n.spec).toEqual({ podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] });
    expect(n.status!.addresses).toEqual([
      { type: 'InternalIP', address: '10.0.0.2' },
      { type: 'Hostname', address: 'host1' },
    ]);
    expect(n.status!.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(n.status!.nodeInfo).toMatchObject({
      kubeletVersion: 'v1.32.0-keelson',
      containerRuntimeVersion: 'keelson://0.1.0',
      operatingSystem: 'linux',
      architecture: 'amd64',
      kernelVersion: '6.1.0',
    });
    expect(n.status!.conditions!.map((c) => `${c.type}=${c.status}:${c.reason}`)).toEqual([
      'MemoryPressure=False:KubeletHasSufficientMemory',
      'DiskPressure=False:KubeletHasNoDiskPressure',
      'PIDPressure=False:KubeletHasSufficientPID',
      'Ready=True:KubeletReady',
    ]);
  });

  it('flips Ready to False when the runtime is down and keeps transition times otherwise', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const c0 = nodeConditions(m, h, t0);
    const c1 = nodeConditions(m, h, t0 + 60_000, c0);
    expect(c1.find((c) => c.type === 'Ready')).toMatchObject({
      lastTransitionTime: '2026-01-01T00:00:00Z',
      lastHeartbeatTime: '2026-01-01T00:01:00Z',
    });
    const c2 = nodeConditions(m, { ...h, notReadyReason: 'container runtime is down' }, t0 + 120_000, c1);
    expect(c2.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'KubeletNotReady',
      lastTransitionTime: '2026-01-01T00:02:00Z',
    });
    const pressure = nodeConditions(
      { ...m, memoryAvailableBytes: 50 * 2 ** 20, fsAvailableBytes: 5 * GI },
      h,
      t0,
    );
    expect(pressure.filter((c) => c.status === 'True').map((c) => c.type)).toEqual([
      'MemoryPressure',
      'DiskPressure',
      'Ready',
    ]);
  });

  it('detects changes other than heartbeats', () => {
    const a = initialNode(m, o, h, 0).status!;
    const b = initialNode(m, o, h, 60_000).status!;
    expect(nodeStatusChanged(a, b)).toBe(true); // transition times differ when no old status given
    const c = { ...b, conditions: nodeConditions(m, h, 120_000, b.conditions) };
    expect(nodeStatusChanged(b, c)).toBe(false);
  });
});
