/**
 * Host checks for `keelson doctor` and `keelson up`: what is missing and the one command that
 * installs it. Pure reporting; `up` refuses to start when a required check fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** One check's outcome. */
export interface Check {
  name: string;
  ok: boolean;
  /** What was found, or what is missing. */
  detail: string;
  /** The command that fixes it, when not ok. */
  fix?: string;
  /** Required for `up` (false: a warning only). */
  required: boolean;
}

const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const apt = (pkg: string) => `apt-get update && apt-get install -y ${pkg}`;

/** Runs every check. */
export function runChecks(): Check[] {
  const checks: Check[] = [];
  const root = process.getuid?.() === 0;
  checks.push({
    name: 'root',
    ok: root,
    detail: root ? 'running as root' : 'not root: containers, namespaces and nft need root',
    fix: 'sudo ./keelson up',
    required: true,
  });
  const runc = has('runc');
  const crun = has('crun');
  checks.push({
    name: 'oci-runtime',
    ok: runc || crun,
    detail: [runc && 'runc', crun && 'crun'].filter(Boolean).join(', ') || 'neither runc nor crun found',
    fix: apt('runc crun'),
    required: true,
  });
  const cni = ['bridge', 'host-local', 'loopback'].every(
    (p) => existsSync(`/usr/lib/cni/${p}`) || existsSync(`/opt/cni/bin/${p}`),
  );
  checks.push({
    name: 'cni-plugins',
    ok: cni,
    detail: cni ? 'bridge, host-local, loopback' : 'CNI plugins missing in /usr/lib/cni',
    fix: apt('containernetworking-plugins'),
    required: true,
  });
  const nft = has('nft');
  checks.push({
    name: 'nftables',
    ok: nft,
    detail: nft ? 'nft found' : 'nft not found',
    fix: apt('nftables'),
    required: true,
  });
  const ipt = has('iptables-restore');
  checks.push({
    name: 'iptables',
    ok: ipt,
    detail: ipt ? 'iptables-restore found' : 'iptables-restore not found (only for --proxy-mode iptables)',
    fix: apt('iptables'),
    required: false,
  });
  const ip = has('ip');
  checks.push({
    name: 'iproute2',
    ok: ip,
    detail: ip ? 'ip found' : 'ip not found',
    fix: apt('iproute2'),
    required: true,
  });
  const busybox = existsSync('/bin/busybox');
  checks.push({
    name: 'busybox-static',
    ok: busybox,
    detail: busybox ? '/bin/busybox (for the busybox image)' : '/bin/busybox missing',
    fix: apt('busybox-static'),
    required: true,
  });
  let cgroups = 'unknown';
  try {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    cgroups = mounts.includes(' - cgroup2 ')
      ? mounts.includes(' - cgroup ')
        ? 'hybrid (v1 + v2)'
        : 'v2'
      : 'v1';
  } catch {
    /* not Linux */
  }
  checks.push({
    name: 'cgroups',
    ok: cgroups !== 'unknown',
    detail: `cgroup layout: ${cgroups}`,
    required: true,
  });
  const kubectl = has('kubectl');
  checks.push({
    name: 'kubectl',
    ok: kubectl,
    detail: kubectl ? 'kubectl found' : 'kubectl not found (needed to drive the cluster)',
    fix: 'install kubectl v1.32',
    required: false,
  });
  const bridges = hostClusterBridges('');
  checks.push({
    name: 'cluster-bridges',
    ok: bridges.length === 0,
    detail: bridges.length
      ? `keelson bridges present: ${bridges.map((b) => `${b.name} (${b.addresses.join(', ') || 'no address'})`).join(', ')}; a new cluster on the same addresses would lose its pod traffic to them`
      : 'no keelson cluster bridges on this host',
    fix: `if their clusters are gone: ${bridges.map((b) => `ip link del ${b.name}`).join('; ')}`,
    required: false,
  });
  return checks;
}

/** A pod or host bridge of a keelson cluster found on this host. */
export interface ClusterBridge {
  /** `kb-<id>` (pod bridge) or `kh-<id>` (host bridge of a multi-node cluster). */
  name: string;
  /** The cluster id in the name (derived from the cluster's data dir). */
  clusterId: string;
  /** Its IPv4 addresses with prefix length, e.g. "10.244.0.1/24". */
  addresses: string[];
}

/**
 * The keelson cluster bridges in `ip -j -4 addr show` output (JSON, parsed with JSON.parse) that
 * belong to clusters other than `ownId`: what a crashed `keelson down` or another running cluster
 * left on the host. Their routes capture the 10.244.0.0/16 and 10.250.0.0/24 traffic of a new
 * cluster on the same addresses.
 */
export function otherClusterBridges(ipAddrJson: string, ownId: string): ClusterBridge[] {
  let links: Array<{ ifname?: string; addr_info?: Array<{ local?: string; prefixlen?: number }> }>;
  try {
    links = JSON.parse(ipAddrJson);
  } catch {
    return [];
  }
  const out: ClusterBridge[] = [];
  for (const l of Array.isArray(links) ? links : []) {
    const m = /^k[bh]-([0-9a-f]{6})$/.exec(l.ifname ?? '');
    if (!m || m[1] === ownId) continue;
    out.push({
      name: l.ifname!,
      clusterId: m[1]!,
      addresses: (l.addr_info ?? []).filter((a) => a.local).map((a) => `${a.local}/${a.prefixlen}`),
    });
  }
  return out;
}

/** {@link otherClusterBridges} on this host (none when `ip` cannot be run). */
export function hostClusterBridges(ownId: string): ClusterBridge[] {
  try {
    return otherClusterBridges(execFileSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8' }), ownId);
  } catch {
    return [];
  }
}

/** Renders checks as lines "ok|MISSING name: detail (fix: ...)". */
export function formatChecks(checks: Check[]): string {
  return checks
    .map(
      (c) =>
        `${c.ok ? 'ok     ' : c.required ? 'MISSING' : 'warn   '} ${c.name}: ${c.detail}${c.ok || !c.fix ? '' : `  (fix: ${c.fix})`}`,
    )
    .join('\n');
}
