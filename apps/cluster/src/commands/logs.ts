/**
 * `keelson logs COMPONENT [-f] [--tail N] [--json]`: a component's log file. The files hold pino
 * JSON lines; by default each is printed readable on one line (time, level, component, message,
 * fields) by pino-pretty, `--json` prints them as stored.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { prettyFactory } from 'pino-pretty';
import { ClusterPaths } from '../paths';
import { CliError } from '../errors';

/** Options of {@link logs}. */
export interface LogsOptions {
  dataDir: string;
  /** Log name: `apiserver`, `scheduler`, `kubelet-node1`, ... (a file `logs/<name>.log`). */
  component: string;
  /** Keep printing lines as they are written (like `tail -F`). */
  follow: boolean;
  /** Lines from the end to start with; -1 for the whole file. */
  tail: number;
  /** Print the stored JSON lines instead of the readable form. */
  json?: boolean;
}

/** A function turning one stored log line into its readable one-line form (non-JSON lines pass through). */
export function logLineFormatter(): (line: string) => string {
  const pretty = prettyFactory({
    colorize: false,
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return (line) => {
    if (!line.startsWith('{')) return line;
    return pretty(line).replace(/\n$/, '');
  };
}

/** Prints (or follows) the log; @throws CliError for an unknown component. */
export async function logs(opts: LogsOptions): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const file = paths.log(opts.component);
  if (!existsSync(file)) {
    const known = existsSync(paths.logs)
      ? readdirSync(paths.logs)
          .filter((f) => f.endsWith('.log'))
          .map((f) => f.replace(/\.log$/, ''))
          .sort()
          .join(', ')
      : '';
    throw new CliError(`no log for "${opts.component}"${known ? ` (known: ${known})` : ''}`);
  }
  const args = ['-n', opts.tail < 0 ? '+1' : String(opts.tail)];
  if (opts.follow) args.push('-F');
  const tail = spawn('tail', [...args, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const format = opts.json ? (l: string) => l : logLineFormatter();
  const lines = createInterface({ input: tail.stdout });
  lines.on('line', (line) => {
    if (!process.stdout.write(`${format(line)}\n`)) {
      lines.pause();
      process.stdout.once('drain', () => lines.resume());
    }
  });
  const stop = () => tail.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.stdout.on('error', stop); // e.g. piped into `head`
  await new Promise<void>((resolve) => tail.on('close', () => resolve()));
}
