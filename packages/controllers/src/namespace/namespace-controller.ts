/**
 * The Namespace controller (k8s.io/kubernetes pkg/controller/namespace): when a namespace is
 * Terminating and still carries the `kubernetes` finalizer in spec.finalizers, deletes every
 * namespaced resource in it (deletecollection per resource of the registry), reports what is
 * still blocking in status conditions, and once nothing is left removes the finalizer with
 * PUT namespaces/<name>/finalize, letting the apiserver delete the namespace.
 */
import { resources as registry, type ResourceInfo } from '@keelson/api';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { GenericCondition, Namespace } from '../types';
import { rfc3339 } from '../util/clock';
import { deepEqual } from '../util/objects';

/** The finalizer this controller owns. */
export const KUBERNETES_FINALIZER = 'kubernetes';

/** Condition types, as upstream's v1.NamespaceConditionType. */
export const NamespaceConditions = {
  ContentFailure: 'NamespaceDeletionContentFailure',
  ContentRemaining: 'NamespaceContentRemaining',
  FinalizersRemaining: 'NamespaceFinalizersRemaining',
} as const;

const OK: Record<string, [string, string]> = {
  [NamespaceConditions.ContentFailure]: [
    'ContentDeleted',
    'All content successfully deleted, may be waiting on finalization',
  ],
  [NamespaceConditions.ContentRemaining]: ['ContentRemoved', 'All content successfully removed'],
  [NamespaceConditions.FinalizersRemaining]: [
    'ContentHasNoFinalizers',
    'All content-preserving finalizers finished',
  ],
};

/** metav1 GroupResource.String(): "pods", "deployments.apps". */
function groupResource(r: ResourceInfo): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** What is left in a namespace after one deletion pass. */
export interface RemainingContent {
  /** group-resource → instances still present. */
  counts: Map<string, number>;
  /** finalizer → instances carrying it. */
  finalizers: Map<string, number>;
  /** Deletion errors, "group-resource: message". */
  errors: string[];
}

/**
 * Namespace conditions for a deletion pass (updateNamespaceStatusFunc / conditionUpdater):
 * each type True with the failure reason and message, or False with upstream's ok reason.
 */
export function namespaceConditions(
  rem: RemainingContent,
  prev: GenericCondition[] | undefined,
  now: number,
): GenericCondition[] {
  const t = rfc3339(now);
  const out: GenericCondition[] = [];
  const set = (type: string, bad: [string, string] | undefined) => {
    const [reason, message] = bad ?? OK[type]!;
    const status = bad ? 'True' : 'False';
    const p = prev?.find((c) => c.type === type);
    out.push({
      type,
      status,
      lastTransitionTime: p && p.status === status ? p.lastTransitionTime : t,
      reason,
      message,
    });
  };
  const errs = rem.errors.sort();
  set(
    NamespaceConditions.ContentFailure,
    errs.length
      ? [
          'ContentDeletionFailed',
          `Failed to delete all resource types, ${errs.length} remaining: ${errs.join(', ')}`,
        ]
      : undefined,
  );
  const counts = [...rem.counts]
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${r} has ${n} resource instances`)
    .sort();
  set(
    NamespaceConditions.ContentRemaining,
    counts.length ? ['SomeResourcesRemain', `Some resources are remaining: ${counts.join(', ')}`] : undefined,
  );
  const fins = [...rem.finalizers].map(([f, n]) => `${f} in ${n} resource instances`).sort();
  set(
    NamespaceConditions.FinalizersRemaining,
    fins.length
      ? ['SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${fins.join(', ')}`]
      : undefined,
  );
  return out;
}

/** Options of {@link NamespaceController}. */
export interface NamespaceControllerOptions {
  /** Resources to empty (default: every namespaced resource of @keelson/api's registry). */
  resources?: readonly ResourceInfo[];
  /** Recheck interval while content remains, ms (default 2 s). */
  recheckMs?: number;
}

/** The Namespace controller. */
export class NamespaceController extends QueueController {
  readonly name = 'namespace';
  private readonly nsInformer: SharedInformerLike<Namespace>;
  private readonly resources: ResourceInfo[];
  private readonly recheckMs: number;

  constructor(ctx: ControllerContext, opts: NamespaceControllerOptions = {}) {
    super(ctx);
    this.resources = (opts.resources ?? registry).filter((r) => r.namespaced);
    this.recheckMs = opts.recheckMs ?? 2000;
    this.nsInformer = ctx.informers.informer<Namespace>('namespaces');
    const maybe = (n: Namespace) => {
      if (n.metadata.deletionTimestamp) this.queue.add(n.metadata.name!);
    };
    this.nsInformer.addEventHandler({ onAdd: maybe, onUpdate: (_o, n) => maybe(n) });
  }

  /** Empties and finalizes one Terminating namespace (key = its name). */
  async sync(name: string): Promise<SyncResult> {
    const nc = this.ctx.client.resource<Namespace>('namespaces');
    let ns: Namespace;
    try {
      ns = await nc.get(undefined, name);
    } catch (e) {
      if (isNotFoundErr(e)) return;
      throw e;
    }
    if (!ns.metadata.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return;
    const rem = await this.deleteAllContent(name);
    const conditions = namespaceConditions(rem, ns.status?.conditions, this.ctx.clock.now());
    if (!deepEqual(conditions, ns.status?.conditions ?? [])) {
      try {
        ns = await nc.updateStatus({
          ...ns,
          status: { ...(ns.status ?? {}), phase: 'Terminating', conditions },
        });
      } catch (e) {
        if (isNotFoundErr(e)) return;
        throw e;
      }
    }
    const remaining = [...rem.counts.values()].reduce((a, b) => a + b, 0);
    if (rem.errors.length || remaining > 0) return { requeueAfterMs: this.recheckMs };
    const body: Namespace = {
      ...ns,
      spec: {
        ...(ns.spec ?? {}),
        finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER),
      },
    };
    try {
      await nc.updateSubresource(undefined, name, 'finalize', body);
    } catch (e) {
      if (!isNotFoundErr(e)) throw e;
    }
  }

  /** deleteAllContent: one deletecollection per resource, then a list to see what remains. */
  private async deleteAllContent(ns: string): Promise<RemainingContent> {
    const rem: RemainingContent = { counts: new Map(), finalizers: new Map(), errors: [] };
    for (const r of this.resources) {
      const rc = this.ctx.client.resource(r.resource, r.group ? `${r.group}/${r.version}` : r.version);
      try {
        await rc.deleteCollection(ns);
      } catch (e) {
        if (!isNotFoundErr(e)) rem.errors.push(`${groupResource(r)}: ${(e as Error).message}`);
      }
      try {
        const left = await rc.list(ns);
        if (left.items.length) rem.counts.set(groupResource(r), left.items.length);
        for (const o of left.items)
          for (const f of o.metadata.finalizers ?? [])
            rem.finalizers.set(f, (rem.finalizers.get(f) ?? 0) + 1);
      } catch (e) {
        if (!isNotFoundErr(e)) rem.errors.push(`${groupResource(r)}: ${(e as Error).message}`);
      }
    }
    return rem;
  }
}
