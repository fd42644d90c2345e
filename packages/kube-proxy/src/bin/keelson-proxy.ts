/**
 * keelson-proxy: Services as nftables (default) or iptables rules on this node.
 * `keelson-proxy --kubeconfig F --proxy-mode nftables|iptables --node-name N --cluster-cidr 10.244.0.0/16`
 * `keelson-proxy --cleanup [--proxy-mode ...]` removes everything it created and exits.
 */
import { hostname } from 'node:os';
import { createServer } from 'node:http';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { clientsetFromKubeconfig } from '@keelson/client';
import { makeBackend, startProxy } from '../run';

const mode = (v: string) => {
  if (v !== 'nftables' && v !== 'iptables') throw new InvalidArgumentError('must be nftables or iptables');
  return v;
};

const program = new Command('keelson-proxy')
  .description('Service proxy: ClusterIP and NodePort as nftables or iptables rules')
  .option('--kubeconfig <file>', 'kubeconfig of the cluster')
  .option('--proxy-mode <mode>', 'nftables or iptables', mode, 'nftables')
  .option('--node-name <name>', 'this node', hostname())
  .option('--cluster-cidr <cidr>', 'pod CIDR of the cluster (traffic from outside it is masqueraded)')
  .option('--table <name>', 'nft table name', 'keelson-proxy')
  .option('--netns <name>', 'program this network namespace instead of the current one')
  .option('--min-sync-period <ms>', 'least time between syncs, ms', (v) => Number(v), 1000)
  .option(
    '--metrics-port <port>',
    'port of /healthz and /metrics on 127.0.0.1 (0: off)',
    (v) => Number(v),
    10249,
  )
  .option('--cleanup', 'remove every rule created by this proxy and exit', false)
  .action(async (o) => {
    if (o.cleanup) {
      await makeBackend({ mode: o.proxyMode, table: o.table, netns: o.netns }).cleanup();
      return;
    }
    if (!o.kubeconfig) throw new Error('--kubeconfig is required');
    const log = pino({ name: 'keelson-proxy' });
    const clientset = clientsetFromKubeconfig(o.kubeconfig);
    const proxy = await startProxy(
      {
        nodeName: o.nodeName,
        mode: o.proxyMode,
        table: o.table,
        clusterCIDR: o.clusterCidr,
        netns: o.netns,
        minSyncPeriodMs: o.minSyncPeriod,
        log,
      },
      clientset,
    );
    const server = o.metricsPort
      ? createServer((req, res) => {
          if (req.url === '/healthz') return void res.end('ok');
          if (req.url === '/metrics') {
            void proxy.proxier.metrics.metrics().then((t) => res.end(t));
            return;
          }
          res.statusCode = 404;
          res.end();
        }).listen(o.metricsPort, '127.0.0.1')
      : undefined;
    const stop = async () => {
      server?.close();
      await proxy.stop(false);
      clientset.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`keelson-proxy: ${err.message}`);
  process.exit(1);
});
