/**
 * keelson-apiserver: runs the API server.
 *   keelson-apiserver --storage embedded:DIR|store:ADDR,...|etcd:URL,...|memory
 *     --bind-address 127.0.0.1 --port 6443 --grpc-port 6444
 *     --service-cluster-ip-range 10.96.0.0/12 --kubeconfig-out FILE
 */
import { Command } from 'commander';
import { startApiServer } from '../server';
import { loadTokenAuthFile } from '../authn';

/** The token of `user` in the token auth file (so no secret is on the command line). */
function kubeconfigToken(file: string | undefined, user: string | undefined): string | undefined {
  if (!user) return undefined;
  if (!file) throw new Error('--kubeconfig-user needs --token-auth-file');
  for (const [token, u] of loadTokenAuthFile(file)) if (u.username === user) return token;
  throw new Error(`--kubeconfig-user: no user "${user}" in ${file}`);
}

const program = new Command()
  .name('keelson-apiserver')
  .description('Kubernetes API server (REST for kubectl, gRPC with streaming watch)')
  .option('--storage <spec>', 'memory | embedded:DIR | store:HOST:PORT[,...] | etcd:URL[,...]', 'memory')
  .option('--bind-address <ip>', 'address to listen on', '127.0.0.1')
  .option('--port <n>', 'REST port (0 = any)', '6443')
  .option('--grpc-port <n>', 'gRPC port (0 = any)', '6444')
  .option('--service-cluster-ip-range <cidr>', 'Service ClusterIP range', '10.96.0.0/12')
  .option('--service-node-port-range <range>', 'NodePort range', '30000-32767')
  .option('--compaction-interval <seconds>', 'compaction period (0 = never)', '300')
  .option('--kubeconfig-out <file>', 'write a kubeconfig for this server')
  .option(
    '--default-not-ready-toleration-seconds <n>',
    'tolerationSeconds of the not-ready toleration added to pods',
    '300',
  )
  .option(
    '--default-unreachable-toleration-seconds <n>',
    'tolerationSeconds of the unreachable toleration added to pods',
    '300',
  )
  .option(
    '--token-auth-file <file>',
    'static bearer tokens, CSV token,user,uid[,"group1,group2"]: requests without a listed token get 401',
  )
  .option(
    '--anonymous-local',
    'with --token-auth-file: REST requests from this host need no token (kubectl sends none over plain HTTP)',
  )
  .option(
    '--kubeconfig-user <name>',
    'write the token of this --token-auth-file user into the --kubeconfig-out file',
  )
  .option('-v, --verbose', 'log every request')
  .action(async (o) => {
    const num = (v: string, name: string) => {
      if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
      return Number(v);
    };
    const s = await startApiServer({
      storage: o.storage,
      bindAddress: o.bindAddress,
      port: num(o.port, 'port'),
      grpcPort: num(o.grpcPort, 'grpc-port'),
      serviceClusterIpRange: o.serviceClusterIpRange,
      serviceNodePortRange: o.serviceNodePortRange,
      compactionIntervalMs: num(o.compactionInterval, 'compaction-interval') * 1000,
      kubeconfigOut: o.kubeconfigOut,
      tokenAuthFile: o.tokenAuthFile,
      anonymousLocal: !!o.anonymousLocal,
      kubeconfigToken: kubeconfigToken(o.tokenAuthFile, o.kubeconfigUser),
      defaultNotReadyTolerationSeconds: num(
        o.defaultNotReadyTolerationSeconds,
        'default-not-ready-toleration-seconds',
      ),
      defaultUnreachableTolerationSeconds: num(
        o.defaultUnreachableTolerationSeconds,
        'default-unreachable-toleration-seconds',
      ),
      onRequest: o.verbose ? (m, p, c, ms) => console.log(`${m} ${p} ${c} ${ms}ms`) : undefined,
    });
    console.log(
      `keelson-apiserver: REST ${s.url}, gRPC ${s.grpcAddress}${o.kubeconfigOut ? `, kubeconfig ${o.kubeconfigOut}` : ''}`,
    );
    const stop = () => {
      s.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`keelson-apiserver: ${err.message}`);
  process.exit(1);
});
