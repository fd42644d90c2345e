import { mkdir, mkdtemp, rm, writeFile, rmdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run, runOk, RunResult } from '../exec';

/** Which OCI runtime binary runs containers. */
export type OciRuntimeName = 'runc' | 'crun';

/**
 * A thin wrapper over an OCI runtime CLI (runc or crun: the same command-line contract for
 * kill, delete, state, exec, update, run), with its state directory (`--root`).
 */
export class OciRuntime {
  /**
   * @param name runc or crun
   * @param root the runtime's own state directory (its `--root` flag)
   * @param bin binary path (default: the name, looked up in PATH)
   */
  constructor(
    readonly name: OciRuntimeName,
    readonly root: string,
    readonly bin: string = name,
  ) {}

  /** Whether `run --keep` exists (runc yes, crun 1.8 no): decides how the monitor reads OOM kills. */
  get supportsKeep(): boolean {
    return this.name === 'runc';
  }

  private base(): string[] {
    return ['--root', this.root];
  }

  /** Sends a signal (name without SIG, e.g. `TERM`, `KILL`) to the container's init process. */
  kill(id: string, signal: string): Promise<RunResult> {
    return run(this.bin, [...this.base(), 'kill', id, signal]);
  }

  /** Deletes the container's runtime state (force: kills it first). Errors are ignored. */
  async delete(id: string): Promise<void> {
    await run(this.bin, [...this.base(), 'delete', '--force', id]);
  }

  /** `state` as JSON, or undefined if the runtime does not know the container. */
  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    const r = await run(this.bin, [...this.base(), 'state', id]);
    if (r.code !== 0) return undefined;
    return JSON.parse(r.stdout.toString()) as { status: string; pid: number };
  }

  /** Argument vector (after the binary) for `exec` of `cmd` in a running container. */
  execArgs(id: string, cmd: string[], opts: { tty?: boolean; env?: string[] } = {}): string[] {
    const a = [...this.base(), 'exec'];
    if (opts.tty) a.push('--tty');
    for (const e of opts.env ?? []) a.push('--env', e);
    return [...a, id, ...cmd];
  }

  /** Applies new OCI linux.resources (JSON file) to a running container. */
  async update(id: string, resourcesFile: string): Promise<void> {
    await runOk(this.bin, [...this.base(), 'update', '--resources', resourcesFile, id]);
  }
}

/** Outcome of {@link probeRuntime}. */
export interface ProbeResult {
  ok: boolean;
  /** Why the runtime cannot run containers here (its own error line), when `ok` is false. */
  reason?: string;
}

/**
 * Tries to run a real container (`true` from the host busybox, with its own cgroup and
 * namespaces) with the given runtime. PLATFORM.md: crun 1.8 refuses the hybrid cgroup layout of
 * this machine ("cgroups in hybrid mode not supported"), so `auto` depends on this probe.
 * Leaves nothing behind (temp bundle, runtime state and cgroup removed).
 */
export async function probeRuntime(name: OciRuntimeName, busybox = '/bin/busybox'): Promise<ProbeResult> {
  const dir = await mkdtemp(join(tmpdir(), `keelson-probe-${name}-`));
  const id = `keelson-probe-${process.pid}-${Date.now()}`;
  const cgroup = `/keelson-probe-${process.pid}-${Date.now()}`;
  try {
    await mkdir(join(dir, 'rootfs'));
    await writeFile(join(dir, 'rootfs', 'true'), '');
    const spec = {
      ociVersion: '1.0.2',
      process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/true'], env: ['PATH=/'], cwd: '/' },
      root: { path: 'rootfs', readonly: true },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/true', type: 'bind', source: busybox, options: ['rbind', 'ro'] },
      ],
      linux: {
        namespaces: [
          { type: 'pid' },
          { type: 'mount' },
          { type: 'network' },
          { type: 'ipc' },
          { type: 'uts' },
        ],
        cgroupsPath: cgroup,
        resources: { memory: { limit: 64 * 1024 * 1024 } },
      },
    };
    await writeFile(join(dir, 'config.json'), JSON.stringify(spec));
    let r: RunResult;
    try {
      r = await run(name, ['--root', join(dir, 'state'), 'run', '--bundle', dir, id], { timeoutMs: 15000 });
    } catch (e) {
      return { ok: false, reason: `${name}: ${(e as Error).message}` };
    }
    await run(name, ['--root', join(dir, 'state'), 'delete', '--force', id]).catch(() => undefined);
    if (r.code === 0) return { ok: true };
    const err = r.stderr.toString().trim().split('\n').pop() ?? '';
    return { ok: false, reason: `${name} run exited ${r.code}: ${err}` };
  } finally {
    for (const c of [
      'memory',
      'cpu',
      'cpuacct',
      'pids',
      'blkio',
      'devices',
      'freezer',
      'cpuset',
      'hugetlb',
      'unified',
      '',
    ]) {
      const p = join('/sys/fs/cgroup', c, cgroup);
      if (existsSync(p)) await rmdir(p).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Picks the OCI runtime: `crun` or `runc` as asked, or for `auto` crun when
 * {@link probeRuntime} says it can run containers here, runc otherwise.
 * @returns the choice and, for auto, why crun was passed over.
 */
export async function chooseRuntime(
  want: 'auto' | OciRuntimeName,
): Promise<{ name: OciRuntimeName; note?: string }> {
  if (want !== 'auto') return { name: want };
  const p = await probeRuntime('crun');
  if (p.ok) return { name: 'crun' };
  return { name: 'runc', note: `crun unusable here (${p.reason}); using runc` };
}
