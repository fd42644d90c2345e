/**
 * Where a cluster keeps its files. One data dir per cluster (default per user:
 * `$XDG_DATA_HOME/keelson` or `~/.local/share/keelson`):
 * `kubeconfig`, `state.json` (ports, pids, nodes), `store/` (LevelDB), `logs/<component>.log`,
 * `images/<name>` (OCI layouts built at up), `nodes/<node>/` (runtime root, kubelet root, CRI socket).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The default data dir for this user. */
export function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'keelson');
}

/** Paths inside one data dir. */
export class ClusterPaths {
  constructor(readonly dataDir: string) {}
  get kubeconfig() {
    return join(this.dataDir, 'kubeconfig');
  }
  /** The apiserver's --token-auth-file (admin and join tokens, mode 0600). */
  get tokens() {
    return join(this.dataDir, 'tokens.csv');
  }
  get state() {
    return join(this.dataDir, 'state.json');
  }
  get store() {
    return join(this.dataDir, 'store');
  }
  get logs() {
    return join(this.dataDir, 'logs');
  }
  log(component: string) {
    return join(this.logs, `${component}.log`);
  }
  get images() {
    return join(this.dataDir, 'images');
  }
  node(name: string) {
    return join(this.dataDir, 'nodes', name);
  }
  criSocket(node: string) {
    return join(this.node(node), 'cri.sock');
  }
}
