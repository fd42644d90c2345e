/**
 * The garbage collector (k8s.io/kubernetes pkg/controller/garbagecollector): an
 * ownerReferences graph built from informers on every monitored resource. When an owner goes
 * away its dependents are deleted (Background, the default); an owner deleted with Foreground
 * carries the `foregroundDeletion` finalizer and keeps it until its blocking dependents
 * (blockOwnerDeletion) are gone; one deleted with Orphan carries the `orphan` finalizer, which the
 * collector removes after taking the owner's ownerReference off every dependent. Dependents
 * whose owners are all absent (no object with that uid) are collected; references to absent
 * owners are removed from dependents that still have a live owner.
 */
import {
  resourceForKind,
  resources as registry,
  type KubeObject,
  type OwnerReference,
  type ResourceInfo,
} from '@keelson/api';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isConflictErr, isNotFoundErr } from '../runtime/controller';

/** Finalizer for Foreground deletion. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** Finalizer for Orphan deletion. */
export const ORPHAN_FINALIZER = 'orphan';

/** Resources the collector watches by default: every deletable resource except Events. */
export const DEFAULT_GC_RESOURCES: string[] = registry
  .filter((r) => !['events', 'componentstatuses'].includes(r.resource))
  .map((r) => r.resource);

interface GraphNode {
  uid: string;
  info?: ResourceInfo;
  obj?: KubeObject;
  owners: OwnerReference[];
  dependents: Set<string>;
}

/** Owner state as attemptToDeleteItem classifies it. */
export type OwnerState = 'solid' | 'dangling' | 'waitingForDependentsDeletion';

/** Classifies a dependent's owners; `lookup` returns the live owner or undefined when absent. */
export async function classifyOwners(
  refs: OwnerReference[],
  lookup: (ref: OwnerReference) => Promise<KubeObject | undefined | 'unknown'>,
): Promise<{ solid: OwnerReference[]; dangling: OwnerReference[]; waiting: OwnerReference[] }> {
  const out = {
    solid: [] as OwnerReference[],
    dangling: [] as OwnerReference[],
    waiting: [] as OwnerReference[],
  };
  for (const r of refs) {
    const o = await lookup(r);
    if (o === 'unknown') out.solid.push(r);
    else if (!o || o.metadata.uid !== r.uid) out.dangling.push(r);
    else if (o.metadata.deletionTimestamp && (o.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER))
      out.waiting.push(r);
    else out.solid.push(r);
  }
  return out;
}

/** Options of {@link GarbageCollector}. */
export interface GarbageCollectorOptions {
  /** Plural resource names to monitor (default {@link DEFAULT_GC_RESOURCES}). */
  resources?: string[];
}

/** The garbage collector. Keys are object uids. */
export class GarbageCollector extends QueueController {
  readonly name = 'garbagecollector';
  private readonly graph = new Map<string, GraphNode>();

  constructor(ctx: ControllerContext, opts: GarbageCollectorOptions = {}) {
    super(ctx);
    for (const res of opts.resources ?? DEFAULT_GC_RESOURCES) {
      const info = ctx.client.resource(res).info;
      ctx.informers.informer<KubeObject>(res).addEventHandler({
        onAdd: (o) => this.observe(info, o),
        onUpdate: (_old, o) => this.observe(info, o),
        onDelete: (o) => this.forget(o),
      });
    }
  }

  /** Number of observed objects in the graph (tests, metrics). */
  graphSize(): number {
    let n = 0;
    for (const g of this.graph.values()) if (g.obj) n++;
    return n;
  }

  private node(uid: string): GraphNode {
    let n = this.graph.get(uid);
    if (!n) this.graph.set(uid, (n = { uid, owners: [], dependents: new Set() }));
    return n;
  }

  private observe(info: ResourceInfo, o: KubeObject): void {
    const uid = o.metadata.uid;
    if (!uid) return;
    const n = this.node(uid);
    const before = new Set(n.owners.map((r) => r.uid));
    n.info = info;
    n.obj = o;
    n.owners = o.metadata.ownerReferences ?? [];
    const after = new Set(n.owners.map((r) => r.uid));
    for (const u of before) if (!after.has(u)) this.graph.get(u)?.dependents.delete(uid);
    let unseenOwner = false;
    for (const r of n.owners) {
      const on = this.node(r.uid);
      on.dependents.add(uid);
      if (!on.obj) unseenOwner = true;
      // An owner in foreground deletion re-checks when its dependents change.
      if (on.obj?.metadata.deletionTimestamp) this.queue.add(r.uid);
    }
    const fins = o.metadata.finalizers ?? [];
    if (
      o.metadata.deletionTimestamp &&
      (fins.includes(ORPHAN_FINALIZER) || fins.includes(FOREGROUND_FINALIZER))
    ) {
      this.queue.add(uid);
      if (fins.includes(FOREGROUND_FINALIZER)) for (const d of n.dependents) this.queue.add(d);
    }
    if (unseenOwner) this.queue.add(uid);
  }

  private forget(o: KubeObject): void {
    const uid = o.metadata.uid;
    if (!uid) return;
    const n = this.graph.get(uid);
    if (!n) return;
    n.obj = undefined;
    n.info = undefined;
    for (const r of n.owners) {
      const on = this.graph.get(r.uid);
      if (!on) continue;
      on.dependents.delete(uid);
      if (on.obj?.metadata.deletionTimestamp) this.queue.add(r.uid);
      if (!on.obj && on.dependents.size === 0) this.graph.delete(r.uid);
    }
    n.owners = [];
    // Dependents of a vanished owner are now dangling (or still held by others).
    for (const d of n.dependents) this.queue.add(d);
    if (n.dependents.size === 0) this.graph.delete(uid);
  }

  private clientFor(info: ResourceInfo) {
    return this.ctx.client.resource(
      info.resource,
      info.group ? `${info.group}/${info.version}` : info.version,
    );
  }

  private async lookupOwner(dep: KubeObject, r: OwnerReference): Promise<KubeObject | undefined | 'unknown'> {
    const g = this.graph.get(r.uid);
    if (g?.obj) return g.obj;
    const info = resourceForKind(r.apiVersion, r.kind);
    if (!info) return 'unknown';
    try {
      return await this.clientFor(info).get(info.namespaced ? dep.metadata.namespace : undefined, r.name);
    } catch (e) {
      if (isNotFoundErr(e)) return undefined;
      throw e;
    }
  }

  /** Processes one object (key = its uid). */
  async sync(uid: string): Promise<SyncResult> {
    const n = this.graph.get(uid);
    if (!n?.obj || !n.info) return;
    const obj = n.obj;
    const fins = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp) {
      if (fins.includes(ORPHAN_FINALIZER)) return this.orphanDependents(n);
      if (fins.includes(FOREGROUND_FINALIZER)) return this.processDeletingDependents(n);
      return;
    }
    await this.attemptToDelete(n);
  }

  private async attemptToDelete(n: GraphNode): Promise<void> {
    const obj = n.obj!;
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const { solid, dangling, waiting } = await classifyOwners(refs, (r) => this.lookupOwner(obj, r));
    const client = this.clientFor(n.info!);
    if (solid.length) {
      if (!dangling.length && !waiting.length) return;
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      await client
        .patch(obj.metadata.namespace, obj.metadata.name!, 'merge', {
          metadata: {
            ownerReferences: refs.filter((r) => !drop.has(r.uid)),
            resourceVersion: obj.metadata.resourceVersion,
          },
        })
        .catch((e) => {
          if (!isNotFoundErr(e)) throw e;
        });
      return;
    }
    let policy = 'Background';
    if (waiting.length && n.dependents.size) policy = 'Foreground';
    const ofins = obj.metadata.finalizers ?? [];
    if (ofins.includes(ORPHAN_FINALIZER)) policy = 'Orphan';
    else if (ofins.includes(FOREGROUND_FINALIZER)) policy = 'Foreground';
    try {
      await client.delete(obj.metadata.namespace, obj.metadata.name!, {
        propagationPolicy: policy,
        preconditions: { uid: obj.metadata.uid },
      });
    } catch (e) {
      if (!isNotFoundErr(e) && !isConflictErr(e)) throw e;
    }
  }

  private async orphanDependents(n: GraphNode): Promise<void> {
    const owner = n.obj!;
    for (const d of [...n.dependents]) {
      const dn = this.graph.get(d);
      if (!dn?.obj || !dn.info) continue;
      const refs = dn.obj.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === owner.metadata.uid)) continue;
      await this.clientFor(dn.info)
        .patch(dn.obj.metadata.namespace, dn.obj.metadata.name!, 'merge', {
          metadata: {
            ownerReferences: refs.filter((r) => r.uid !== owner.metadata.uid),
            resourceVersion: dn.obj.metadata.resourceVersion,
          },
        })
        .catch((e) => {
          if (!isNotFoundErr(e)) throw e;
        });
    }
    await this.removeFinalizer(n, ORPHAN_FINALIZER);
  }

  private async processDeletingDependents(n: GraphNode): Promise<void> {
    const owner = n.obj!;
    const blocking: string[] = [];
    for (const d of n.dependents) {
      const dn = this.graph.get(d);
      if (!dn?.obj) continue;
      const ref = dn.owners.find((r) => r.uid === owner.metadata.uid);
      if (ref?.blockOwnerDeletion) blocking.push(d);
      if (!dn.obj.metadata.deletionTimestamp) this.queue.add(d);
    }
    if (blocking.length === 0) await this.removeFinalizer(n, FOREGROUND_FINALIZER);
  }

  private async removeFinalizer(n: GraphNode, fin: string): Promise<void> {
    const o = n.obj!;
    await this.clientFor(n.info!)
      .patch(o.metadata.namespace, o.metadata.name!, 'merge', {
        metadata: {
          finalizers: (o.metadata.finalizers ?? []).filter((f) => f !== fin),
          resourceVersion: o.metadata.resourceVersion,
        },
      })
      .catch((e) => {
        if (!isNotFoundErr(e)) throw e;
      });
  }
}
