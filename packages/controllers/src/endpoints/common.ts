/**
 * What Endpoints and EndpointSlices are computed from (k8s.io/kubernetes
 * pkg/controller/util/endpoint and endpointslice/util): which pods belong, port resolution by
 * name, hostnames, and pod → service fan-out for event handlers.
 */
import type { ControllerContext } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { Pod, Service, ServicePort } from '../types';
import { keyOf } from '../util/objects';
import { isPodReady } from '../util/pods';
import { mapSelectorMatches } from '../util/selectors';

/** The pod IPs (status.podIPs, else status.podIP). */
export function podIPs(p: Pod): string[] {
  const ips = (p.status?.podIPs ?? []).map((x) => x.ip).filter(Boolean);
  if (ips.length) return ips;
  return p.status?.podIP ? [p.status.podIP] : [];
}

/**
 * ShouldPodBeInEndpoints: has an IP, is not terminal for its restart policy, and (unless
 * `includeTerminating`) is not being deleted.
 */
export function shouldPodBeInEndpoints(p: Pod, includeTerminating: boolean): boolean {
  if (podIPs(p).length === 0) return false;
  if (!includeTerminating && p.metadata.deletionTimestamp) return false;
  const rp = p.spec?.restartPolicy ?? 'Always';
  const phase = p.status?.phase;
  if (rp === 'Never') return phase !== 'Failed' && phase !== 'Succeeded';
  if (rp === 'OnFailure') return phase !== 'Succeeded';
  return true;
}

/**
 * podutil.FindPort: a numeric targetPort as is; a named one resolved against the pod's
 * container ports with that name and protocol; unset means the service port. Undefined when a
 * name does not resolve.
 */
export function findPort(p: Pod, sp: ServicePort): number | undefined {
  const tp = sp.targetPort ?? sp.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  const proto = sp.protocol ?? 'TCP';
  for (const c of p.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) {
      if (cp.name === tp && (cp.protocol ?? 'TCP') === proto) return cp.containerPort;
    }
  }
  return undefined;
}

/** ShouldSetHostname: the pod's spec.hostname is set and its subdomain names this service. */
export function shouldSetHostname(p: Pod, svc: Service): boolean {
  return (
    !!p.spec?.hostname &&
    p.spec?.subdomain === svc.metadata.name &&
    p.metadata.namespace === svc.metadata.namespace
  );
}

/** Endpoint conditions as the EndpointSlice controller sets them. */
export function endpointConditions(
  p: Pod,
  svc: Service,
): { ready: boolean; serving: boolean; terminating: boolean } {
  const publish = !!svc.spec?.publishNotReadyAddresses;
  const serving = publish || isPodReady(p);
  const terminating = !!p.metadata.deletionTimestamp;
  return { ready: publish || (serving && !terminating), serving, terminating };
}

/** Pods a service selects (selector-less services select nothing: their endpoints are user-managed). */
export function podsForService(svc: Service, pods: Pod[]): Pod[] {
  return pods.filter((p) => mapSelectorMatches(svc.spec?.selector, p.metadata.labels));
}

/** Services in the pod's namespace whose selector matches the pod's labels (now or `old`). */
export function servicesForPod(services: Service[], p: Pod, old?: Pod): Service[] {
  return services.filter(
    (s) =>
      mapSelectorMatches(s.spec?.selector, p.metadata.labels) ||
      (old && mapSelectorMatches(s.spec?.selector, old.metadata.labels)),
  );
}

/** The resolved ports of a pod for a service, as [name, port, protocol, appProtocol] rows. */
export function resolvedPorts(
  p: Pod,
  svc: Service,
): { name: string; port: number; protocol: string; appProtocol?: string }[] {
  const out: { name: string; port: number; protocol: string; appProtocol?: string }[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const n = findPort(p, sp);
    if (n === undefined) continue;
    const row: { name: string; port: number; protocol: string; appProtocol?: string } = {
      name: sp.name ?? '',
      port: n,
      protocol: sp.protocol ?? 'TCP',
    };
    if (sp.appProtocol) row.appProtocol = sp.appProtocol;
    out.push(row);
  }
  return out;
}

/**
 * The informers both endpoint controllers build on, with the handlers that queue a Service's key
 * ("namespace/name") whenever the Service changes or a pod it selects (before or after the
 * change) is added, updated or deleted.
 */
export function serviceAndPodInformers(
  ctx: ControllerContext,
  enqueue: (key: string) => void,
): { services: SharedInformerLike<Service>; pods: SharedInformerLike<Pod> } {
  const services = ctx.informers.informer<Service>('services');
  const pods = ctx.informers.informer<Pod>('pods');
  services.addEventHandler({
    onAdd: (s) => enqueue(keyOf(s)),
    onUpdate: (_o, s) => enqueue(keyOf(s)),
    onDelete: (s) => enqueue(keyOf(s)),
  });
  const podChanged = (p: Pod, old?: Pod) => {
    for (const s of servicesForPod(services.lister().list(p.metadata.namespace), p, old)) enqueue(keyOf(s));
  };
  pods.addEventHandler({
    onAdd: (p) => podChanged(p),
    onUpdate: (o, p) => podChanged(p, o),
    onDelete: (p) => podChanged(p),
  });
  return { services, pods };
}
