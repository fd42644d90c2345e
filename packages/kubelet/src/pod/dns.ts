/**
 * /etc/resolv.conf and /etc/hosts contents for a pod, as the kubelet's dns.Configurer and
 * kubelet_pods.go (managed hosts file) produce them.
 */
import type { Pod } from '@keelson/api';

/** A resolv.conf model. */
export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** Cluster DNS settings of the kubelet (--cluster-dns, --cluster-domain, host resolv.conf). */
export interface DnsSettings {
  clusterDns: string[];
  clusterDomain: string;
  /** The host's resolv.conf (used for dnsPolicy Default and for extra search domains). */
  hostResolv: ResolvConf;
}

/** Max search domains (validation.MaxDNSSearchPaths). */
const MAX_SEARCHES = 32;

/** Parses resolv.conf text (nameserver / search / domain / options lines). */
export function parseResolvConf(text: string): ResolvConf {
  const r: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if (key === 'search') r.searches = rest;
    else if (key === 'domain' && rest[0]) r.searches = [rest[0]];
    else if (key === 'options') r.options.push(...rest);
  }
  return r;
}

/** Renders resolv.conf text. */
export function formatResolvConf(r: ResolvConf): string {
  const lines: string[] = [];
  if (r.searches.length) lines.push(`search ${r.searches.join(' ')}`);
  for (const ns of r.nameservers) lines.push(`nameserver ${ns}`);
  if (r.options.length) lines.push(`options ${r.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

function mergeOptions(base: string[], extra: { name?: string; value?: string }[]): string[] {
  const map = new Map<string, string>();
  for (const o of base) {
    const [k, v] = o.split(':');
    map.set(k!, o.includes(':') ? `${k}:${v}` : k!);
  }
  for (const o of extra) {
    if (!o.name) continue;
    map.set(o.name, o.value !== undefined && o.value !== '' ? `${o.name}:${o.value}` : o.name);
  }
  return [...map.values()];
}

function dedupe(xs: string[]) {
  return [...new Set(xs)];
}

/**
 * The pod's DNS configuration per dnsPolicy (ClusterFirst default; ClusterFirstWithHostNet;
 * Default = the host's; None = dnsConfig only) merged with pod.spec.dnsConfig, following
 * pkg/kubelet/network/dns. ClusterFirst on a hostNetwork pod behaves as Default. ClusterFirst
 * without --cluster-dns falls back to Default.
 */
export function podDnsConfig(pod: Pod, s: DnsSettings): ResolvConf {
  const spec = pod.spec ?? ({} as NonNullable<Pod['spec']>);
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && s.clusterDns.length === 0) policy = 'Default';
  let r: ResolvConf;
  if (policy === 'None') {
    r = { nameservers: [], searches: [], options: [] };
  } else if (policy === 'Default') {
    r = {
      nameservers: [...s.hostResolv.nameservers],
      searches: [...s.hostResolv.searches],
      options: [...s.hostResolv.options],
    };
  } else {
    const ns = pod.metadata.namespace ?? 'default';
    const d = s.clusterDomain;
    r = {
      nameservers: [...s.clusterDns],
      searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...s.hostResolv.searches],
      options: ['ndots:5'],
    };
  }
  const dc = spec.dnsConfig;
  if (dc) {
    r.nameservers = dedupe([...r.nameservers, ...(dc.nameservers ?? [])]);
    r.searches = dedupe([...r.searches, ...(dc.searches ?? [])]);
    r.options = mergeOptions(r.options, dc.options ?? []);
  }
  r.searches = dedupe(r.searches).slice(0, MAX_SEARCHES);
  r.nameservers = r.nameservers.slice(0, 3);
  return r;
}

/**
 * The kubelet-managed /etc/hosts of a pod: localhost entries, the pod's own IP(s) with its
 * hostname (and FQDN when spec.subdomain is set), then hostAliases.
 */
export function podHostsFile(pod: Pod, podIps: string[], clusterDomain: string): string {
  const spec = pod.spec ?? ({} as NonNullable<Pod['spec']>);
  const hostname = spec.hostname ?? pod.metadata.name ?? '';
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  for (const ip of podIps) {
    if (spec.subdomain) {
      lines.push(
        `${ip}\t${hostname}.${spec.subdomain}.${pod.metadata.namespace}.svc.${clusterDomain}\t${hostname}`,
      );
    } else {
      lines.push(`${ip}\t${hostname}`);
    }
  }
  if (spec.hostAliases?.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of spec.hostAliases) {
      if (a.ip && a.hostnames?.length) lines.push(`${a.ip}\t${a.hostnames.join('\t')}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The pod's hostname (spec.hostname or the pod name, truncated to 63 chars as upstream). */
export function podHostname(pod: Pod): string {
  return (pod.spec?.hostname ?? pod.metadata.name ?? '').slice(0, 63).replace(/[-.]+$/, '');
}
