import type { ProxyBackend } from '../backend';
import { runTool, type ExecTarget } from '../exec';
import type { ServicePortInfo } from '../service-ports';
import { IPTABLES_JUMPS, renderIptables, type IptablesOptions } from './rules';

/**
 * The iptables backend: our KEELSON-* chains, rewritten on each sync with one
 * `iptables-restore --noflush` per sync (atomic per table), plus jump rules from the built-in
 * chains ensured idempotently. Uses whatever `iptables` is on the host (iptables-nft on Debian 12).
 */
export class IptablesBackend implements ProxyBackend {
  readonly mode = 'iptables';
  private chains: string[] = [];
  private lastScript = '';
  private jumpsEnsured = false;

  constructor(
    private readonly opts: IptablesOptions,
    private readonly target: ExecTarget = {},
  ) {}

  async sync(ports: ServicePortInfo[]): Promise<number> {
    const { script, chains } = renderIptables(ports, this.opts, this.chains);
    if (script === this.lastScript) return 0;
    await runTool(this.target, 'iptables-restore', ['--noflush', '-w', '5'], script);
    if (!this.jumpsEnsured) {
      await this.ensureJumps();
      this.jumpsEnsured = true;
    }
    this.chains = chains;
    this.lastScript = script;
    return script.length;
  }

  private async ensureJumps(): Promise<void> {
    for (const j of IPTABLES_JUMPS) {
      try {
        await runTool(this.target, 'iptables', ['-w', '5', '-t', j.table, '-C', j.chain, ...j.args]);
      } catch {
        await runTool(this.target, 'iptables', ['-w', '5', '-t', j.table, '-I', j.chain, '1', ...j.args]);
      }
    }
  }

  async cleanup(): Promise<void> {
    for (const j of IPTABLES_JUMPS) {
      // Remove every copy of our jump rule; -D fails once none is left.
      for (;;) {
        try {
          await runTool(this.target, 'iptables', ['-w', '5', '-t', j.table, '-D', j.chain, ...j.args]);
        } catch {
          break;
        }
      }
    }
    for (const table of ['nat', 'filter']) {
      const saved = await runTool(this.target, 'iptables-save', ['-t', table]).catch(() => '');
      const ours = [...saved.matchAll(/^:(KEELSON-[A-Z0-9-]+) /gm)].map((m) => m[1]);
      if (!ours.length) continue;
      const script = [
        `*${table}`,
        ...ours.map((c) => `:${c} - [0:0]`),
        ...ours.map((c) => `-X ${c}`),
        'COMMIT',
        '',
      ].join('\n');
      await runTool(this.target, 'iptables-restore', ['--noflush', '-w', '5'], script);
    }
    this.chains = [];
    this.lastScript = '';
    this.jumpsEnsured = false;
  }
}
