#!/usr/bin/env node
// keelson-kubelet: the node agent as a process.
//   keelson-kubelet --kubeconfig F --node-name N --container-runtime-endpoint unix:///x.sock \
//     --pod-cidr 10.244.1.0/24 --cluster-dns 10.96.0.10 --cluster-domain cluster.local \
//     --root-dir DIR --node-ip IP --port 10250
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { addQuantities } from '@keelson/api';
import { clientsetFromKubeconfig } from '@keelson/client';
import { startKubelet, type KubeletOptions } from '../kubelet';

function kv(v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of v.split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`expected key=value, got "${part}"`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`not a non-negative integer: ${v}`);
  return n;
}

function duration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m) throw new InvalidArgumentError(`not a duration (e.g. 10s, 500ms): ${v}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

const program = new Command('keelson-kubelet')
  .description('Keelson node agent: registers the node and runs its pods through CRI')
  .requiredOption('--kubeconfig <file>', 'kubeconfig of the apiserver')
  .requiredOption('--node-name <name>', 'name of this node')
  .requiredOption(
    '--container-runtime-endpoint <endpoint>',
    'CRI endpoint, e.g. unix:///run/keelson/cri.sock',
  )
  .requiredOption('--root-dir <dir>', 'kubelet state directory')
  .option('--pod-cidr <cidr>', 'pod CIDR of this node (default: the Node spec.podCIDR)')
  .option('--cluster-dns <ips>', 'comma-separated cluster DNS server IPs', (v) =>
    v.split(',').filter(Boolean),
  )
  .option('--cluster-domain <domain>', 'cluster domain', 'cluster.local')
  .option('--node-ip <ip>', 'node IP address')
  .option('--hostname-override <name>', 'Hostname address reported')
  .option('--port <port>', 'HTTP port', int, 10250)
  .option('--address <ip>', 'HTTP bind address', '0.0.0.0')
  .option('--healthz-port <port>', 'port of the /healthz endpoint (0: off)', int, 10248)
  .option('--healthz-bind-address <ip>', 'address of the healthz server', '127.0.0.1')
  .option('--cni-conf-dir <dir>', 'CNI configuration directory (default <root-dir>/cni/net.d)')
  .option('--cni-bin-dir <dirs>', 'colon-separated CNI plugin directories', (v) => v.split(':'))
  .option('--cni-bridge <name>', 'bridge name for the default CNI config')
  .option('--disable-cni', 'never run CNI (runtime reports pod IPs)')
  .option('--cgroup-root <path>', 'cgroup parent of every pod sandbox (default: the runtime chooses)')
  .option('--pod-logs-dir <dir>', 'container logs root (default <root-dir>/pod-logs)')
  .option('--max-pods <n>', 'capacity.pods', int, 110)
  .option('--node-labels <k=v,...>', 'extra node labels', kv)
  .option('--node-role <role>', 'adds the label node-role.kubernetes.io/<role>=""')
  .option('--system-reserved <k=v,...>', 'reserved for the system, e.g. cpu=100m,memory=100Mi', kv)
  .option('--kube-reserved <k=v,...>', 'reserved for Kubernetes daemons', kv)
  .option('--node-lease-renew-interval <d>', 'lease renew interval', duration, 10_000)
  .option('--node-status-update-frequency <d>', 'node status compute interval', duration, 10_000)
  .option('--node-status-report-frequency <d>', 'max interval between node status writes', duration, 60_000)
  .option('--crashloop-backoff-base <d>', 'CrashLoopBackOff initial delay', duration, 10_000)
  .option('--crashloop-backoff-max <d>', 'CrashLoopBackOff max delay', duration, 300_000)
  .option('--resolv-conf <file>', 'host resolv.conf for dnsPolicy Default', '/etc/resolv.conf')
  .option(
    '--remove-pods-marker <file>',
    'on SIGTERM, if this file exists, stop and remove every pod of this node first (a node being torn down); repeatable',
    (v: string, prev: string[] = []) => [...prev, v],
  );

async function main() {
  program.parse();
  const o = program.opts();
  const reserved: Record<string, string> = {};
  for (const src of [o.systemReserved ?? {}, o.kubeReserved ?? {}] as Record<string, string>[]) {
    for (const [k, v] of Object.entries(src)) reserved[k] = reserved[k] ? addQuantities(reserved[k], v) : v;
  }
  const labels: Record<string, string> = { ...(o.nodeLabels ?? {}) };
  if (o.nodeRole) labels[`node-role.kubernetes.io/${o.nodeRole}`] = '';
  const opts: KubeletOptions = {
    nodeName: o.nodeName,
    containerRuntimeEndpoint: o.containerRuntimeEndpoint,
    rootDir: o.rootDir,
    podCidr: o.podCidr,
    clusterDns: o.clusterDns ?? [],
    clusterDomain: o.clusterDomain,
    nodeIp: o.nodeIp,
    hostname: o.hostnameOverride,
    port: o.port,
    address: o.address,
    healthzPort: o.healthzPort,
    healthzBindAddress: o.healthzBindAddress,
    cniConfDir: o.cniConfDir,
    cniBinDirs: o.cniBinDir,
    cniBridge: o.cniBridge,
    disableCni: o.disableCni,
    cgroupRoot: o.cgroupRoot,
    podLogsDir: o.podLogsDir,
    maxPods: o.maxPods,
    nodeLabels: labels,
    reserved,
    leaseRenewMs: o.nodeLeaseRenewInterval,
    nodeStatusUpdateMs: o.nodeStatusUpdateFrequency,
    nodeStatusReportMs: o.nodeStatusReportFrequency,
    backoffInitialMs: o.crashloopBackoffBase,
    backoffMaxMs: o.crashloopBackoffMax,
    resolvConf: o.resolvConf,
  };
  const cs = clientsetFromKubeconfig(o.kubeconfig);
  const k = await startKubelet(opts, cs);
  const shutdown = async () => {
    // Pods keep running across a kubelet restart (as upstream), unless the node is torn down.
    const markers: string[] = o.removePodsMarker ?? [];
    await k.stop({ removePods: markers.some((m) => existsSync(m)) });
    cs.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((e: Error) => {
  process.stderr.write(`keelson-kubelet: ${e.message}\n`);
  process.exit(1);
});
