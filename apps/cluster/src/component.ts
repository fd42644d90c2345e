/** A supervised child process, shared by `--split`, the store members and containerd. */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import type { Logger } from 'pino';

/**
 * One supervised component process: restarted with backoff (1 s doubling to 60 s, from 1 s again
 * after a minute of running) whenever it exits, until {@link Component.stop}. `onPid` sees each
 * new child's PID.
 */
export class Component {
  private child?: ChildProcess;
  private stopped = false;
  private attempt = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    private readonly argv: string[],
    private readonly logFile: string,
    private readonly log: Logger,
    private readonly onPid?: (pid: number | undefined) => void,
  ) {}

  start(): void {
    if (this.stopped) return;
    const out = openSync(this.logFile, 'a');
    const child = spawn(this.argv[0], this.argv.slice(1), { stdio: ['ignore', out, out] });
    this.child = child;
    this.onPid?.(child.pid);
    const startedAt = Date.now();
    child.on('exit', (code, signal) => {
      if (this.stopped) return;
      this.attempt = Date.now() - startedAt > 60_000 ? 0 : this.attempt + 1;
      const delay = Math.min(60_000, 1000 * 2 ** this.attempt);
      this.log.warn(
        { component: this.name, code, signal, restartInMs: delay },
        'component exited; restarting',
      );
      this.timer = setTimeout(() => this.start(), delay);
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 60_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill('SIGTERM');
    });
  }
}
