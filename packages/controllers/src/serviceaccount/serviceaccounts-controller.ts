/**
 * The ServiceAccounts controller (k8s.io/kubernetes pkg/controller/serviceaccount): ensures a
 * `default` ServiceAccount exists in every active namespace, recreating it when deleted.
 */
import type { KubeObject } from '@keelson/api';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isAlreadyExistsErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { Namespace } from '../types';

/** The ServiceAccount names ensured in each namespace. */
export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

/** The ServiceAccounts controller. */
export class ServiceAccountsController extends QueueController {
  readonly name = 'serviceaccount';
  private readonly nsInformer: SharedInformerLike<Namespace>;
  private readonly saInformer: SharedInformerLike<KubeObject>;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.nsInformer = ctx.informers.informer<Namespace>('namespaces');
    this.saInformer = ctx.informers.informer<KubeObject>('serviceaccounts');
    this.nsInformer.addEventHandler({
      onAdd: (n) => this.queue.add(n.metadata.name!),
      onUpdate: (_o, n) => this.queue.add(n.metadata.name!),
    });
    this.saInformer.addEventHandler({
      onDelete: (sa) => {
        if (DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata.name!)) this.queue.add(sa.metadata.namespace!);
      },
    });
  }

  /** Ensures the default ServiceAccounts of one namespace (key = its name). */
  async sync(ns: string): Promise<SyncResult> {
    const n = this.nsInformer.lister().get(undefined, ns);
    if (!n || n.metadata.deletionTimestamp || n.status?.phase === 'Terminating') return;
    const sc = this.ctx.client.resource('serviceaccounts');
    for (const name of DEFAULT_SERVICE_ACCOUNTS) {
      if (this.saInformer.lister().get(ns, name)) continue;
      try {
        await sc.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } });
      } catch (e) {
        if (!isAlreadyExistsErr(e)) throw e;
      }
    }
  }
}
