/**
 * keelson-proxy: Services as nftables (default) or iptables rules on this node.
 * `keelson-proxy --kubeconfig F --proxy-mode nftables|iptables --node-name N --cluster-cidr 10.244.0.0/16`
 * `keelson-proxy --cleanup [--proxy-mode ...]` removes everything it created and exits.
 */
import { hostname } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { clientsetFromKubeconfig, serveHealth, type HealthServer } from '@keelson/client';
import { makeBackend, startProxy } from '../run';

const mode = (v: string) => {
  if (v !== 'nftables' && v !== 'iptables') throw new InvalidArgumentError('must be nftables or iptables');
  return v;
};

/** "IP:PORT" (port 0: off) as kube-proxy's --healthz-bind-address and --metrics-bind-address. */
const hostPort = (v: string) => {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(v);
  if (!m || Number(m[3]) > 65535) throw new InvalidArgumentError('want IP:PORT (port 0: off)');
  return { host: m[1] ?? m[2], port: Number(m[3]) };
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
    '--healthz-bind-address <ip:port>',
    'address of /healthz, /livez, /readyz (port 0: off)',
    hostPort,
    { host: '127.0.0.1', port: 10256 },
  )
  .option('--metrics-bind-address <ip:port>', 'address of /metrics (and /healthz) (port 0: off)', hostPort, {
    host: '127.0.0.1',
    port: 10249,
  })
  .option('--metrics-port <port>', 'deprecated: the port of --metrics-bind-address', (v) => Number(v))
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
    const metricsAt = { ...o.metricsBindAddress, port: o.metricsPort ?? o.metricsBindAddress.port };
    const servers: HealthServer[] = [];
    for (const at of [o.healthzBindAddress, metricsAt] as Array<{ host: string; port: number }>)
      if (at.port) servers.push(await serveHealth({ ...at, ...proxy.health }));
    const stop = async () => {
      await Promise.all(servers.map((s) => s.close()));
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
