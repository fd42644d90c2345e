/**
 * Cluster DNS answers as a pure function of Services and EndpointSlices, following the
 * Kubernetes DNS-Based Service Discovery specification (version 1.1.0):
 * - A/AAAA `<svc>.<ns>.svc.<zone>` → ClusterIP; headless → one record per ready endpoint;
 * - A/AAAA `<hostname>.<svc>.<ns>.svc.<zone>` for headless endpoints with a hostname;
 * - SRV `_<port>._<proto>.<svc>.<ns>.svc.<zone>` for named ports;
 * - PTR for ClusterIPs and headless endpoint IPs; CNAME for ExternalName Services;
 * - A `a-b-c-d.<ns>.pod.<zone>` pod records; TXT `dns-version.<zone>` = "1.1.0".
 * No I/O here: {@link ClusterDns.answer} maps a question to an answer set, unit-testable.
 */
import { isIP } from 'node:net';
import type { DnsEndpointSlice, DnsService } from './cluster-state';
import { SERVICE_NAME_LABEL } from './cluster-state';

/** The DNS spec version served in `dns-version.<zone>` (Kubernetes DNS spec). */
export const DNS_SCHEMA_VERSION = '1.1.0';

/** A resource record in the shape dns-packet encodes. */
export type DnsRecord =
  | { type: 'A' | 'AAAA'; name: string; ttl: number; data: string }
  | { type: 'CNAME' | 'PTR'; name: string; ttl: number; data: string }
  | {
      type: 'SRV';
      name: string;
      ttl: number;
      data: { priority: number; weight: number; port: number; target: string };
    }
  | { type: 'TXT'; name: string; ttl: number; data: string[] }
  | {
      type: 'SOA';
      name: string;
      ttl: number;
      data: {
        mname: string;
        rname: string;
        serial: number;
        refresh: number;
        retry: number;
        expire: number;
        minimum: number;
      };
    };

/** How a name resolved: NOERROR with answers, NODATA (name exists, no record of the type), NXDOMAIN. */
export interface DnsAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: DnsRecord[];
  /** Extra records (A records of SRV targets). */
  additionals: DnsRecord[];
  /** SOA for negative answers (NXDOMAIN and NODATA), per RFC 2308. */
  authorities: DnsRecord[];
}

/** Options of {@link ClusterDns}. */
export interface ClusterDnsOptions {
  /** The cluster domain, e.g. "cluster.local" (no trailing dot). */
  zone: string;
  /** TTL of positive answers, seconds (default 30). */
  ttl?: number;
}

interface ServiceEntry {
  svc: DnsService;
  slices: Map<string, DnsEndpointSlice>;
}

const lower = (s: string) => s.toLowerCase().replace(/\.$/, '');

/** True for a dotted IPv4 address. */
function isIPv4(ip: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(ip);
}

/** The reverse-lookup name of an IP: "10.96.0.10" → "10.0.96.10.in-addr.arpa". */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const groups = expandIPv6(ip);
  return `${groups.join('').split('').reverse().join('.')}.ip6.arpa`;
}

function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - h.length - t.length;
  const all = [...h, ...Array(tail !== undefined ? missing : 0).fill('0'), ...t];
  return all.map((g) => g.padStart(4, '0'));
}

/**
 * An in-memory index of Services and EndpointSlices answering DNS questions for the cluster zone.
 * Update it from informer events with {@link upsertService}, {@link deleteService},
 * {@link upsertSlice} and {@link deleteSlice}; every call takes effect for the next answer.
 */
export class ClusterDns {
  readonly zone: string;
  readonly ttl: number;
  /** key "ns/name" */
  private readonly services = new Map<string, ServiceEntry>();
  /** slices whose Service is not (yet) known, key "ns/svc" → slice name → slice */
  private readonly pendingSlices = new Map<string, Map<string, DnsEndpointSlice>>();
  private readonly namespaces = new Map<string, number>();
  private serial = 1;

  constructor(opts: ClusterDnsOptions) {
    this.zone = lower(opts.zone);
    this.ttl = opts.ttl ?? 30;
  }

  /** Adds or replaces a Service. */
  upsertService(svc: DnsService): void {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const existing = this.services.get(key);
    if (!existing) {
      this.namespaces.set(
        svc.metadata.namespace ?? '',
        (this.namespaces.get(svc.metadata.namespace ?? '') ?? 0) + 1,
      );
    }
    const slices = existing?.slices ?? this.pendingSlices.get(key) ?? new Map<string, DnsEndpointSlice>();
    this.pendingSlices.delete(key);
    this.services.set(key, { svc, slices });
    this.serial++;
  }

  /** Removes a Service (its slices are kept until they are deleted too). */
  deleteService(svc: DnsService): void {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const existing = this.services.get(key);
    if (!existing) return;
    this.services.delete(key);
    if (existing.slices.size) this.pendingSlices.set(key, existing.slices);
    const ns = svc.metadata.namespace ?? '';
    const n = (this.namespaces.get(ns) ?? 1) - 1;
    if (n <= 0) this.namespaces.delete(ns);
    else this.namespaces.set(ns, n);
    this.serial++;
  }

  /** Adds or replaces an EndpointSlice (linked to its Service by the kubernetes.io/service-name label). */
  upsertSlice(slice: DnsEndpointSlice): void {
    const svcName = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svcName) return;
    const key = `${slice.metadata.namespace}/${svcName}`;
    const target = this.services.get(key)?.slices ?? this.pendingFor(key);
    target.set(slice.metadata.name ?? '', slice);
    this.serial++;
  }

  /** Removes an EndpointSlice. */
  deleteSlice(slice: DnsEndpointSlice): void {
    const svcName = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svcName) return;
    const key = `${slice.metadata.namespace}/${svcName}`;
    this.services.get(key)?.slices.delete(slice.metadata.name ?? '');
    this.pendingSlices.get(key)?.delete(slice.metadata.name ?? '');
    this.serial++;
  }

  private pendingFor(key: string): Map<string, DnsEndpointSlice> {
    let m = this.pendingSlices.get(key);
    if (!m) this.pendingSlices.set(key, (m = new Map()));
    return m;
  }

  /** True if `name` is the zone or inside it. */
  inZone(name: string): boolean {
    const n = lower(name);
    return n === this.zone || n.endsWith(`.${this.zone}`);
  }

  /** The zone's SOA record (authority of negative answers; minimum = negative-caching TTL). */
  soa(): DnsRecord {
    return {
      type: 'SOA',
      name: this.zone,
      ttl: this.ttl,
      data: {
        mname: `ns.dns.${this.zone}`,
        rname: `hostmaster.${this.zone}`,
        serial: this.serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  /**
   * Answers one question for a name inside the cluster zone or a reverse zone.
   * Returns undefined when the name is not ours to answer (the caller forwards it).
   * @param name the queried name, any case, with or without the trailing dot
   * @param type the record type, e.g. "A", "SRV", "PTR"
   */
  answer(name: string, type: string): DnsAnswer | undefined {
    const n = lower(name);
    if (n.endsWith('.in-addr.arpa') || n.endsWith('.ip6.arpa')) return this.answerPtr(n, type);
    if (!this.inZone(n)) return undefined;
    const rel = n === this.zone ? [] : n.slice(0, -(this.zone.length + 1)).split('.');
    const records = this.lookup(rel, n);
    if (records === undefined) return this.negative('NXDOMAIN');
    const matching = records.filter((r) => r.type === type || (type === 'ANY' && r.type !== 'SOA'));
    // A CNAME answers every type (RFC 1034 §3.6.2).
    const cname = records.find((r) => r.type === 'CNAME');
    if (!matching.length && cname)
      return { rcode: 'NOERROR', answers: [cname], additionals: [], authorities: [] };
    if (!matching.length) return this.negative('NOERROR');
    const additionals: DnsRecord[] = [];
    if (type === 'SRV') {
      for (const r of matching) {
        if (r.type !== 'SRV') continue;
        const target = this.lookup(
          r.data.target === this.zone ? [] : r.data.target.slice(0, -(this.zone.length + 1)).split('.'),
          r.data.target,
        );
        for (const t of target ?? []) if (t.type === 'A' || t.type === 'AAAA') additionals.push(t);
      }
    }
    return { rcode: 'NOERROR', answers: matching, additionals, authorities: [] };
  }

  private negative(rcode: 'NOERROR' | 'NXDOMAIN'): DnsAnswer {
    return { rcode, answers: [], additionals: [], authorities: [this.soa()] };
  }

  /**
   * All records at a name given as labels relative to the zone, or undefined if the name does
   * not exist. Existing names without records (empty non-terminals) give [].
   */
  private lookup(rel: string[], fqdn: string): DnsRecord[] | undefined {
    const ttl = this.ttl;
    if (rel.length === 0) return [this.soa()];
    if (rel.length === 1 && rel[0] === 'dns-version') {
      return [{ type: 'TXT', name: fqdn, ttl, data: [DNS_SCHEMA_VERSION] }];
    }
    const last = rel[rel.length - 1];
    if (last === 'svc') return this.lookupSvc(rel.slice(0, -1), fqdn);
    if (last === 'pod') {
      // a-b-c-d.<ns>.pod.<zone>: any namespace, any address (the spec's pod A records).
      if (rel.length === 1 || rel.length === 2) return [];
      if (rel.length !== 3) return undefined;
      const ip = rel[0].replace(/-/g, '.');
      if (isIPv4(ip)) return isIP(ip) === 4 ? [{ type: 'A', name: fqdn, ttl, data: ip }] : undefined;
      const v6 = rel[0].replace(/-/g, ':');
      return isIP(v6) === 6 ? [{ type: 'AAAA', name: fqdn, ttl, data: v6 }] : undefined;
    }
    return undefined;
  }

  private lookupSvc(rel: string[], fqdn: string): DnsRecord[] | undefined {
    const ttl = this.ttl;
    if (rel.length === 0) return []; // svc.<zone>
    const ns = rel[rel.length - 1];
    if (rel.length === 1) return this.namespaces.has(ns) ? [] : undefined;
    const svcName = rel[rel.length - 2];
    const entry = this.services.get(`${ns}/${svcName}`);
    if (!entry) return undefined;
    const svc = entry.svc;
    const svcFqdn = `${svcName}.${ns}.svc.${this.zone}`;
    const headless = svc.spec?.clusterIP === 'None';
    const endpoints = this.readyEndpoints(entry);

    if (rel.length === 2) {
      if (svc.spec?.type === 'ExternalName' && svc.spec.externalName) {
        return [{ type: 'CNAME', name: fqdn, ttl, data: lower(svc.spec.externalName) }];
      }
      if (!headless)
        return ipRecords(
          fqdn,
          ttl,
          svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []),
        );
      return ipRecords(
        fqdn,
        ttl,
        endpoints.map((e) => e.address),
      );
    }
    if (rel.length === 3) {
      // <hostname>.<svc>.<ns>.svc.<zone>, or an empty non-terminal _<proto> of SRV names.
      const label = rel[0];
      if (label.startsWith('_'))
        return this.srvNames(entry, svcFqdn).some((s) => s.endsWith(fqdn)) ? [] : undefined;
      if (!headless) return undefined;
      const mine = endpoints.filter((e) => e.hostname === label);
      return mine.length
        ? ipRecords(
            fqdn,
            ttl,
            mine.map((e) => e.address),
          )
        : undefined;
    }
    if (rel.length === 4 && rel[0].startsWith('_') && rel[1].startsWith('_')) {
      const portName = rel[0].slice(1);
      const proto = rel[1].slice(1);
      const port = (svc.spec?.ports ?? []).find(
        (p) => p.name === portName && (p.protocol ?? 'TCP').toLowerCase() === proto,
      );
      if (!port) return undefined;
      if (!headless) {
        return [
          {
            type: 'SRV',
            name: fqdn,
            ttl,
            data: { priority: 0, weight: 100, port: port.port, target: svcFqdn },
          },
        ];
      }
      const targets = endpoints.filter((e) =>
        e.ports.some((p) => p.name === portName && p.protocol === proto),
      );
      const weight = targets.length ? Math.max(1, Math.floor(100 / targets.length)) : 100;
      return targets.map((e) => ({
        type: 'SRV' as const,
        name: fqdn,
        ttl,
        data: {
          priority: 0,
          weight,
          port: e.ports.find((p) => p.name === portName && p.protocol === proto)!.port,
          target: `${e.hostname ?? endpointLabel(e.address)}.${svcFqdn}`,
        },
      }));
    }
    return undefined;
  }

  private srvNames(entry: ServiceEntry, svcFqdn: string): string[] {
    return (entry.svc.spec?.ports ?? [])
      .filter((p) => p.name)
      .map((p) => `_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${svcFqdn}`);
  }

  /** Ready endpoints (or all serving ones with publishNotReadyAddresses), de-duplicated by address. */
  private readyEndpoints(entry: ServiceEntry): Array<{
    address: string;
    hostname?: string;
    ports: Array<{ name: string; protocol: string; port: number }>;
  }> {
    const out = new Map<
      string,
      { address: string; hostname?: string; ports: Array<{ name: string; protocol: string; port: number }> }
    >();
    const publishAll = entry.svc.spec?.publishNotReadyAddresses === true;
    for (const slice of entry.slices.values()) {
      const ports = (slice.ports ?? [])
        .filter((p) => p.port !== undefined)
        .map((p) => ({ name: p.name ?? '', protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port! }));
      for (const ep of slice.endpoints ?? []) {
        // Kubernetes EndpointSlice: a nil `ready` is interpreted as ready.
        if (!publishAll && ep.conditions?.ready === false) continue;
        for (const address of ep.addresses) {
          if (!out.has(address)) out.set(address, { address, hostname: ep.hostname, ports });
        }
      }
    }
    return [...out.values()];
  }

  private answerPtr(n: string, type: string): DnsAnswer | undefined {
    const ip = ipFromReverse(n);
    if (!ip) return undefined;
    const names: string[] = [];
    for (const entry of this.services.values()) {
      const svc = entry.svc;
      const svcFqdn = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.zone}`;
      const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
      if (ips.includes(ip)) names.push(svcFqdn);
      if (svc.spec?.clusterIP === 'None') {
        for (const e of this.readyEndpoints(entry)) {
          if (e.address === ip) names.push(`${e.hostname ?? endpointLabel(e.address)}.${svcFqdn}`);
        }
      }
    }
    if (!names.length) return undefined; // not a cluster address: forward
    if (type !== 'PTR' && type !== 'ANY') return this.negative('NOERROR');
    return {
      rcode: 'NOERROR',
      answers: names.map((data) => ({ type: 'PTR' as const, name: n, ttl: this.ttl, data })),
      additionals: [],
      authorities: [],
    };
  }
}

function ipRecords(name: string, ttl: number, ips: string[]): DnsRecord[] {
  return ips.map((ip) => ({ type: isIPv4(ip) ? ('A' as const) : ('AAAA' as const), name, ttl, data: ip }));
}

/** The label a headless endpoint without a hostname gets: its address with dashes. */
function endpointLabel(address: string): string {
  return address.replace(/[.:]/g, '-');
}

function ipFromReverse(n: string): string | undefined {
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return undefined;
    return parts.reverse().join('.');
  }
  const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.');
  if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined;
  const hex = nibbles.reverse().join('');
  const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
  return compressIPv6(groups);
}

function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
