/**
 * nftables rules for Services as a pure function of the service port table: one private table,
 * verdict maps keyed by `daddr . l4proto . dport` so a packet's cost does not grow with the number
 * of Services, `numgen random` among endpoints, masquerade marks for hairpin/off-cluster traffic,
 * reject for Services without endpoints, ClientIP affinity with dynamic timeout sets.
 * The output is a {@link Ruleset}; {@link renderFull} and {@link renderUpdate} turn it into
 * `nft -f` scripts (command form, one rule per line: see PLATFORM.md for nft 1.0.6 gotchas).
 */
import type { ServicePortInfo } from '../service-ports';
import { clusterEndpoints, externalEndpoints } from '../service-ports';
import { affinitySetName, endpointChainName, externalChainName, serviceChainName } from '../naming';

/** Options of {@link buildRuleset}. */
export interface NftOptions {
  /** Table name (family ip), unique per proxy instance; default "keelson-proxy". */
  table: string;
  /** Pod CIDR of the whole cluster, e.g. "10.244.0.0/16": traffic to a ClusterIP from outside it is masqueraded. */
  clusterCIDR?: string;
  /** Masquerade all traffic to Services (when no clusterCIDR is known). */
  masqueradeAll?: boolean;
}

/** The mark bit that asks the postrouting chain to masquerade (kube-proxy's 0x4000). */
export const MASQUERADE_MARK = '0x00004000';

/** A whole desired ruleset. Chains hold their rules (without the `add rule ip T chain` prefix). */
export interface Ruleset {
  table: string;
  /** Base and static chains with hook declarations: name → "{ type ... ; }" or "" for regular chains. */
  chainDecls: Map<string, string>;
  chains: Map<string, string[]>;
  /** Map name → declaration body and elements ("key : verdict"). */
  maps: Map<string, { decl: string; elements: string[] }>;
  /** Set name → declaration body (dynamic affinity sets). */
  sets: Map<string, string>;
}

const STATIC_MAPS: Array<[string, string]> = [
  ['service-ips', 'type ipv4_addr . inet_proto . inet_service : verdict ;'],
  ['service-nodeports', 'type inet_proto . inet_service : verdict ;'],
  ['no-endpoint-services', 'type ipv4_addr . inet_proto . inet_service : verdict ;'],
  ['no-endpoint-nodeports', 'type inet_proto . inet_service : verdict ;'],
];

/**
 * The desired ruleset for a service port table.
 * @param ports from {@link buildServicePorts}
 */
export function buildRuleset(ports: ServicePortInfo[], opts: NftOptions): Ruleset {
  const rs: Ruleset = {
    table: opts.table,
    chainDecls: new Map(),
    chains: new Map(),
    maps: new Map(),
    sets: new Map(),
  };
  for (const [name, decl] of STATIC_MAPS) rs.maps.set(name, { decl, elements: [] });

  const base = (name: string, decl: string, rules: string[]) => {
    rs.chainDecls.set(name, decl);
    rs.chains.set(name, rules);
  };
  base('nat-prerouting', '{ type nat hook prerouting priority -100 ; policy accept ; }', ['jump services']);
  base('nat-output', '{ type nat hook output priority -100 ; policy accept ; }', ['jump services']);
  base('nat-postrouting', '{ type nat hook postrouting priority 100 ; policy accept ; }', [
    'jump masquerading',
  ]);
  for (const hook of ['input', 'forward', 'output']) {
    base(`filter-${hook}`, `{ type filter hook ${hook} priority -110 ; policy accept ; }`, [
      'ct state new jump endpoints-check',
    ]);
  }
  base('endpoints-check', '', [
    'ip daddr . meta l4proto . th dport vmap @no-endpoint-services',
    'fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports',
  ]);
  base('reject-chain', '', ['reject']);
  base('services', '', [
    'ip daddr . meta l4proto . th dport vmap @service-ips',
    'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
  ]);
  base('mark-for-masquerade', '', [`meta mark set meta mark | ${MASQUERADE_MARK}`]);
  base('masquerading', '', [
    `meta mark & ${MASQUERADE_MARK} == 0 return`,
    `meta mark set meta mark ^ ${MASQUERADE_MARK}`,
    'masquerade fully-random',
  ]);

  const el = (map: string, e: string) => rs.maps.get(map)!.elements.push(e);

  for (const sp of ports) {
    const svcChain = serviceChainName(sp.namespace, sp.service, sp.protocol, sp.portName);
    const extChain = externalChainName(sp.namespace, sp.service, sp.protocol, sp.portName);
    const internal = clusterEndpoints(sp);
    const external = externalEndpoints(sp);

    // Endpoint chains (shared by cluster and external traffic).
    const epChains = new Map<string, string>();
    for (const ep of sp.endpoints) {
      const chain = endpointChainName(sp.namespace, sp.service, sp.protocol, sp.portName, ep.ip, ep.port);
      epChains.set(`${ep.ip}:${ep.port}`, chain);
      const rules = [`ip saddr ${ep.ip} jump mark-for-masquerade`];
      if (sp.affinityTimeoutSeconds > 0) {
        const set = affinitySetName(chain);
        rs.sets.set(
          set,
          `{ type ipv4_addr ; flags dynamic,timeout ; timeout ${sp.affinityTimeoutSeconds}s ; }`,
        );
        rules.push(`update @${set} { ip saddr }`);
      }
      rules.push(`meta l4proto ${sp.protocol} dnat to ${ep.ip}:${ep.port}`);
      base(chain, '', rules);
    }

    const dispatch = (eps: typeof sp.endpoints): string[] => {
      const rules: string[] = [];
      if (sp.affinityTimeoutSeconds > 0) {
        for (const ep of eps) {
          const chain = epChains.get(`${ep.ip}:${ep.port}`)!;
          rules.push(`ip saddr @${affinitySetName(chain)} goto ${chain}`);
        }
      }
      const targets = eps.map((ep, i) => `${i} : goto ${epChains.get(`${ep.ip}:${ep.port}`)}`);
      rules.push(`numgen random mod ${eps.length} vmap { ${targets.join(' , ')} }`);
      return rules;
    };

    if (sp.clusterIP) {
      const key = `${sp.clusterIP} . ${sp.protocol} . ${sp.port}`;
      if (internal.length) {
        const rules: string[] = [];
        if (opts.masqueradeAll) rules.push(`jump mark-for-masquerade`);
        else if (opts.clusterCIDR) {
          rules.push(
            `ip daddr ${sp.clusterIP} ${sp.protocol} dport ${sp.port} ip saddr != ${opts.clusterCIDR} jump mark-for-masquerade`,
          );
        }
        rules.push(...dispatch(internal));
        base(svcChain, '', rules);
        el('service-ips', `${key} : goto ${svcChain}`);
      } else {
        el('no-endpoint-services', `${key} : goto reject-chain`);
      }
    }

    const hasExternal = sp.nodePort > 0 || sp.externalIPs.length > 0;
    if (hasExternal) {
      if (external.length) {
        // Cluster policy: masquerade so replies come back through this node; Local keeps the client IP.
        const rules = sp.externalLocal
          ? dispatch(external)
          : ['jump mark-for-masquerade', ...dispatch(external)];
        base(extChain, '', rules);
        if (sp.nodePort > 0) el('service-nodeports', `${sp.protocol} . ${sp.nodePort} : goto ${extChain}`);
        for (const ip of sp.externalIPs)
          el('service-ips', `${ip} . ${sp.protocol} . ${sp.port} : goto ${extChain}`);
      } else {
        if (sp.nodePort > 0)
          el('no-endpoint-nodeports', `${sp.protocol} . ${sp.nodePort} : goto reject-chain`);
        for (const ip of sp.externalIPs)
          el('no-endpoint-services', `${ip} . ${sp.protocol} . ${sp.port} : goto reject-chain`);
      }
    }
  }
  return rs;
}

const q = (table: string) => `ip ${table}`;

/**
 * A script that replaces the whole table atomically: creates it if missing, deletes it, and
 * re-creates everything, in one `nft -f` transaction.
 */
export function renderFull(rs: Ruleset): string {
  const t = q(rs.table);
  const lines = [`add table ${t}`, `delete table ${t}`, `add table ${t}`];
  for (const [name, body] of rs.sets) lines.push(`add set ${t} ${name} ${body}`);
  for (const [name, m] of rs.maps) lines.push(`add map ${t} ${name} { ${m.decl} }`);
  for (const [name, decl] of rs.chainDecls)
    lines.push(decl ? `add chain ${t} ${name} ${decl}` : `add chain ${t} ${name}`);
  for (const [name, rules] of rs.chains) for (const r of rules) lines.push(`add rule ${t} ${name} ${r}`);
  for (const [name, m] of rs.maps)
    if (m.elements.length) lines.push(`add element ${t} ${name} { ${m.elements.join(' , ')} }`);
  return lines.join('\n') + '\n';
}

/**
 * A script moving the kernel from `prev` to `next` touching only what changed: new chains are
 * added, changed chains flushed and refilled, maps flushed and refilled, removed chains and sets
 * deleted last (after nothing references them). Falls back to {@link renderFull} when the table
 * or the base chains differ.
 */
export function renderUpdate(prev: Ruleset | undefined, next: Ruleset): string {
  if (!prev || prev.table !== next.table || !sameBase(prev, next)) return renderFull(next);
  const t = q(next.table);
  const lines: string[] = [];
  for (const [name, body] of next.sets) if (!prev.sets.has(name)) lines.push(`add set ${t} ${name} ${body}`);
  for (const [name, decl] of next.chainDecls) {
    if (!prev.chainDecls.has(name))
      lines.push(decl ? `add chain ${t} ${name} ${decl}` : `add chain ${t} ${name}`);
  }
  // Map elements first (only the ones that changed), so chains they referenced may be deleted below.
  const additions: string[] = [];
  for (const [name, m] of next.maps) {
    const old = prev.maps.get(name);
    if (old && sameList(old.elements, m.elements)) continue;
    const before = new Map((old?.elements ?? []).map((e) => [elementKey(e), e]));
    const after = new Map(m.elements.map((e) => [elementKey(e), e]));
    const removed = [...before].filter(([k, e]) => after.get(k) !== e).map(([k]) => k);
    const added = [...after].filter(([k, e]) => before.get(k) !== e).map(([, e]) => e);
    if (removed.length) lines.push(`delete element ${t} ${name} { ${removed.join(' , ')} }`);
    if (added.length) additions.push(`add element ${t} ${name} { ${added.join(' , ')} }`);
  }
  for (const [name, rules] of next.chains) {
    const old = prev.chains.get(name);
    if (old && sameList(old, rules)) continue;
    if (old) lines.push(`flush chain ${t} ${name}`);
    for (const r of rules) lines.push(`add rule ${t} ${name} ${r}`);
  }
  // New elements point at chains that exist by now.
  lines.push(...additions);
  // Service chains reference endpoint chains: flush every chain going away, then delete them.
  const gone = [...prev.chains.keys()].filter((n) => !next.chains.has(n));
  for (const name of gone) lines.push(`flush chain ${t} ${name}`);
  for (const name of gone) lines.push(`delete chain ${t} ${name}`);
  for (const name of prev.sets.keys()) if (!next.sets.has(name)) lines.push(`delete set ${t} ${name}`);
  return lines.length ? lines.join('\n') + '\n' : '';
}

function sameBase(a: Ruleset, b: Ruleset): boolean {
  for (const [name, decl] of a.chainDecls) if (decl && b.chainDecls.get(name) !== decl) return false;
  for (const [name, m] of a.maps) if (b.maps.get(name)?.decl !== m.decl) return false;
  return true;
}

/** The key part of a verdict map element "k1 . k2 : goto chain". */
function elementKey(element: string): string {
  return element.slice(0, element.lastIndexOf(' : '));
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The script that removes the table (for `--cleanup`); harmless if it does not exist. */
export function renderCleanup(table: string): string {
  return `add table ${q(table)}\ndelete table ${q(table)}\n`;
}
