/**
 * What the cluster suites share: the `keelson` wrapper at the repo root, the root and command
 * checks their skip decisions use, a free loopback port, a kubectl bound to a kubeconfig, and
 * polling for a condition with a deadline.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** execFile as a promise (rejects on a non-zero exit, with stdout/stderr on the error). */
export const run = promisify(execFile);

/** The repo's `./keelson` wrapper (runs the CLI from source). */
export const keelson = join(__dirname, '../../..', 'keelson');

/** True when the tests run as root (CI does). */
export const isRoot = process.getuid?.() === 0;

/** True when `cmd` is on the PATH. */
export const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** A loopback TCP port free at the moment of asking (for --api-port / --grpc-port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The real kubectl against `kubeconfig`; resolves with its stdout. `timeoutMs` ends a hung call. */
export function kubectlFor(kubeconfig: string, timeoutMs = 120_000, extra: string[] = []) {
  return async (...args: string[]) =>
    (await run('kubectl', ['--kubeconfig', kubeconfig, ...extra, ...args], { timeout: timeoutMs })).stdout;
}

/**
 * Polls `fn` every `intervalMs` until it returns something truthy (a thrown error counts as not
 * yet) and resolves with it; rejects with "timed out: <what>" after `ms`.
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  ms = 60_000,
  intervalMs = 500,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
