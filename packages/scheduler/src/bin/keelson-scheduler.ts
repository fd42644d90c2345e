/**
 * keelson-scheduler: the scheduler as its own process.
 * `keelson-scheduler --kubeconfig F [--config scheduler.yaml] [--secure-port 10259] [--bind-address 127.0.0.1]`
 * Health (/healthz, /livez, /readyz) and /metrics on --bind-address:--secure-port (plain HTTP).
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { clientsetFromKubeconfig, serveHealth } from '@keelson/client';
import { parseConfiguration } from '../framework/config';
import { startScheduler } from '../cluster/cluster-scheduler';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`not a port: ${v}`);
  return n;
}

const program = new Command('keelson-scheduler')
  .description('Assigns pods to nodes')
  .requiredOption('--kubeconfig <file>', 'kubeconfig of the cluster')
  .option('--config <file>', 'KubeSchedulerConfiguration YAML')
  .option('--secure-port <port>', 'port of /healthz, /readyz, /metrics (plain HTTP; 0: off)', port, 10259)
  .option('--bind-address <ip>', 'address of the health and metrics port', '127.0.0.1')
  .action(async (o) => {
    const config = o.config ? parseConfiguration(readFileSync(o.config, 'utf8')) : undefined;
    const log = pino({ name: 'keelson-scheduler' });
    const clientset = clientsetFromKubeconfig(o.kubeconfig);
    const s = await startScheduler({ config, log }, clientset);
    const health = o.securePort
      ? await serveHealth({ host: o.bindAddress, port: o.securePort, ...s.health })
      : undefined;
    const stop = async () => {
      await health?.close();
      await s.stop();
      clientset.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`keelson-scheduler: ${err.message}`);
  process.exit(1);
});
