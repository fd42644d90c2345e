/**
 * Container resources → CRI LinuxContainerResources, as the kubelet's kuberuntime does on Linux
 * with cgroup v1 (kuberuntime_container_linux.go: milliCPUToShares, milliCPUToQuota).
 */
import type { Container } from '@keelson/api';
import type { LinuxContainerResources } from '../cri/cri-api';
import { milliCpu, wholeUnits } from '../util/quantity';

/** CFS period, µs (quotaPeriod in the kubelet). */
export const CPU_PERIOD_US = 100_000;
/** Minimum cpu.shares (MinShares). */
export const MIN_SHARES = 2;
/** Minimum CFS quota, µs (MinQuotaPeriod). */
export const MIN_QUOTA_US = 1000;

/** cpu.shares from a CPU request in millicores: milli*1024/1000, at least 2 (2 when no request). */
export function milliCpuToShares(milli: number): number {
  if (milli <= 0) return MIN_SHARES;
  return Math.max(MIN_SHARES, Math.floor((milli * 1024) / 1000));
}

/** CFS quota (µs per {@link CPU_PERIOD_US}) from a CPU limit in millicores; 0 means unlimited. */
export function milliCpuToQuota(milli: number, periodUs = CPU_PERIOD_US): number {
  if (milli <= 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milli * periodUs) / 1000));
}

/**
 * Linux resources of one container. CPU request defaults to the limit when only a limit is set
 * (API defaulting); memory limit in bytes (0 = unlimited).
 */
export function linuxResources(c: Pick<Container, 'resources'>): LinuxContainerResources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpuReq = req.cpu !== undefined ? milliCpu(req.cpu) : lim.cpu !== undefined ? milliCpu(lim.cpu) : 0;
  const cpuLim = lim.cpu !== undefined ? milliCpu(lim.cpu) : 0;
  const memLim = lim.memory !== undefined ? wholeUnits(lim.memory) : 0;
  return {
    cpuPeriod: BigInt(cpuLim > 0 ? CPU_PERIOD_US : 0),
    cpuQuota: BigInt(milliCpuToQuota(cpuLim)),
    cpuShares: BigInt(milliCpuToShares(cpuReq)),
    memoryLimitInBytes: BigInt(memLim),
    oomScoreAdj: 0n,
    cpusetCpus: '',
    cpusetMems: '',
    hugepageLimits: [],
    unified: {},
    memorySwapLimitInBytes: BigInt(memLim),
  };
}
