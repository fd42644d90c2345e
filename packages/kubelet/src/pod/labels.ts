/**
 * Labels and annotations the kubelet stores on CRI sandboxes and containers (as upstream's
 * kuberuntime labels.go), so it can rebuild pod state from the runtime after a restart.
 */
import { createHash } from 'node:crypto';
import type { Container, Pod } from '@keelson/api';

export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
/** Marks kubelet-managed sandboxes/containers ("true"), as upstream's io.kubernetes.container.type. */
export const KUBELET_MANAGED_LABEL = 'io.keelson.kubelet.managed';
/** The node whose kubelet owns a sandbox/container, so kubelets sharing one runtime keep apart. */
export const KUBELET_NODE_LABEL = 'io.keelson.kubelet.node';
export const CONTAINER_HASH_ANNOTATION = 'io.kubernetes.container.hash';
export const RESTART_COUNT_ANNOTATION = 'io.kubernetes.container.restartCount';
export const TERMINATION_GRACE_ANNOTATION = 'io.kubernetes.pod.terminationGracePeriod';
export const INIT_CONTAINER_ANNOTATION = 'io.keelson.container.init';

/** Sandbox labels: the pod's labels plus name/namespace/uid. */
export function sandboxLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata.labels ?? {}),
    [POD_NAME_LABEL]: pod.metadata.name ?? '',
    [POD_NAMESPACE_LABEL]: pod.metadata.namespace ?? '',
    [POD_UID_LABEL]: pod.metadata.uid ?? '',
    [KUBELET_MANAGED_LABEL]: 'true',
    [KUBELET_NODE_LABEL]: pod.spec?.nodeName ?? '',
  };
}

/** Container labels: pod identity plus the container name. */
export function containerLabels(pod: Pod, name: string): Record<string, string> {
  return {
    [POD_NAME_LABEL]: pod.metadata.name ?? '',
    [POD_NAMESPACE_LABEL]: pod.metadata.namespace ?? '',
    [POD_UID_LABEL]: pod.metadata.uid ?? '',
    [CONTAINER_NAME_LABEL]: name,
    [KUBELET_MANAGED_LABEL]: 'true',
    [KUBELET_NODE_LABEL]: pod.spec?.nodeName ?? '',
  };
}

function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, stable((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** A stable hash (8 hex chars) of a container spec; a change means "restart the container". */
export function containerHash(c: Container): string {
  return createHash('sha256')
    .update(JSON.stringify(stable(c)))
    .digest('hex')
    .slice(0, 8);
}
