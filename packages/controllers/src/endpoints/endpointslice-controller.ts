/**
 * The EndpointSlice controller (k8s.io/kubernetes pkg/controller/endpointslice): for every
 * Service with a selector, discovery.k8s.io/v1 EndpointSlices listing the selected pods' IPs
 * with ready/serving/terminating conditions, nodeName, targetRef and hostname, grouped by the
 * resolved port set, at most 100 endpoints a slice. Slices carry the labels
 * kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by and a controller
 * ownerReference to the Service. A service with no endpoints keeps one empty placeholder slice.
 */
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { EndpointSlice, Pod, Service, SliceEndpoint, SlicePort } from '../types';
import { controllerOf, controllerRef, deepEqual, stableStringify } from '../util/objects';
import {
  endpointConditions,
  podIPs,
  podsForService,
  resolvedPorts,
  serviceAndPodInformers,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './common';

/** Label naming the Service of a slice. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Label naming the slice's manager. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** This controller's managed-by value (upstream's). */
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** Upstream's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** One desired group: a port set and the endpoints that resolve to it. */
export interface EndpointGroup {
  ports: SlicePort[];
  addressType: string;
  endpoints: SliceEndpoint[];
}

/** The endpoint for a pod (podToEndpoint). */
export function podToEndpoint(p: Pod, svc: Service, addressType: string): SliceEndpoint {
  const ips = podIPs(p).filter((ip) => (addressType === 'IPv6' ? ip.includes(':') : !ip.includes(':')));
  const ep: SliceEndpoint = {
    addresses: ips.slice(0, 1),
    conditions: endpointConditions(p, svc),
    targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid },
  };
  if (shouldSetHostname(p, svc)) ep.hostname = p.spec?.hostname;
  if (p.spec?.nodeName) ep.nodeName = p.spec.nodeName;
  return ep;
}

/** Groups the service's pods into desired endpoint groups by (address type, port set). Pure. */
export function desiredGroups(svc: Service, pods: Pod[]): EndpointGroup[] {
  const families = svc.spec?.ipFamilies?.length ? svc.spec.ipFamilies : ['IPv4'];
  const groups = new Map<string, EndpointGroup>();
  for (const p of podsForService(svc, pods)) {
    if (!shouldPodBeInEndpoints(p, true)) continue;
    const ports: SlicePort[] = resolvedPorts(p, svc).map((r) => ({
      name: r.name,
      port: r.port,
      protocol: r.protocol,
      ...(r.appProtocol ? { appProtocol: r.appProtocol } : {}),
    }));
    for (const fam of families) {
      const addressType = fam === 'IPv6' ? 'IPv6' : 'IPv4';
      const ep = podToEndpoint(p, svc, addressType);
      if (!ep.addresses.length) continue;
      const k = `${addressType}|${stableStringify(ports)}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { ports, addressType, endpoints: [] }));
      g.endpoints.push(ep);
    }
  }
  for (const g of groups.values())
    g.endpoints.sort((a, b) => (a.targetRef!.name! < b.targetRef!.name! ? -1 : 1));
  return [...groups.values()];
}

const groupKey = (addressType: string, ports: SlicePort[] | undefined) =>
  `${addressType}|${stableStringify(ports ?? [])}`;

/** A planned write. */
export type SlicePlan = { create: EndpointSlice[]; update: EndpointSlice[]; delete: EndpointSlice[] };

/**
 * Reconciles existing slices with desired groups, keeping endpoints in the slice they are in
 * when possible, filling slices with room before creating new ones, deleting slices left empty
 * (but keeping one empty placeholder when the service has no endpoints at all). Pure.
 */
export function planSlices(
  svc: Service,
  groups: EndpointGroup[],
  existing: EndpointSlice[],
  max = MAX_ENDPOINTS_PER_SLICE,
): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const labels = {
    ...(svc.metadata.labels ?? {}),
    [SERVICE_NAME_LABEL]: svc.metadata.name!,
    [MANAGED_BY_LABEL]: CONTROLLER_NAME,
  };
  const owner = controllerRef(svc, 'v1', 'Service');
  const newSlice = (g: { addressType: string; ports: SlicePort[] }, eps: SliceEndpoint[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels,
      ownerReferences: [owner],
    },
    addressType: g.addressType,
    endpoints: eps,
    ports: g.ports,
  });
  const used = new Set<EndpointSlice>();
  for (const g of groups) {
    const k = groupKey(g.addressType, g.ports);
    const want = new Map(g.endpoints.map((e) => [e.targetRef!.uid ?? e.addresses[0]!, e]));
    const mine = existing.filter((s) => groupKey(s.addressType, s.ports) === k);
    const placed = new Set<string>();
    const next = new Map<EndpointSlice, SliceEndpoint[]>();
    for (const s of mine) {
      const eps: SliceEndpoint[] = [];
      for (const e of s.endpoints ?? []) {
        const id = e.targetRef?.uid ?? e.addresses[0]!;
        const d = want.get(id);
        if (d && !placed.has(id) && eps.length < max) {
          eps.push(d);
          placed.add(id);
        }
      }
      next.set(s, eps);
    }
    const rest = g.endpoints.filter((e) => !placed.has(e.targetRef!.uid ?? e.addresses[0]!));
    for (const s of mine) {
      const eps = next.get(s)!;
      while (eps.length < max && rest.length) eps.push(rest.shift()!);
    }
    while (rest.length) plan.create.push(newSlice(g, rest.splice(0, max)));
    for (const s of mine) {
      const eps = next.get(s)!;
      used.add(s);
      if (eps.length === 0) plan.delete.push(s);
      else if (!deepEqual(eps, s.endpoints) || !deepEqual(labels, s.metadata.labels)) {
        plan.update.push({ ...s, metadata: { ...s.metadata, labels }, endpoints: eps });
      }
    }
  }
  for (const s of existing) if (!used.has(s)) plan.delete.push(s);
  const remaining = existing.length - plan.delete.length + plan.create.length;
  if (remaining === 0) {
    // Placeholder: keep (or create) one empty slice so consumers see "no endpoints".
    const placeholder = plan.delete.find(
      (s) => (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0 && s.addressType === 'IPv4',
    );
    if (placeholder) plan.delete = plan.delete.filter((s) => s !== placeholder);
    else {
      const candidate = plan.delete.shift();
      if (candidate)
        plan.update.push({
          ...candidate,
          metadata: { ...candidate.metadata, labels },
          addressType: 'IPv4',
          endpoints: [],
          ports: [],
        });
      else plan.create.push(newSlice({ addressType: 'IPv4', ports: [] }, []));
    }
  }
  return plan;
}

/** The EndpointSlice controller. */
export class EndpointSliceController extends QueueController {
  readonly name = 'endpointslice';
  private readonly svcInformer: SharedInformerLike<Service>;
  private readonly podInformer: SharedInformerLike<Pod>;
  private readonly sliceInformer: SharedInformerLike<EndpointSlice>;

  constructor(
    ctx: ControllerContext,
    private readonly maxPerSlice = MAX_ENDPOINTS_PER_SLICE,
  ) {
    super(ctx);
    ({ services: this.svcInformer, pods: this.podInformer } = serviceAndPodInformers(ctx, (k) =>
      this.queue.add(k),
    ));
    this.sliceInformer = ctx.informers.informer<EndpointSlice>('endpointslices');
    this.sliceInformer.addEventHandler({
      onUpdate: (_o, s) => this.sliceChanged(s),
      onDelete: (s) => this.sliceChanged(s),
    });
  }

  private sliceChanged(s: EndpointSlice): void {
    if (s.metadata.labels?.[MANAGED_BY_LABEL] !== CONTROLLER_NAME) return;
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (svc) this.queue.add(`${s.metadata.namespace}/${svc}`);
  }

  /** Converges the slices of one Service ("namespace/name"). */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/') as [string, string];
    const svc = this.svcInformer.lister().get(ns, name);
    const slices = this.sliceInformer
      .lister()
      .list(ns)
      .filter(
        (s) =>
          s.metadata.labels?.[SERVICE_NAME_LABEL] === name &&
          s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME &&
          !s.metadata.deletionTimestamp,
      );
    const client = this.ctx.client.resource<EndpointSlice>('endpointslices');
    if (
      !svc ||
      !svc.spec?.selector ||
      Object.keys(svc.spec.selector).length === 0 ||
      svc.metadata.deletionTimestamp
    ) {
      // Gone or selector-less: our slices go (the garbage collector would too).
      for (const s of slices) {
        if (svc && controllerOf(s)?.uid !== svc.metadata.uid && svc.spec?.selector) continue;
        await client.delete(ns, s.metadata.name!).catch((e) => {
          if (!isNotFoundErr(e)) throw e;
        });
      }
      return;
    }
    const owned = slices.filter((s) => controllerOf(s)?.uid === svc.metadata.uid);
    const stale = slices.filter((s) => controllerOf(s)?.uid !== svc.metadata.uid);
    const plan = planSlices(
      svc,
      desiredGroups(svc, this.podInformer.lister().list(ns)),
      owned,
      this.maxPerSlice,
    );
    plan.delete.push(...stale);
    // Creates first, deletes last: never a moment with fewer endpoints than needed.
    for (const s of plan.create) await client.create(s);
    for (const s of plan.update) await client.update(s);
    for (const s of plan.delete) {
      await client.delete(ns, s.metadata.name!).catch((e) => {
        if (!isNotFoundErr(e)) throw e;
      });
    }
  }
}
