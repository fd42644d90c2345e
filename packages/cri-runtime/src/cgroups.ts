import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

/**
 * True when memory and cpu controllers live on cgroup v1 hierarchies (this machine: hybrid
 * layout, PLATFORM.md); false on a pure cgroup v2 host.
 */
export function isCgroupV1(): boolean {
  return existsSync(join(ROOT, 'memory', 'memory.limit_in_bytes')) || existsSync(join(ROOT, 'memory'));
}

/** The directory holding the memory controller files for a cgroup path (`/a/b`). */
export function memoryCgroupDir(cgroupsPath: string): string {
  return isCgroupV1() ? join(ROOT, 'memory', cgroupsPath) : join(ROOT, cgroupsPath);
}

function readNum(path: string): number | undefined {
  try {
    const v = readFileSync(path, 'utf8').trim();
    return v === 'max' ? undefined : Number(v);
  } catch {
    return undefined;
  }
}

function readKeyed(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const [k, v] = line.split(' ');
      if (k && v !== undefined) out[k] = Number(v);
    }
  } catch {
    /* missing: empty */
  }
  return out;
}

/** Resource usage of one cgroup, in CRI units. */
export interface CgroupUsage {
  /** Cumulative CPU time, nanoseconds. */
  cpuUsageNs?: number;
  /** Bytes currently charged (including page cache). */
  memoryUsageBytes?: number;
  /** usage minus inactive file pages, bytes (what the kubelet evicts on). */
  workingSetBytes?: number;
  rssBytes?: number;
  /** Limit in bytes, undefined when unlimited. */
  memoryLimitBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
  /** Number of processes in the cgroup. */
  pids?: number;
}

/** Reads usage of a cgroup (v1: cpuacct + memory + pids controllers; v2: unified files). */
export function readUsage(cgroupsPath: string): CgroupUsage {
  if (isCgroupV1()) {
    const mem = join(ROOT, 'memory', cgroupsPath);
    const stat = readKeyed(join(mem, 'memory.stat'));
    const usage = readNum(join(mem, 'memory.usage_in_bytes'));
    const limit = readNum(join(mem, 'memory.limit_in_bytes'));
    const inactive = stat.total_inactive_file ?? stat.inactive_file ?? 0;
    return {
      cpuUsageNs:
        readNum(join(ROOT, 'cpuacct', cgroupsPath, 'cpuacct.usage')) ??
        readNum(join(ROOT, 'cpu,cpuacct', cgroupsPath, 'cpuacct.usage')),
      memoryUsageBytes: usage,
      workingSetBytes: usage === undefined ? undefined : Math.max(0, usage - inactive),
      rssBytes: stat.total_rss ?? stat.rss,
      memoryLimitBytes: limit !== undefined && limit < 2 ** 62 ? limit : undefined,
      pageFaults: stat.total_pgfault ?? stat.pgfault,
      majorPageFaults: stat.total_pgmajfault ?? stat.pgmajfault,
      pids: readNum(join(ROOT, 'pids', cgroupsPath, 'pids.current')),
    };
  }
  const dir = join(ROOT, cgroupsPath);
  const cpu = readKeyed(join(dir, 'cpu.stat'));
  const stat = readKeyed(join(dir, 'memory.stat'));
  const usage = readNum(join(dir, 'memory.current'));
  return {
    cpuUsageNs: cpu.usage_usec !== undefined ? cpu.usage_usec * 1000 : undefined,
    memoryUsageBytes: usage,
    workingSetBytes: usage === undefined ? undefined : Math.max(0, usage - (stat.inactive_file ?? 0)),
    rssBytes: stat.anon,
    memoryLimitBytes: readNum(join(dir, 'memory.max')),
    pageFaults: stat.pgfault,
    majorPageFaults: stat.pgmajfault,
    pids: readNum(join(dir, 'pids.current')),
  };
}

/**
 * Removes a cgroup directory (and empty children first) from every hierarchy. Directories still
 * holding processes are left (rmdir fails with EBUSY); returns the paths that could not be removed.
 */
export async function removeCgroup(cgroupsPath: string): Promise<string[]> {
  const left: string[] = [];
  const roots = isCgroupV1() ? readdirSync(ROOT).map((c) => join(ROOT, c)) : [ROOT];
  const rmTree = async (dir: string): Promise<void> => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) await rmTree(join(dir, e.name));
    await rmdir(dir).catch(() => left.push(dir));
  };
  for (const r of roots) {
    if (!cgroupsPath || cgroupsPath === '/') continue;
    await rmTree(join(r, cgroupsPath));
  }
  return left;
}
