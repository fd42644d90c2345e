/**
 * The proxy's view of the cluster: one {@link ServicePortInfo} per Service port with its ready
 * endpoints, computed as a pure function of Services and EndpointSlices (kube-proxy's
 * ServicePortMap and EndpointsMap). Backends turn it into nftables or iptables rules.
 */
import type { EndpointSlice, Service } from '@keelson/api';

/** One backend of a Service port. */
export interface EndpointInfo {
  ip: string;
  port: number;
  nodeName?: string;
  /** True when the endpoint runs on this proxy's node. */
  local: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** One port of one Service, with everything the rules need. */
export interface ServicePortInfo {
  /** "<namespace>/<name>:<portName>" (portName may be empty), kube-proxy's ServicePortName. */
  name: string;
  namespace: string;
  service: string;
  portName: string;
  /** "tcp", "udp" or "sctp" (nft/iptables spelling). */
  protocol: 'tcp' | 'udp' | 'sctp';
  /** IPv4 ClusterIPs (IPv6 is not served by these backends yet). */
  clusterIP?: string;
  port: number;
  /** 0 when the Service has no NodePort. */
  nodePort: number;
  externalIPs: string[];
  /** ClientIP affinity timeout, seconds; 0 when sessionAffinity is None. */
  affinityTimeoutSeconds: number;
  /** internalTrafficPolicy Local: only node-local endpoints serve ClusterIP traffic. */
  internalLocal: boolean;
  /** externalTrafficPolicy Local: only node-local endpoints serve NodePort/external traffic. */
  externalLocal: boolean;
  /** Endpoints to use, already filtered to usable ones (ready, or serving+terminating as fallback). */
  endpoints: EndpointInfo[];
}

/** Label linking an EndpointSlice to its Service. */
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Default ClientIP affinity timeout, seconds (core/v1 DefaultClientIPServiceAffinitySeconds). */
export const DEFAULT_AFFINITY_SECONDS = 10800;

const isIPv4 = (ip: string | undefined): ip is string => !!ip && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip);

/**
 * Builds the service port table.
 * @param services every Service in the cluster
 * @param slices every EndpointSlice in the cluster
 * @param nodeName this proxy's node name (for Local traffic policies)
 * @returns one entry per (Service, port) that has a ClusterIP, NodePort or external IP;
 *          headless and ExternalName Services are skipped, as kube-proxy does.
 *          Sorted by name so rule output is stable.
 */
export function buildServicePorts(
  services: Service[],
  slices: EndpointSlice[],
  nodeName: string,
): ServicePortInfo[] {
  const byService = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata.namespace}/${svc}`;
    const list = byService.get(key) ?? [];
    list.push(s);
    byService.set(key, list);
  }
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec;
    if (!spec || spec.type === 'ExternalName' || spec.clusterIP === 'None') continue;
    const ns = svc.metadata.namespace ?? 'default';
    const name = svc.metadata.name ?? '';
    const clusterIP = [spec.clusterIP, ...(spec.clusterIPs ?? [])].find(isIPv4);
    const affinity =
      spec.sessionAffinity === 'ClientIP'
        ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS)
        : 0;
    const svcSlices = byService.get(`${ns}/${name}`) ?? [];
    for (const p of spec.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP').toLowerCase() as ServicePortInfo['protocol'];
      const portName = p.name ?? '';
      const all: EndpointInfo[] = [];
      const seen = new Set<string>();
      for (const slice of svcSlices) {
        const sp = (slice.ports ?? []).find(
          (x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP').toLowerCase() === protocol,
        );
        if (!sp || sp.port === undefined) continue;
        for (const ep of slice.endpoints ?? []) {
          const ready = ep.conditions?.ready !== false; // nil means ready
          const serving = ep.conditions?.serving ?? ready;
          const terminating = ep.conditions?.terminating ?? false;
          for (const ip of ep.addresses) {
            const key = `${ip}:${sp.port}`;
            if (!isIPv4(ip) || seen.has(key)) continue;
            seen.add(key);
            all.push({
              ip,
              port: sp.port,
              nodeName: ep.nodeName,
              local: ep.nodeName === nodeName,
              ready,
              serving,
              terminating,
            });
          }
        }
      }
      out.push({
        name: `${ns}/${name}:${portName}`,
        namespace: ns,
        service: name,
        portName,
        protocol,
        clusterIP,
        port: p.port,
        nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? (p.nodePort ?? 0) : 0,
        externalIPs: (spec.externalIPs ?? []).filter(isIPv4),
        affinityTimeoutSeconds: affinity,
        internalLocal: spec.internalTrafficPolicy === 'Local',
        externalLocal:
          spec.externalTrafficPolicy === 'Local' &&
          (spec.type === 'NodePort' || spec.type === 'LoadBalancer'),
        endpoints: usableEndpoints(all),
      });
    }
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/**
 * Ready endpoints; if none is ready, serving-and-terminating ones (KEP-1669 "ProxyTerminatingEndpoints").
 * Sorted by ip:port for stable output.
 */
export function usableEndpoints(all: EndpointInfo[]): EndpointInfo[] {
  let use = all.filter((e) => e.ready && !e.terminating);
  if (!use.length) use = all.filter((e) => e.serving && e.terminating);
  return use.sort((a, b) => (a.ip === b.ip ? a.port - b.port : ipToNumber(a.ip) - ipToNumber(b.ip)));
}

/** Endpoints serving ClusterIP traffic (internalTrafficPolicy), and NodePort/external traffic (externalTrafficPolicy). */
export function clusterEndpoints(sp: ServicePortInfo): EndpointInfo[] {
  return sp.internalLocal ? sp.endpoints.filter((e) => e.local) : sp.endpoints;
}

/** Endpoints serving NodePort and external-IP traffic (externalTrafficPolicy Local keeps node-local ones). */
export function externalEndpoints(sp: ServicePortInfo): EndpointInfo[] {
  return sp.externalLocal ? sp.endpoints.filter((e) => e.local) : sp.endpoints;
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
