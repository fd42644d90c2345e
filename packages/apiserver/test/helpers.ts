// Test helpers: an apiserver on loopback with a temp kubeconfig, and a kubectl runner.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServerOptions, type RunningApiServer } from '../src';

export const KUBECTL = '/usr/bin/kubectl';

export interface TestServer {
  server: RunningApiServer;
  dir: string;
  kubeconfig: string;
  kubectl(
    args: string[],
    stdin?: string,
    extraEnv?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  spawnKubectl(args: string[]): ChildProcess;
  writeFile(name: string, content: string): string;
  close(): Promise<void>;
}

export async function startTestServer(opts: ApiServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), `kas-${process.pid}-`));
  const kubeconfig = join(dir, 'kubeconfig');
  const server = await startApiServer({
    storage: 'memory',
    kubeconfigOut: kubeconfig,
    compactionIntervalMs: 0,
    ...opts,
  });
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir };
  return {
    server,
    dir,
    kubeconfig,
    kubectl(args, stdin, extraEnv) {
      return new Promise((resolve) => {
        const child = execFile(
          KUBECTL,
          ['--kubeconfig', kubeconfig, ...args],
          { env: { ...env, ...extraEnv }, timeout: 30000 },
          (err, stdout, stderr) => {
            const code = err
              ? (((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1)
              : 0;
            resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
          },
        );
        if (stdin !== undefined) {
          child.stdin!.write(stdin);
          child.stdin!.end();
        }
      });
    },
    spawnKubectl(args) {
      return spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    },
    writeFile(name, content) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns truthy or the deadline passes. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 10000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
