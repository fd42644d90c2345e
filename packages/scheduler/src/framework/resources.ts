/**
 * Resource arithmetic for scheduling: a pod's effective requests (max of the init containers'
 * and the sum of the app containers', plus overhead, as kube-scheduler's
 * computePodResourceRequest) and a node's allocatable, in integer units.
 */
import type { Node, Pod, ResourceList } from '@keelson/api';
import { quantityMilliValue, quantityValue } from '@keelson/api';

/** Resources in integer units: cpu in millicores, memory and ephemeral-storage in bytes, pods as a count. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Other scalar resources by name (extended resources), value units. */
  scalar: Record<string, number>;
}

/** Zero resources. */
export const zeroResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: {} });

/** Converts a ResourceList into integer units (cpu → millicores, the rest → values). */
export function fromResourceList(list: ResourceList | undefined): Resources {
  const r = zeroResources();
  for (const [name, q] of Object.entries(list ?? {})) {
    if (q === undefined || q === null) continue;
    const quantity = String(q);
    if (name === 'cpu') r.milliCPU = quantityMilliValue(quantity);
    else if (name === 'memory') r.memory = quantityValue(quantity);
    else if (name === 'ephemeral-storage') r.ephemeralStorage = quantityValue(quantity);
    else if (name !== 'pods') r.scalar[name] = quantityValue(quantity);
  }
  return r;
}

/** a += b */
export function addInto(a: Resources, b: Resources): Resources {
  a.milliCPU += b.milliCPU;
  a.memory += b.memory;
  a.ephemeralStorage += b.ephemeralStorage;
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = (a.scalar[k] ?? 0) + v;
  return a;
}

/** a = max(a, b) per resource */
function maxInto(a: Resources, b: Resources): Resources {
  a.milliCPU = Math.max(a.milliCPU, b.milliCPU);
  a.memory = Math.max(a.memory, b.memory);
  a.ephemeralStorage = Math.max(a.ephemeralStorage, b.ephemeralStorage);
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = Math.max(a.scalar[k] ?? 0, v);
  return a;
}

/**
 * A pod's effective resource requests: sum over containers, max'd with each init container
 * (restartable "sidecar" init containers add up as upstream), plus spec.overhead.
 */
export function podRequests(pod: Pod): Resources {
  const spec = pod.spec;
  const sum = zeroResources();
  for (const c of spec?.containers ?? []) addInto(sum, fromResourceList(c.resources?.requests));
  const sidecars = zeroResources();
  for (const c of spec?.initContainers ?? []) {
    const req = fromResourceList(c.resources?.requests);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, req);
      continue;
    }
    maxInto(sum, addInto({ ...req, scalar: { ...req.scalar } }, sidecars));
  }
  addInto(sum, sidecars);
  if (spec?.overhead) addInto(sum, fromResourceList(spec.overhead));
  return sum;
}

/**
 * Requests used for scoring: containers without a request count as 100 millicores and 200 MiB
 * (kube-scheduler's DefaultMilliCPURequest / DefaultMemoryRequest for non-zero scoring).
 */
export function podRequestsForScoring(pod: Pod): Resources {
  const sum = zeroResources();
  for (const c of pod.spec?.containers ?? []) {
    const req = fromResourceList(c.resources?.requests);
    if (!c.resources?.requests?.cpu) req.milliCPU = 100;
    if (!c.resources?.requests?.memory) req.memory = 200 * 1024 * 1024;
    addInto(sum, req);
  }
  return sum;
}

/** A node's allocatable resources and pod count (status.allocatable, falling back to capacity). */
export function nodeAllocatable(node: Node): { resources: Resources; pods: number } {
  const list = node.status?.allocatable ?? node.status?.capacity ?? {};
  const pods = list.pods !== undefined ? quantityValue(String(list.pods)) : 110;
  return { resources: fromResourceList(list), pods };
}
