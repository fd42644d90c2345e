import { linuxResources, milliCpuToQuota, milliCpuToShares } from './resources';

describe('container resources → CRI', () => {
  it('maps CPU requests to shares (min 2) and limits to quota over a 100 ms period', () => {
    expect(milliCpuToShares(0)).toBe(2);
    expect(milliCpuToShares(1)).toBe(2);
    expect(milliCpuToShares(250)).toBe(256);
    expect(milliCpuToShares(1000)).toBe(1024);
    expect(milliCpuToQuota(500)).toBe(50_000);
    expect(milliCpuToQuota(1)).toBe(1000);
    expect(milliCpuToQuota(0)).toBe(0);
  });

  it('builds LinuxContainerResources', () => {
    const r = linuxResources({
      resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '128Mi' } },
    });
    expect(r).toMatchObject({
      cpuShares: 256n,
      cpuQuota: 50_000n,
      cpuPeriod: 100_000n,
      memoryLimitInBytes: 134_217_728n,
    });
    const onlyLimit = linuxResources({ resources: { limits: { cpu: '1' } } });
    expect(onlyLimit.cpuShares).toBe(1024n);
    const none = linuxResources({});
    expect(none).toMatchObject({ cpuShares: 2n, cpuQuota: 0n, cpuPeriod: 0n, memoryLimitInBytes: 0n });
  });
});
