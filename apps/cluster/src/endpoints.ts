/**
 * Where each component of a local cluster serves its health (`/healthz`, `/livez`, `/readyz`)
 * and Prometheus `/metrics`: upstream's ports, the control plane on 127.0.0.1 and each node's
 * agents on the node's address (a node in its own network namespace is not reachable on
 * 127.0.0.1 from the host). Recorded in state.json at `up`; `keelson status` probes them and the
 * apiserver's componentstatuses probe the scheduler and controller manager.
 */
import type { ComponentEndpoint, NodeState } from './state';

export type { ComponentEndpoint };

/** kube-scheduler --secure-port default. */
export const SCHEDULER_PORT = 10259;
/** kube-controller-manager --secure-port default. */
export const CONTROLLER_MANAGER_PORT = 10257;
/** CoreDNS `health` plugin port. */
export const DNS_HEALTH_PORT = 8080;
/** CoreDNS `prometheus` plugin port. */
export const DNS_METRICS_PORT = 9153;
/** kubelet --healthz-port default. */
export const KUBELET_HEALTHZ_PORT = 10248;
/** kubelet --port default (its API, which also serves /metrics). */
export const KUBELET_PORT = 10250;
/** kube-proxy --healthz-bind-address default port. */
export const PROXY_HEALTHZ_PORT = 10256;
/** kube-proxy --metrics-bind-address default port. */
export const PROXY_METRICS_PORT = 10249;
/** Control-plane health and metrics listen here. */
export const CONTROL_PLANE_HEALTH_HOST = '127.0.0.1';

const http = (host: string, port: number) => `http://${host}:${port}`;

/**
 * The endpoints of a cluster: the apiserver at its REST URL, the control plane on
 * {@link CONTROL_PLANE_HEALTH_HOST}, and per node the kubelet, proxy and runtime.
 */
export function componentEndpoints(
  apiserverUrl: string,
  nodes: Array<Pick<NodeState, 'name' | 'ip'>>,
  criSocket: (node: string) => string,
): ComponentEndpoint[] {
  const cp = CONTROL_PLANE_HEALTH_HOST;
  const out: ComponentEndpoint[] = [
    { name: 'apiserver', healthUrl: apiserverUrl, metricsUrl: apiserverUrl },
    { name: 'scheduler', healthUrl: http(cp, SCHEDULER_PORT), metricsUrl: http(cp, SCHEDULER_PORT) },
    {
      name: 'controller-manager',
      healthUrl: http(cp, CONTROLLER_MANAGER_PORT),
      metricsUrl: http(cp, CONTROLLER_MANAGER_PORT),
    },
    { name: 'dns', healthUrl: http(cp, DNS_HEALTH_PORT), metricsUrl: http(cp, DNS_METRICS_PORT) },
  ];
  for (const n of nodes) {
    out.push(
      {
        name: 'kubelet',
        node: n.name,
        healthUrl: http(n.ip, KUBELET_HEALTHZ_PORT),
        metricsUrl: http(n.ip, KUBELET_PORT),
      },
      {
        name: 'proxy',
        node: n.name,
        healthUrl: http(n.ip, PROXY_HEALTHZ_PORT),
        metricsUrl: http(n.ip, PROXY_METRICS_PORT),
      },
      { name: 'runtime', node: n.name, healthUrl: `unix://${criSocket(n.name)}` },
    );
  }
  return out;
}

/** The healthz URLs the apiserver's componentstatuses probe. */
export function componentStatusProbes(): Record<string, string> {
  return {
    scheduler: `${http(CONTROL_PLANE_HEALTH_HOST, SCHEDULER_PORT)}/healthz`,
    'controller-manager': `${http(CONTROL_PLANE_HEALTH_HOST, CONTROLLER_MANAGER_PORT)}/healthz`,
  };
}
