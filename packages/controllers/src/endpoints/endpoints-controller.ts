/**
 * The Endpoints controller (k8s.io/kubernetes pkg/controller/endpoint): one core/v1 Endpoints
 * object per Service with a selector, named after it, with the selected pods' addresses
 * (ready ones in `addresses`, the rest in `notReadyAddresses`; publishNotReadyAddresses puts
 * all in `addresses`) and ports resolved per pod, grouped into subsets by port set.
 */
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isAlreadyExistsErr, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { EndpointAddress, EndpointSubset, Endpoints, Pod, Service } from '../types';
import { deepEqual, keyOf, stableStringify } from '../util/objects';
import { isPodReady } from '../util/pods';
import {
  podIPs,
  podsForService,
  resolvedPorts,
  serviceAndPodInformers,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './common';

/** Label upstream puts on Endpoints of headless services. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** The subsets for a service and the pods in its namespace (sorted: addresses by IP, ports by name). Pure. */
export function computeSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const publish = !!svc.spec?.publishNotReadyAddresses;
  const bySet = new Map<string, EndpointSubset>();
  for (const p of podsForService(svc, pods)) {
    if (!shouldPodBeInEndpoints(p, publish)) continue;
    const ip = podIPs(p).find((x) => !x.includes(':')) ?? podIPs(p)[0]!;
    const addr: EndpointAddress = {
      ip,
      targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid },
    };
    if (p.spec?.nodeName) addr.nodeName = p.spec.nodeName;
    if (shouldSetHostname(p, svc)) addr.hostname = p.spec?.hostname;
    const ports = resolvedPorts(p, svc).map((r) => ({
      name: r.name || undefined,
      port: r.port,
      protocol: r.protocol,
      ...(r.appProtocol ? { appProtocol: r.appProtocol } : {}),
    }));
    const headless = svc.spec?.clusterIP === 'None';
    if (ports.length === 0 && !headless && (svc.spec?.ports ?? []).length > 0) continue;
    ports.sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1));
    const k = stableStringify(ports);
    let ss = bySet.get(k);
    if (!ss) bySet.set(k, (ss = { ports }));
    if (publish || (isPodReady(p) && !p.metadata.deletionTimestamp)) (ss.addresses ??= []).push(addr);
    else (ss.notReadyAddresses ??= []).push(addr);
  }
  const out = [...bySet.values()];
  for (const s of out) {
    s.addresses?.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
    s.notReadyAddresses?.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
    if (s.ports && s.ports.length === 0) delete s.ports;
  }
  return out.sort((a, b) => (stableStringify(a.ports) < stableStringify(b.ports) ? -1 : 1));
}

/** The Endpoints controller. */
export class EndpointsController extends QueueController {
  readonly name = 'endpoints';
  private readonly svcInformer: SharedInformerLike<Service>;
  private readonly podInformer: SharedInformerLike<Pod>;
  private readonly epInformer: SharedInformerLike<Endpoints>;

  constructor(ctx: ControllerContext) {
    super(ctx);
    ({ services: this.svcInformer, pods: this.podInformer } = serviceAndPodInformers(ctx, (k) =>
      this.queue.add(k),
    ));
    this.epInformer = ctx.informers.informer<Endpoints>('endpoints');
    this.epInformer.addEventHandler({ onDelete: (e) => this.queue.add(keyOf(e)) });
  }

  /** Converges the Endpoints of one Service ("namespace/name"). */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/') as [string, string];
    const svc = this.svcInformer.lister().get(ns, name);
    const client = this.ctx.client.resource<Endpoints>('endpoints');
    if (!svc) {
      // Only delete what we would have managed: an Endpoints named after a deleted Service.
      if (this.epInformer.lister().get(ns, name)) {
        await client.delete(ns, name).catch((e) => {
          if (!isNotFoundErr(e)) throw e;
        });
      }
      return;
    }
    if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) return;
    const subsets = computeSubsets(svc, this.podInformer.lister().list(ns));
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (svc.spec.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    const cur = this.epInformer.lister().get(ns, name);
    if (cur && deepEqual(cur.subsets ?? [], subsets) && deepEqual(cur.metadata.labels ?? {}, labels)) return;
    if (!cur) {
      try {
        await client.create({
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name, namespace: ns, labels },
          subsets,
        });
      } catch (e) {
        if (!isAlreadyExistsErr(e)) throw e;
        const live = await client.get(ns, name);
        await client.update({ ...live, metadata: { ...live.metadata, labels }, subsets });
      }
      return;
    }
    await client.update({ ...cur, metadata: { ...cur.metadata, labels }, subsets });
  }
}
