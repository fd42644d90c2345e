/**
 * Runs the rule tools (nft, iptables-restore) with a script on stdin, optionally inside a
 * network namespace (`ip netns exec NAME ...`), so a proxy can program a node's namespace.
 */
import { spawn } from 'node:child_process';
import { ProxyApplyError } from './errors';

/** Where and how rule tools run. */
export interface ExecTarget {
  /** Network namespace name under /var/run/netns; undefined for the current one. */
  netns?: string;
}

/**
 * Runs `cmd args` (inside the target's netns) with `input` on stdin.
 * @returns stdout
 * @throws ProxyApplyError with the tool's stderr when it exits non-zero
 */
export function runTool(target: ExecTarget, cmd: string, args: string[], input = ''): Promise<string> {
  const argv = target.netns ? ['ip', 'netns', 'exec', target.netns, cmd, ...args] : [cmd, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new ProxyApplyError(`${argv.join(' ')}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else
        reject(
          new ProxyApplyError(
            `${argv.slice(0, target.netns ? 6 : 2).join(' ')} exited ${code}: ${err.trim()}`,
          ),
        );
    });
    // A tool that exits without reading stdin (iptables-save) must not fail the call with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
