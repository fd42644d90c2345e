/**
 * keelson-scheduler: the scheduler as its own process.
 * `keelson-scheduler --kubeconfig F [--config scheduler.yaml]`
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import pino from 'pino';
import { clientsetFromKubeconfig } from '@keelson/client';
import { parseConfiguration } from '../framework/config';
import { startScheduler } from '../cluster/cluster-scheduler';

const program = new Command('keelson-scheduler')
  .description('Assigns pods to nodes')
  .requiredOption('--kubeconfig <file>', 'kubeconfig of the cluster')
  .option('--config <file>', 'KubeSchedulerConfiguration YAML')
  .action(async (o) => {
    const config = o.config ? parseConfiguration(readFileSync(o.config, 'utf8')) : undefined;
    const log = pino({ name: 'keelson-scheduler' });
    const clientset = clientsetFromKubeconfig(o.kubeconfig);
    const s = await startScheduler({ config, log }, clientset);
    const stop = async () => {
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
