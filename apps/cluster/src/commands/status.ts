/** `keelson status`: components, health, versions and nodes of the local cluster. */
import { ClusterPaths } from '../paths';
import { isAlive as alive, readState } from '../state';
import { getJson } from '../wait';
import { CliError } from '../errors';

/** Prints the status; @throws CliError when the cluster is not up. */
export async function status(opts: { dataDir: string }): Promise<void> {
  const paths = new ClusterPaths(opts.dataDir);
  const state = readState(paths.state);
  if (!state) throw new CliError(`keelson is not running (no ${paths.state})`);
  const version = await getJson(`${state.apiserver.url}/version`);
  const ready = await getJson(`${state.apiserver.url}/readyz`);
  const nodes = await getJson(`${state.apiserver.url}/api/v1/nodes`);
  console.log(
    `supervisor   pid ${state.supervisorPid ?? '-'} ${alive(state.supervisorPid) ? 'running' : 'NOT RUNNING'}`,
  );
  console.log(
    `apiserver    ${state.apiserver.url} ${ready !== undefined ? 'healthy' : 'UNHEALTHY'} ${version?.gitVersion ?? ''}`,
  );
  console.log(`grpc         ${state.apiserver.grpcAddress}`);
  console.log(`dns          ${state.dnsAddress}:53`);
  console.log(`proxy mode   ${state.proxyMode}`);
  for (const n of state.nodes) {
    const obj = (nodes?.items ?? []).find((x: any) => x.metadata.name === n.name);
    const readyCond = obj?.status?.conditions?.find((c: any) => c.type === 'Ready');
    console.log(
      `node ${n.name.padEnd(16)} ${n.ip.padEnd(12)} pid ${n.pid ?? '-'} ${alive(n.pid) ? 'running' : 'NOT RUNNING'} Ready=${readyCond?.status ?? 'Unknown'} ${obj?.status?.nodeInfo?.kubeletVersion ?? ''}`,
    );
  }
  console.log(`kubeconfig   ${paths.kubeconfig}`);
}
