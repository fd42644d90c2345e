/**
 * Namespaces (upstream pkg/registry/core/namespace): phase Active and the `kubernetes` finalizer
 * in spec.finalizers on create; delete sets phase Terminating and deletionTimestamp and waits
 * until spec.finalizers (via namespaces/finalize) and metadata.finalizers are empty.
 */
import type { KubeObject } from '@keelson/api';
import type { Strategy } from '../strategy';

type Ns = KubeObject & { spec?: any; status?: any };

/** Namespaces that exist from startup and may not be deleted. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** The finalizer the namespace controller removes once the namespace is empty. */
export const KUBERNETES_FINALIZER = 'kubernetes';

/** The namespace strategy. */
export const namespaceStrategy: Strategy = {
  statusSubresource: true,
  returnDeletedObject: true,
  prepareForCreate(obj) {
    const ns = obj as Ns;
    if (ns.spec === undefined || ns.spec === null) ns.spec = {};
    if (typeof ns.spec === 'object') {
      const fins: string[] = Array.isArray(ns.spec.finalizers) ? ns.spec.finalizers : [];
      if (!fins.includes(KUBERNETES_FINALIZER)) fins.push(KUBERNETES_FINALIZER);
      ns.spec.finalizers = fins;
    }
    ns.status = { phase: 'Active' };
    // upstream labels every namespace with its name (NamespaceDefaultLabelName)
    ns.metadata.labels = {
      ...(ns.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': ns.metadata.name ?? '',
    };
  },
  prepareForUpdate(obj, old) {
    const ns = obj as Ns;
    // spec.finalizers change only through namespaces/finalize
    ns.spec = { ...(ns.spec ?? {}), finalizers: (old as Ns).spec?.finalizers };
    ns.metadata.labels = {
      ...(ns.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': ns.metadata.name ?? '',
    };
  },
  fields(obj) {
    return { 'status.phase': (obj as Ns).status?.phase ?? '' };
  },
  readyToDelete(obj) {
    const ns = obj as Ns;
    return !(ns.metadata.finalizers ?? []).length && !(ns.spec?.finalizers ?? []).length;
  },
};
