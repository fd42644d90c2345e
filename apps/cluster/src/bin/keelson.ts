/**
 * The keelson CLI: `keelson up`, `down`, `status`, `logs`, `doctor`, `image`.
 * Errors print one line and exit 1.
 */
import { Command, InvalidArgumentError } from 'commander';
import { defaultDataDir } from '../paths';
import { up } from '../commands/up';
import { down } from '../commands/down';
import { status } from '../commands/status';
import { logs } from '../commands/logs';
import { imageBuild, imageImport, imageList } from '../commands/image';
import { nodeCommand, runCommand } from '../commands/internal';
import { nodeAction } from '../commands/node';
import { nodeAdd, nodeRemove } from '../commands/node-lifecycle';
import { joinCommand, nodeJoin } from '../commands/join';
import { formatChecks, runChecks } from '../doctor';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('not a non-negative integer');
  return n;
};
const oneOf =
  <T extends string>(...values: T[]) =>
  (v: string): T => {
    if (!values.includes(v as T)) throw new InvalidArgumentError(`must be one of ${values.join(', ')}`);
    return v as T;
  };

const program = new Command('keelson')
  .description('A small Kubernetes-compatible cluster on this machine')
  .version('0.1.0');

program
  .command('up')
  .description('start a cluster and wait until its nodes are Ready and DNS answers')
  .option('--data-dir <dir>', 'where the cluster keeps its state', defaultDataDir())
  .option('--nodes <n>', 'number of nodes', int, 1)
  .option('--oci-runtime <name>', 'auto, crun or runc', oneOf('auto', 'crun', 'runc'), 'auto')
  .option('--proxy-mode <mode>', 'nftables or iptables', oneOf('nftables', 'iptables'), 'nftables')
  .option('--api-port <port>', 'apiserver REST port', int, 6443)
  .option('--grpc-port <port>', 'apiserver gRPC port', int, 6444)
  .option('--timeout <seconds>', 'how long to wait for the cluster', int, 300)
  .option(
    '--node-monitor-grace-period <duration>',
    'time without heartbeats before a node is NotReady (e.g. 40s)',
  )
  .option(
    '--default-unreachable-toleration-seconds <n>',
    'tolerationSeconds added to pods for unreachable nodes',
    int,
  )
  .option(
    '--default-not-ready-toleration-seconds <n>',
    'tolerationSeconds added to pods for not-ready nodes',
    int,
  )
  .option('--split', 'run every component as its own process from its package bin', false)
  .option(
    '--advertise-address <ip>',
    "an address of this host for the apiserver to listen on and advertise (default: the cluster bridge's), for other machines to join through",
  )
  .option(
    '--store-replicas <n>',
    'store members: 1, or 3 or 5 keelson-store Raft members (each its own process)',
    int,
    1,
  )
  .option(
    '--runtime <name>',
    'container runtime of each node: keelson (keelson-cri) or containerd (a containerd per node)',
    oneOf('keelson', 'containerd'),
    'keelson',
  )
  .action((o) =>
    up({
      storeReplicas: o.storeReplicas,
      runtime: o.runtime,
      split: o.split,
      dataDir: o.dataDir,
      nodes: o.nodes,
      ociRuntime: o.ociRuntime,
      proxyMode: o.proxyMode,
      apiPort: o.apiPort,
      grpcPort: o.grpcPort,
      timeoutSeconds: o.timeout,
      nodeMonitorGracePeriod: o.nodeMonitorGracePeriod,
      defaultUnreachableTolerationSeconds: o.defaultUnreachableTolerationSeconds,
      defaultNotReadyTolerationSeconds: o.defaultNotReadyTolerationSeconds,
      advertiseAddress: o.advertiseAddress,
    }),
  );

program
  .command('down')
  .description('stop the cluster and remove its pods, networks and rules')
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .option('--purge', 'also delete the data dir', false)
  .action((o) => down({ dataDir: o.dataDir, purge: o.purge }));

program
  .command('status')
  .description('components, health, versions and nodes')
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .action((o) => status({ dataDir: o.dataDir }));

program
  .command('logs <component>')
  .description('a component log (apiserver, scheduler, controller-manager, dns, kubelet-<node>, ...)')
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .option('-f, --follow', 'keep printing new lines', false)
  .option(
    '--tail <lines>',
    'lines from the end to show, -1 for all',
    (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < -1) throw new InvalidArgumentError('not an integer >= -1');
      return n;
    },
    200,
  )
  .option('--json', 'print the stored JSON lines', false)
  .action((component, o) =>
    logs({ dataDir: o.dataDir, component, follow: o.follow, tail: o.tail, json: o.json }),
  );

program
  .command('doctor')
  .description('check this host for what keelson needs')
  .action(() => {
    const checks = runChecks();
    console.log(formatChecks(checks));
    if (checks.some((c) => c.required && !c.ok)) process.exitCode = 1;
  });

const node = program.command('node').description('nodes of the local cluster');
for (const action of ['stop', 'start'] as const) {
  node
    .command(`${action} <name>`)
    .description(
      action === 'stop'
        ? "kill a node's agents and cut its network (simulated failure)"
        : 'reconnect a stopped node and restart its agents',
    )
    .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
    .action((name, o) => nodeAction({ dataDir: o.dataDir, action, name }));
}
node
  .command('add <name>')
  .description('add a local node (a network namespace on the host bridge) and wait until it is Ready')
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .option('--timeout <seconds>', 'how long to wait for the node to be Ready', int, 120)
  .action((name, o) => nodeAdd({ dataDir: o.dataDir, name, timeoutSeconds: o.timeout }));
node
  .command('remove <name>')
  .description('drain a local node (cordon, evict its pods), stop its agents and delete it')
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .option('--timeout <seconds>', 'how long to wait for its pods to terminate', int, 300)
  .action((name, o) => nodeRemove({ dataDir: o.dataDir, name, timeoutSeconds: o.timeout }));
node
  .command('join')
  .description("run this machine's node agents as a node of the cluster at --server")
  .requiredOption('--server <url>', "the cluster's apiserver, e.g. http://10.250.0.1:6443")
  .requiredOption('--token <token>', 'a join token (keelson node join-command prints one)')
  .option('--data-dir <dir>', "this node's data dir", defaultDataDir())
  .option('--node-name <name>', 'node name (default: the host name)')
  .option('--node-ip <ip>', 'node address (default: the source address towards the server)')
  .option('--pod-cidr <cidr>', 'pod CIDR, a /24 (default: the first free 10.244.N.0/24)')
  .option('--oci-runtime <name>', 'auto, crun or runc', oneOf('auto', 'crun', 'runc'), 'auto')
  .option('--proxy-mode <mode>', 'nftables or iptables', oneOf('nftables', 'iptables'), 'nftables')
  .option('--timeout <seconds>', 'how long to wait for the node to be Ready', int, 120)
  .option('--detach', 'run in the background once Ready (stop with keelson down --data-dir)', false)
  .action((o) =>
    nodeJoin({
      server: o.server,
      token: o.token,
      dataDir: o.dataDir,
      nodeName: o.nodeName,
      nodeIp: o.nodeIp,
      podCidr: o.podCidr,
      ociRuntime: o.ociRuntime,
      proxyMode: o.proxyMode,
      timeoutSeconds: o.timeout,
      detach: o.detach,
    }),
  );
node
  .command('join-command')
  .description('print the keelson node join command for another machine')
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .action((o) => joinCommand({ dataDir: o.dataDir }));
node
  .command('list')
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .action((o) => nodeAction({ dataDir: o.dataDir, action: 'list' }));

const image = program.command('image').description('local images on the nodes');
image
  .command('import <path>')
  .description('import an OCI image layout directory or archive')
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .option('--tag <ref>', 'image reference to record')
  .action((path, o) => imageImport({ dataDir: o.dataDir, file: path, tag: o.tag }));
image
  .command('build <dir>')
  .description('build an image from a directory with a Dockerfile and load it on every node')
  .requiredOption('-t, --tag <ref>', 'image reference, e.g. myapp:1.0')
  .option('-f, --file <path>', 'Dockerfile (default <dir>/Dockerfile or <dir>/Containerfile)')
  .option(
    '--build-arg <KEY=VALUE>',
    'set a build-time ARG (repeatable)',
    (v: string, p: string[]) => [...p, v],
    [],
  )
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .action((dir, o) =>
    imageBuild({ dataDir: o.dataDir, context: dir, tag: o.tag, file: o.file, buildArgs: o.buildArg }),
  );
image
  .command('ls')
  .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
  .action((o) => imageList({ dataDir: o.dataDir }));

program
  .command('_run', { hidden: true })
  .requiredOption('--data-dir <dir>')
  .option('--api-port <port>', '', int, 6443)
  .option('--grpc-port <port>', '', int, 6444)
  .option('--oci-runtime <name>', '', 'auto')
  .option('--node-monitor-grace-period-ms <ms>', '', int)
  .option('--default-unreachable-toleration-seconds <n>', '', int)
  .option('--default-not-ready-toleration-seconds <n>', '', int)
  .action((o) => runCommand({ ...o, nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriodMs }));

program
  .command('_node', { hidden: true })
  .requiredOption('--data-dir <dir>')
  .requiredOption('--name <name>')
  .option('--oci-runtime <name>', '', 'auto')
  .action((o) => nodeCommand({ dataDir: o.dataDir, name: o.name, ociRuntime: o.ociRuntime }));

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`keelson: ${err.message}`);
  process.exit(1);
});
