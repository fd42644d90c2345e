#!/usr/bin/env node
/**
 * keelson-controller-manager: runs the controllers against an apiserver named by a kubeconfig.
 * Flags follow kube-controller-manager's names.
 */
import { Command, InvalidArgumentError as CmdError } from 'commander';
import pino from 'pino';
import { clientsetFromKubeconfig, serveHealth } from '@keelson/client';
import { startControllerManager } from '../manager';
import { parseDuration } from '../util/duration';

function dur(v: string): number {
  try {
    return parseDuration(v);
  } catch (e) {
    throw new CmdError((e as Error).message);
  }
}
function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CmdError(`not a non-negative integer: ${v}`);
  return n;
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CmdError(`not a port: ${v}`);
  return n;
}

const program = new Command('keelson-controller-manager')
  .description(
    'Keelson controller manager: ReplicaSet, Deployment, EndpointSlice, Namespace, GC, node lifecycle, Job, ...',
  )
  .requiredOption('--kubeconfig <file>', 'kubeconfig of the apiserver')
  .option('--controllers <list>', "controllers to run: '*' for all, names, '-name' to disable", '*')
  .option('--leader-elect', 'campaign for the kube-system/kube-controller-manager Lease first', false)
  .option('--leader-elect-lease-duration <d>', 'lease duration', dur, 15_000)
  .option('--leader-elect-renew-deadline <d>', 'renew deadline', dur, 10_000)
  .option('--leader-elect-retry-period <d>', 'retry period', dur, 2_000)
  .option(
    '--node-monitor-grace-period <d>',
    'time a node may go without a Lease renewal before it is NotReady/Unknown',
    dur,
    40_000,
  )
  .option('--node-monitor-period <d>', 'how often node health is checked', dur, 5_000)
  .option(
    '--default-not-ready-toleration-seconds <n>',
    'tolerationSeconds for not-ready:NoExecute when a pod has none',
    int,
    300,
  )
  .option(
    '--default-unreachable-toleration-seconds <n>',
    'tolerationSeconds for unreachable:NoExecute when a pod has none',
    int,
    300,
  )
  .option(
    '--terminated-pod-gc-threshold <n>',
    'terminated pods kept before the pod GC deletes the oldest',
    int,
    12500,
  )
  .option(
    '--local-path-storage-dir <dir>',
    "node directory of local-path volumes ('{node}' is replaced by the node name)",
    '/var/lib/keelson/storage',
  )
  .option('--concurrent-syncs <n>', 'workers per controller', int, 5)
  .option('--secure-port <port>', 'port of /healthz, /readyz, /metrics (plain HTTP; 0: off)', port, 10257)
  .option('--bind-address <ip>', 'address of the health and metrics port', '127.0.0.1')
  .option('--log-level <level>', 'pino log level', 'info');

async function main() {
  program.parse();
  const o = program.opts();
  const log = pino({ level: o.logLevel, base: { component: 'controller-manager' } });
  const clientset = clientsetFromKubeconfig(o.kubeconfig, { userAgent: 'keelson-controller-manager' });
  const cm = await startControllerManager(
    {
      controllers: String(o.controllers).split(','),
      leaderElect: o.leaderElect,
      leaseDurationMs: o.leaderElectLeaseDuration,
      renewDeadlineMs: o.leaderElectRenewDeadline,
      retryPeriodMs: o.leaderElectRetryPeriod,
      nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriod,
      nodeMonitorPeriodMs: o.nodeMonitorPeriod,
      defaultNotReadyTolerationSeconds: o.defaultNotReadyTolerationSeconds,
      defaultUnreachableTolerationSeconds: o.defaultUnreachableTolerationSeconds,
      terminatedPodGCThreshold: o.terminatedPodGcThreshold,
      localPathStorageDir: o.localPathStorageDir,
      workers: o.concurrentSyncs,
      log,
    },
    clientset,
  );
  const health = o.securePort
    ? await serveHealth({ host: o.bindAddress, port: o.securePort, ...cm.health })
    : undefined;
  log.info({ controllers: cm.controllers, health: health?.url }, 'controller manager running');
  const shutdown = async () => {
    await health?.close();
    await cm.stop();
    clientset.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((e: Error) => {
  process.stderr.write(`keelson-controller-manager: ${e.message}\n`);
  process.exit(1);
});
