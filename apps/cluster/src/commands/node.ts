/**
 * `keelson node stop|start|list`: simulate a node failure and recovery. `stop` kills the node's
 * agent process (kubelet, proxy, runtime server: its containers keep running, as on a node that
 * lost its kubelet) and, for a node with its own namespace, cuts its network link, without telling
 * the control plane; `start` reconnects it and lets the supervisor restart its agents.
 */
import { ClusterPaths } from '../paths';
import { readState, updateState } from '../state';
import { setNodeLink } from '../host';
import { CliError } from '../errors';
import { containerdLayout, killStaleContainerd } from '../containerd';

/** Runs `keelson node <action> <name>`. @throws CliError for an unknown node or a stopped cluster */
export async function nodeAction(opts: {
  dataDir: string;
  action: 'stop' | 'start' | 'list';
  name?: string;
}): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const state = readState(paths.state);
  if (!state) throw new CliError('keelson is not running');
  if (opts.action === 'list') {
    for (const n of state.nodes)
      console.log(`${n.name}\t${n.ip}\t${n.podCIDR}\t${n.stopped ? 'stopped' : 'running'}`);
    return;
  }
  const index = state.nodes.findIndex((n) => n.name === opts.name);
  if (index < 0)
    throw new CliError(`no node named "${opts.name}" (nodes: ${state.nodes.map((n) => n.name).join(', ')})`);
  const node = state.nodes[index];
  if (opts.action === 'stop') {
    updateState(paths.state, (s) => (s.nodes[index].stopped = true));
    if (node.netns) setNodeLink(state.id, node, false);
    if (node.pid) {
      try {
        process.kill(node.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    // The node's containerd (a child of its agent process) goes too; its shims and containers stay.
    if (state.runtime === 'containerd' && !state.split)
      await killStaleContainerd(containerdLayout(paths.node(node.name)));
    console.log(`node ${node.name} stopped`);
  } else {
    if (node.netns) setNodeLink(state.id, node, true);
    updateState(paths.state, (s) => (s.nodes[index].stopped = false));
    console.log(`node ${node.name} starting`);
  }
}
