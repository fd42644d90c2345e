import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { run, runOk } from './exec';

/** The namespace files of a pod sandbox (each a bind mount of /proc/<pid>/ns/<type>). */
export interface SandboxNamespaces {
  /** Network namespace file; undefined for host-network pods. */
  net?: string;
  ipc?: string;
  uts?: string;
}

/**
 * Creates a sandbox's persistent namespaces with util-linux `unshare --net=FILE --ipc=FILE
 * --uts=FILE`: each new namespace is bind-mounted onto its file, so it lives with no process in
 * it (the role the pause container plays for containerd) until {@link destroyNamespaces}. Inside,
 * it sets the hostname, brings `lo` up and applies sysctls (`net.*` and IPC `kernel.*` keys are
 * per-namespace).
 * @throws CommandError when unshare fails (nothing is left mounted).
 */
export async function createNamespaces(
  ns: SandboxNamespaces,
  hostname: string,
  sysctls: Record<string, string> = {},
): Promise<void> {
  const flags: string[] = [];
  for (const [type, file] of [
    ['net', ns.net],
    ['ipc', ns.ipc],
    ['uts', ns.uts],
  ] as const) {
    if (!file) continue;
    await mkdir(file.slice(0, file.lastIndexOf('/')) || '/', { recursive: true });
    await writeFile(file, '');
    flags.push(`--${type}=${file}`);
  }
  if (flags.length === 0) return;
  const script = [
    ns.uts && hostname ? 'hostname "$1" || exit 1' : '',
    ns.net ? '(ip link set lo up 2>/dev/null || ifconfig lo up)' : '',
    'shift',
    'for kv in "$@"; do k="${kv%%=*}"; v="${kv#*=}"; echo "$v" > "/proc/sys/$(echo "$k" | tr . /)" || exit 2; done',
  ]
    .filter(Boolean)
    .join('\n');
  const kv = Object.entries(sysctls).map(([k, v]) => `${k}=${v}`);
  try {
    await runOk('unshare', [...flags, '/bin/sh', '-c', script, 'sh', hostname, ...kv]);
  } catch (e) {
    await destroyNamespaces(ns);
    throw e;
  }
}

/** Unmounts and deletes the namespace files. Idempotent. */
export async function destroyNamespaces(ns: SandboxNamespaces & { pid?: string }): Promise<void> {
  for (const file of [ns.net, ns.ipc, ns.uts, ns.pid]) {
    if (!file || !existsSync(file)) continue;
    await run('umount', [file]);
    await rm(file, { force: true }).catch(async () => {
      await run('umount', ['-l', file]);
      await rm(file, { force: true });
    });
  }
}

/**
 * The first IPv4 address on `eth0` inside a network namespace (what CNI configured), or '' if
 * none.
 */
export async function podIp(netns: string, ifname = 'eth0'): Promise<string> {
  const r = await run('nsenter', [`--net=${netns}`, 'ip', '-4', '-o', 'addr', 'show', 'dev', ifname]);
  if (r.code !== 0) return '';
  const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout.toString());
  return m ? m[1] : '';
}

/** Interface counters (/proc/net/dev) inside a network namespace. */
export async function netDev(
  netns: string,
): Promise<Array<{ name: string; rxBytes: number; rxErrors: number; txBytes: number; txErrors: number }>> {
  const r = await run('nsenter', [`--net=${netns}`, 'cat', '/proc/net/dev']);
  if (r.code !== 0) return [];
  const out = [];
  for (const line of r.stdout.toString().split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    out.push({ name: m[1], rxBytes: f[0], rxErrors: f[2], txBytes: f[8], txErrors: f[10] });
  }
  return out;
}

/**
 * Starts the holder of a pod-wide PID namespace (`shareProcessNamespace`): a detached
 * `unshare --pid=FILE --fork --kill-child=SIGKILL sleep infinity`, whose `sleep` is PID 1 of the
 * new namespace (the pause container's role; it does not reap orphaned zombies). The namespace is
 * also bind-mounted on `file`, which containers join. Resolves once the bind mount exists.
 * @returns the pid of the `unshare` process (killing it kills the namespace's PID 1).
 * @throws Error when the namespace does not appear within 10 s (the holder is killed).
 */
export async function startPidHolder(file: string): Promise<number> {
  await writeFile(file, '');
  const child = spawn('unshare', [`--pid=${file}`, '--fork', '--kill-child=SIGKILL', 'sleep', 'infinity'], {
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  child.unref();
  const parentDev = statSync(dirname(file)).dev;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (statSync(file).dev !== parentDev) return child.pid!;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  if (child.pid) stopPidHolder(child.pid);
  throw new Error(`pod PID namespace holder did not start (unshare exit ${child.exitCode})`);
}

/** Kills a PID namespace holder started by {@link startPidHolder}. Idempotent. */
export function stopPidHolder(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
