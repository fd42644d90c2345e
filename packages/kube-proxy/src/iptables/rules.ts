/**
 * iptables rules for Services as a pure function of the service port table, in the shape of
 * kube-proxy's iptables mode: a KEELSON-SERVICES dispatch chain, one KEELSON-SVC-* chain per
 * Service port choosing an endpoint with `-m statistic --mode random`, one KEELSON-SEP-* chain
 * per endpoint doing the DNAT, mark-and-masquerade, REJECT in the filter table for Services
 * without endpoints, ClientIP affinity with `-m recent`. Output is iptables-restore input.
 */
import type { ServicePortInfo } from '../service-ports';
import { clusterEndpoints, externalEndpoints } from '../service-ports';
import { shortHash } from '../naming';

/** Options of {@link renderIptables}. */
export interface IptablesOptions {
  clusterCIDR?: string;
  masqueradeAll?: boolean;
}

/** Top-level chains of ours and the built-in chains that jump to them. */
export const IPTABLES_JUMPS: Array<{ table: 'nat' | 'filter'; chain: string; args: string[] }> = [
  { table: 'nat', chain: 'PREROUTING', args: ['-j', 'KEELSON-SERVICES'] },
  { table: 'nat', chain: 'OUTPUT', args: ['-j', 'KEELSON-SERVICES'] },
  { table: 'nat', chain: 'POSTROUTING', args: ['-j', 'KEELSON-POSTROUTING'] },
  {
    table: 'filter',
    chain: 'INPUT',
    args: ['-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KEELSON-SERVICES-FILTER'],
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    args: ['-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KEELSON-SERVICES-FILTER'],
  },
  {
    table: 'filter',
    chain: 'OUTPUT',
    args: ['-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KEELSON-SERVICES-FILTER'],
  },
];

const MARK = '0x4000';

const chainId = (prefix: string, id: string) => `KEELSON-${prefix}-${shortHash(id)}`;

/**
 * The restore script for both tables.
 * @param stale chains of ours present in the kernel that the new rules no longer use (deleted)
 */
export function renderIptables(
  ports: ServicePortInfo[],
  opts: IptablesOptions,
  stale: string[] = [],
): { script: string; chains: string[] } {
  const nat: string[] = [];
  const filter: string[] = [];
  const natChains = ['KEELSON-SERVICES', 'KEELSON-NODEPORTS', 'KEELSON-POSTROUTING', 'KEELSON-MARK-MASQ'];
  const filterChains = ['KEELSON-SERVICES-FILTER'];

  nat.push(`-A KEELSON-MARK-MASQ -j MARK --or-mark ${MARK}`);
  nat.push(`-A KEELSON-POSTROUTING -m mark ! --mark ${MARK}/${MARK} -j RETURN`);
  nat.push(`-A KEELSON-POSTROUTING -j MARK --xor-mark ${MARK}`);
  nat.push(`-A KEELSON-POSTROUTING -j MASQUERADE --random-fully`);

  const nodePortRules: string[] = [];
  for (const sp of ports) {
    const id = `${sp.namespace}/${sp.service}/${sp.protocol}/${sp.portName}`;
    const c = `-m comment --comment "${sp.name}"`;
    const sepName = (ip: string, port: number) => chainId('SEP', `${id}__${ip}/${port}`);
    for (const ep of sp.endpoints) {
      const sep = sepName(ep.ip, ep.port);
      natChains.push(sep);
      nat.push(`-A ${sep} ${c} -s ${ep.ip}/32 -j KEELSON-MARK-MASQ`);
      const recent = sp.affinityTimeoutSeconds > 0 ? ` -m recent --name ${sep} --set` : '';
      nat.push(`-A ${sep} ${c} -p ${sp.protocol}${recent} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    }
    const dispatch = (chain: string, eps: typeof sp.endpoints) => {
      if (sp.affinityTimeoutSeconds > 0) {
        for (const ep of eps) {
          const sep = sepName(ep.ip, ep.port);
          nat.push(
            `-A ${chain} ${c} -m recent --name ${sep} --rcheck --seconds ${sp.affinityTimeoutSeconds} --reap -j ${sep}`,
          );
        }
      }
      eps.forEach((ep, i) => {
        const left = eps.length - i;
        const prob = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
        nat.push(`-A ${chain} ${c}${prob} -j ${sepName(ep.ip, ep.port)}`);
      });
    };
    const internal = clusterEndpoints(sp);
    const external = externalEndpoints(sp);
    if (sp.clusterIP) {
      const match = `-d ${sp.clusterIP}/32 -p ${sp.protocol} -m ${sp.protocol} --dport ${sp.port}`;
      if (internal.length) {
        const svc = chainId('SVC', id);
        natChains.push(svc);
        nat.push(`-A KEELSON-SERVICES ${c} ${match} -j ${svc}`);
        if (opts.masqueradeAll) nat.push(`-A ${svc} ${c} ${match} -j KEELSON-MARK-MASQ`);
        else if (opts.clusterCIDR)
          nat.push(`-A ${svc} ${c} ! -s ${opts.clusterCIDR} ${match} -j KEELSON-MARK-MASQ`);
        dispatch(svc, internal);
      } else {
        filter.push(`-A KEELSON-SERVICES-FILTER ${c} ${match} -j REJECT`);
      }
    }
    if (sp.nodePort > 0 || sp.externalIPs.length) {
      if (external.length) {
        const ext = chainId('EXT', id);
        natChains.push(ext);
        if (!sp.externalLocal) nat.push(`-A ${ext} ${c} -j KEELSON-MARK-MASQ`);
        dispatch(ext, external);
        if (sp.nodePort > 0)
          nodePortRules.push(
            `-A KEELSON-NODEPORTS ${c} -p ${sp.protocol} -m ${sp.protocol} --dport ${sp.nodePort} -j ${ext}`,
          );
        for (const ip of sp.externalIPs) {
          nat.push(
            `-A KEELSON-SERVICES ${c} -d ${ip}/32 -p ${sp.protocol} -m ${sp.protocol} --dport ${sp.port} -j ${ext}`,
          );
        }
      } else {
        if (sp.nodePort > 0) {
          filter.push(
            `-A KEELSON-SERVICES-FILTER ${c} -m addrtype --dst-type LOCAL -p ${sp.protocol} -m ${sp.protocol} --dport ${sp.nodePort} -j REJECT`,
          );
        }
        for (const ip of sp.externalIPs) {
          filter.push(
            `-A KEELSON-SERVICES-FILTER ${c} -d ${ip}/32 -p ${sp.protocol} -m ${sp.protocol} --dport ${sp.port} -j REJECT`,
          );
        }
      }
    }
  }
  nat.push(...nodePortRules);
  // NodePorts last in KEELSON-SERVICES, only for local destinations, never for loopback.
  nat.push(`-A KEELSON-SERVICES -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KEELSON-NODEPORTS`);

  const live = new Set(natChains);
  const staleNat = stale.filter((s) => !live.has(s) && !s.startsWith('KEELSON-SERVICES-FILTER'));
  const lines = ['*nat', ...[...natChains, ...staleNat].map((n) => `:${n} - [0:0]`), ...nat];
  for (const s of staleNat) lines.push(`-X ${s}`);
  lines.push('COMMIT', '*filter', ...filterChains.map((n) => `:${n} - [0:0]`), ...filter, 'COMMIT');
  return { script: lines.join('\n') + '\n', chains: natChains };
}
