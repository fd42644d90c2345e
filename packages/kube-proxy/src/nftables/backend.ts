import type { ProxyBackend } from '../backend';
import { runTool, type ExecTarget } from '../exec';
import type { ServicePortInfo } from '../service-ports';
import { buildRuleset, renderCleanup, renderUpdate, type NftOptions, type Ruleset } from './ruleset';

/**
 * The nftables backend: owns one `ip` table and applies each sync with one atomic `nft -f`.
 * After a failed apply the next sync rewrites the whole table.
 */
export class NftablesBackend implements ProxyBackend {
  readonly mode = 'nftables';
  private applied?: Ruleset;

  constructor(
    private readonly opts: NftOptions,
    private readonly target: ExecTarget = {},
  ) {}

  async sync(ports: ServicePortInfo[]): Promise<number> {
    const next = buildRuleset(ports, this.opts);
    const script = renderUpdate(this.applied, next);
    if (!script) return 0;
    try {
      await runTool(this.target, 'nft', ['-f', '-'], script);
    } catch (err) {
      this.applied = undefined;
      throw err;
    }
    this.applied = next;
    return script.length;
  }

  async cleanup(): Promise<void> {
    await runTool(this.target, 'nft', ['-f', '-'], renderCleanup(this.opts.table));
    this.applied = undefined;
  }
}
