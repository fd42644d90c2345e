import { spawn } from 'node:child_process';
import { CommandError } from './errors';

/** Result of {@link run}. */
export interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  /** Exit code, or null when killed by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the process was killed because `timeoutMs` passed. */
  timedOut: boolean;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Bytes written to stdin, then stdin is closed. */
  input?: Buffer | string;
  /** Kill (SIGKILL) after this many milliseconds; 0 or undefined means no limit. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Runs a command to completion and collects its output. Never throws for a non-zero exit: the
 * caller inspects `code`. Throws only if the binary cannot be spawned (ENOENT).
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env, cwd: opts.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
    }
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code, signal, timedOut });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Runs a command and returns its stdout as text; throws {@link CommandError} (with the last lines
 * of stderr) on a non-zero exit.
 */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new CommandError(
      `${cmd} ${args.slice(0, 4).join(' ')}`,
      r.code,
      r.stderr.toString() || r.stdout.toString(),
    );
  }
  return r.stdout.toString();
}
