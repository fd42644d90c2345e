/** `keelson logs COMPONENT [-f]`: a component's log file (pino JSON lines), optionally followed. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { ClusterPaths } from '../paths';
import { CliError } from '../errors';

/** Prints (or follows) the log; @throws CliError for an unknown component. */
export async function logs(opts: { dataDir: string; component: string; follow: boolean }): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const file = paths.log(opts.component);
  if (!existsSync(file)) {
    const known = existsSync(paths.logs)
      ? readdirSync(paths.logs)
          .map((f) => f.replace(/\.log$/, ''))
          .join(', ')
      : '';
    throw new CliError(`no log for "${opts.component}"${known ? ` (known: ${known})` : ''}`);
  }
  await new Promise<void>((resolve) => {
    const p = spawn('tail', opts.follow ? ['-n', '200', '-F', file] : ['-n', '200', file], {
      stdio: 'inherit',
    });
    p.on('exit', () => resolve());
  });
}
