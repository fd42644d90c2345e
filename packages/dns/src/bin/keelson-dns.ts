/**
 * keelson-dns: cluster DNS as its own process.
 * `keelson-dns --kubeconfig F --listen 10.96.0.10:53 --cluster-domain cluster.local [--upstream IP[:PORT]]...`
 */
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { clientsetFromKubeconfig } from '@keelson/client';
import { startClusterDns } from '../cluster-dns';
import { parseUpstream } from '../forwarder';

const listenAddr = (v: string) => {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError('want HOST:PORT');
  return { host: m[1] ?? m[2], port: Number(m[3]) };
};
const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port');
  return n;
};
const collect = (v: string, all: string[]) => {
  parseUpstream(v);
  return [...all, v];
};

const program = new Command('keelson-dns')
  .description('Cluster DNS for Services and Pods')
  .requiredOption('--kubeconfig <file>', 'kubeconfig of the cluster')
  .option('--listen <host:port>', 'UDP and TCP address', listenAddr, { host: '0.0.0.0', port: 53 })
  .option('--cluster-domain <domain>', 'cluster domain', 'cluster.local')
  .option('--ttl <seconds>', 'answer TTL', (v) => Number(v), 30)
  .option(
    '--upstream <ip[:port]>',
    'upstream resolver (repeatable; default: /etc/resolv.conf)',
    collect,
    [] as string[],
  )
  .option('--health-port <port>', 'port of /healthz, /readyz, /metrics on 127.0.0.1 (0: off)', port, 8080)
  .option('--metrics-port <port>', 'port of /metrics on 127.0.0.1 (CoreDNS prometheus; 0: off)', port, 9153)
  .action(async (o) => {
    const log = pino({ name: 'keelson-dns' });
    const clientset = clientsetFromKubeconfig(o.kubeconfig);
    const dns = await startClusterDns(
      {
        listen: o.listen,
        clusterDomain: o.clusterDomain,
        ttl: o.ttl,
        upstreams: o.upstream.length ? o.upstream : undefined,
        healthPort: o.healthPort || undefined,
        metricsPort: o.metricsPort || undefined,
        log,
      },
      clientset,
    );
    const stop = async () => {
      await dns.stop();
      clientset.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`keelson-dns: ${err.message}`);
  process.exit(1);
});
