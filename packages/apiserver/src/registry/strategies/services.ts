/**
 * Services (upstream pkg/registry/core/service): defaults (type ClusterIP, TCP, targetPort =
 * port, single-stack IPv4), ClusterIP allocation (explicit IPs checked against the range; "None"
 * for headless), NodePort allocation for NodePort/LoadBalancer services, release on delete.
 * ClusterIP is immutable once set.
 */
import type { KubeObject } from '@keelson/api';
import { invalid } from '../../errors';
import { AllocationError } from '../allocators';
import type { Strategy, StrategyContext } from '../strategy';

type Svc = KubeObject & { spec?: any; status?: any };

function defaults(svc: Svc): void {
  const spec = (svc.spec ??= {});
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.type !== 'ExternalName') {
    spec.internalTrafficPolicy ??= 'Cluster';
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (Array.isArray(spec.ports))
    for (const p of spec.ports) {
      if (!p || typeof p !== 'object') continue;
      p.protocol ??= 'TCP';
      if (p.targetPort === undefined && p.port !== undefined) p.targetPort = p.port;
    }
}

function wantsNodePorts(svc: Svc): boolean {
  return svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
}

function fail(svc: Svc, field: string, value: unknown, msg: string): never {
  throw invalid('', 'Service', svc.metadata.name ?? '', [
    { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${msg}`, field },
  ]);
}

function allocate(svc: Svc, old: Svc | undefined, ctx: StrategyContext): { ips: string[]; ports: number[] } {
  const got = { ips: [] as string[], ports: [] as number[] };
  const spec = svc.spec;
  try {
    if (spec.type !== 'ExternalName' && !old?.spec?.clusterIP) {
      const requested = spec.clusterIP || (Array.isArray(spec.clusterIPs) ? spec.clusterIPs[0] : undefined);
      if (requested === 'None') {
        spec.clusterIP = 'None';
        spec.clusterIPs = ['None'];
      } else if (requested) {
        try {
          ctx.serviceIPs.allocate(requested);
        } catch (e) {
          fail(svc, 'spec.clusterIPs', [requested], (e as Error).message);
        }
        got.ips.push(requested);
        spec.clusterIP = requested;
        spec.clusterIPs = [requested];
      } else {
        const ip = ctx.serviceIPs.allocateNext();
        got.ips.push(ip);
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
    }
    if (wantsNodePorts(svc) && Array.isArray(spec.ports)) {
      const oldPorts: any[] = wantsNodePorts(old ?? ({} as Svc)) ? (old?.spec?.ports ?? []) : [];
      spec.ports.forEach((p: any, i: number) => {
        if (!p || typeof p !== 'object') return;
        const prev = oldPorts.find(
          (o) => o?.nodePort && (o.name ?? '') === (p.name ?? '') && o.port === p.port,
        );
        if (p.nodePort && prev && prev.nodePort === p.nodePort) return;
        if (!p.nodePort && prev) {
          p.nodePort = prev.nodePort;
          return;
        }
        if (p.nodePort) {
          try {
            ctx.nodePorts.allocate(p.nodePort);
          } catch (e) {
            fail(svc, `spec.ports[${i}].nodePort`, p.nodePort, (e as Error).message);
          }
          got.ports.push(p.nodePort);
        } else {
          p.nodePort = ctx.nodePorts.allocateNext();
          got.ports.push(p.nodePort);
        }
      });
    }
  } catch (e) {
    for (const ip of got.ips) ctx.serviceIPs.release(ip);
    for (const p of got.ports) ctx.nodePorts.release(p);
    if (e instanceof AllocationError) fail(svc, 'spec.clusterIPs', spec.clusterIP ?? '', e.message);
    throw e;
  }
  return got;
}

function releaseAll(svc: Svc, ctx: StrategyContext): void {
  const spec = svc.spec ?? {};
  for (const ip of (spec.clusterIPs ?? [spec.clusterIP]) as string[])
    if (ip && ip !== 'None') ctx.serviceIPs.release(ip);
  if (wantsNodePorts(svc))
    for (const p of spec.ports ?? []) if (p?.nodePort) ctx.nodePorts.release(p.nodePort);
}

/** The service strategy. */
export const serviceStrategy: Strategy = {
  statusSubresource: true,
  returnDeletedObject: true,
  prepareForCreate(obj, ctx) {
    const svc = obj as Svc;
    if (svc.spec !== undefined && (typeof svc.spec !== 'object' || Array.isArray(svc.spec))) return;
    defaults(svc);
    svc.status = { loadBalancer: {} };
    allocate(svc, undefined, ctx);
  },
  rollbackCreate(obj, ctx) {
    releaseAll(obj as Svc, ctx);
  },
  prepareForUpdate(obj, old, ctx) {
    const svc = obj as Svc;
    const prev = old as Svc;
    if (svc.spec === undefined || typeof svc.spec !== 'object') return;
    defaults(svc);
    if (prev.spec?.clusterIP && prev.spec.type !== 'ExternalName' && svc.spec.type !== 'ExternalName') {
      if (!svc.spec.clusterIP) svc.spec.clusterIP = prev.spec.clusterIP;
      if (!svc.spec.clusterIPs) svc.spec.clusterIPs = prev.spec.clusterIPs;
      if (svc.spec.clusterIP !== prev.spec.clusterIP)
        throw invalid('', 'Service', svc.metadata.name ?? '', [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${JSON.stringify(svc.spec.clusterIP)}: field is immutable`,
            field: 'spec.clusterIPs[0]',
          },
        ]);
    }
    allocate(svc, prev, ctx);
    // nodePorts dropped by the update are released
    if (wantsNodePorts(prev)) {
      const keep = new Set(wantsNodePorts(svc) ? (svc.spec.ports ?? []).map((p: any) => p?.nodePort) : []);
      for (const p of prev.spec?.ports ?? [])
        if (p?.nodePort && !keep.has(p.nodePort)) ctx.nodePorts.release(p.nodePort);
    }
  },
  afterDelete(obj, ctx) {
    releaseAll(obj as Svc, ctx);
  },
  fields(obj) {
    const svc = obj as Svc;
    return { 'spec.clusterIP': svc.spec?.clusterIP ?? '', 'spec.type': svc.spec?.type ?? '' };
  },
};

/** Re-marks the addresses and ports of a stored service as used (startup). */
export function restoreServiceAllocations(obj: KubeObject, ctx: StrategyContext): void {
  const svc = obj as Svc;
  const spec = svc.spec ?? {};
  for (const ip of (spec.clusterIPs ?? [spec.clusterIP]) as string[])
    if (ip && ip !== 'None') ctx.serviceIPs.restore(ip);
  if (wantsNodePorts(svc))
    for (const p of spec.ports ?? []) if (p?.nodePort) ctx.nodePorts.restore(p.nodePort);
}
