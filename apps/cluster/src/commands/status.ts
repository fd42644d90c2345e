/** `keelson status`: components, health, versions and nodes of the local cluster. */
import { createConnection } from 'node:net';
import { ClusterPaths } from '../paths';
import { isAlive as alive, readState, type ComponentEndpoint, type ClusterState } from '../state';
import { getJson } from '../wait';
import { CliError } from '../errors';
import { componentEndpoints } from '../endpoints';
import { kubeconfigToken } from '../tokens';
import { memberRoles } from '../store-members';
import { containerdLayout } from '../containerd';

/** One probed component. */
export interface ComponentHealth {
  endpoint: ComponentEndpoint;
  pid?: number;
  healthy: boolean;
  /** Why not healthy (the /healthz answer or the connection error). */
  reason?: string;
  version?: string;
}

/** GET url; the status code and body, or the error message. */
async function probe(url: string, timeoutMs = 2000): Promise<{ code?: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { code: res.status, body: (await res.text()).trim() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { body: cause?.code ?? (err as Error).message };
  }
}

/** True if a unix socket accepts a connection. */
function socketOpen(path: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const t = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(undefined);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(err.code ?? err.message);
    });
  });
}

/**
 * Probes every component's `/healthz` (a runtime: its CRI socket) and reads its version from
 * `/version` (the runtime's from its node's nodeInfo). Nodes added after `up` get the computed
 * endpoints.
 */
export async function probeComponents(
  state: ClusterState,
  paths: ClusterPaths,
  nodes: any[] = [],
): Promise<ComponentHealth[]> {
  const eps = [...(state.endpoints ?? [])];
  const missing = state.nodes.filter((n) => !eps.some((e) => e.node === n.name));
  const computed = componentEndpoints(state.apiserver.url, missing, (n) =>
    state.runtime === 'containerd' ? containerdLayout(paths.node(n)).socket : paths.criSocket(n),
  );
  for (const e of computed) if (e.node || !eps.some((x) => x.name === e.name)) eps.push(e);
  return Promise.all(
    eps.map(async (endpoint): Promise<ComponentHealth> => {
      const node = state.nodes.find((n) => n.name === endpoint.node);
      const pid = endpoint.pid ?? (endpoint.node ? node?.pid : state.supervisorPid);
      const nodeInfo = nodes.find((x) => x.metadata?.name === endpoint.node)?.status?.nodeInfo;
      if (endpoint.healthUrl.startsWith('unix://')) {
        const err = await socketOpen(endpoint.healthUrl.slice('unix://'.length));
        return {
          endpoint,
          pid,
          healthy: !err,
          reason: err,
          version: nodeInfo?.containerRuntimeVersion,
        };
      }
      const [h, v] = await Promise.all([
        probe(`${endpoint.healthUrl}/healthz`),
        getJson(`${endpoint.healthUrl}/version`),
      ]);
      const healthy = h.code === 200 && h.body === 'ok';
      return {
        endpoint,
        pid,
        healthy,
        reason: healthy ? undefined : h.code ? `healthz ${h.code}: ${h.body.split('\n').join(' ')}` : h.body,
        version: v?.gitVersion ?? (endpoint.name === 'kubelet' ? nodeInfo?.kubeletVersion : undefined),
      };
    }),
  );
}

/**
 * Prints the status: the supervisor, one line per component (pid, endpoint, health, version),
 * then the nodes.
 * @throws CliError when the cluster is not up, or when a component or process is down (after printing)
 */
export async function status(opts: { dataDir: string }): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const state = readState(paths.state);
  if (!state) throw new CliError(`keelson is not running (no ${paths.state})`);
  const nodes = await getJson(`${state.apiserver.url}/api/v1/nodes`, 2000, kubeconfigToken(paths.kubeconfig));
  const components = await probeComponents(state, paths, nodes?.items ?? []);
  const supervisorUp = alive(state.supervisorPid);
  console.log(
    `supervisor   pid ${state.supervisorPid ?? '-'} ${supervisorUp ? 'running' : 'NOT RUNNING'}${state.split ? ' (split: one process per component)' : ''}`,
  );
  const rows = [
    ['COMPONENT', 'NODE', 'PID', 'ENDPOINT', 'HEALTH', 'VERSION'],
    ...components.map((c) => [
      c.endpoint.name,
      c.endpoint.node ?? '-',
      c.pid ? `${c.pid}${alive(c.pid) ? '' : ' (dead)'}` : '-',
      c.endpoint.healthUrl,
      c.healthy ? 'healthy' : `UNHEALTHY (${c.reason})`,
      c.version ?? '',
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    console.log(
      r
        .map((x, i) => x.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  console.log(`grpc         ${state.apiserver.grpcAddress}`);
  if (state.store?.members.length) {
    // Each member's own view (RaftPeer.MemberList): the leader it follows, if any.
    const roles = await memberRoles(state.store.members);
    for (const m of state.store.members) {
      const view = roles.get(m.name);
      const role = !view
        ? 'unreachable'
        : !view.leader
          ? 'no-leader'
          : view.leader === m.name
            ? 'leader'
            : 'follower';
      console.log(
        `store ${m.name.padEnd(15)} ${m.address.padEnd(21)} pid ${m.pid ?? '-'} ${alive(m.pid) ? 'running' : 'NOT RUNNING'} ${role}`,
      );
    }
  }
  console.log(`dns          ${state.dnsAddress}:53`);
  console.log(`proxy mode   ${state.proxyMode}`);
  console.log(`runtime      ${state.runtime ?? 'keelson'}`);
  for (const n of state.nodes) {
    const obj = (nodes?.items ?? []).find((x: any) => x.metadata.name === n.name);
    const readyCond = obj?.status?.conditions?.find((c: any) => c.type === 'Ready');
    console.log(
      `node ${n.name.padEnd(16)} ${n.ip.padEnd(12)} pid ${n.pid ?? '-'} ${alive(n.pid) ? 'running' : n.stopped ? 'STOPPED' : 'NOT RUNNING'} Ready=${readyCond?.status ?? 'Unknown'} ${obj?.status?.nodeInfo?.kubeletVersion ?? ''}`,
    );
  }
  console.log(`kubeconfig   ${paths.kubeconfig}`);
  const down = components
    .filter((c) => !c.healthy)
    .map((c) => (c.endpoint.node ? `${c.endpoint.name}/${c.endpoint.node}` : c.endpoint.name));
  if (!supervisorUp) down.unshift('supervisor');
  if (down.length) throw new CliError(`unhealthy: ${down.join(', ')}`);
}
