/**
 * The apiserver's Prometheus metrics (k8s.io/apiserver/pkg/endpoints/metrics), served at
 * `/metrics` on the REST port as kube-apiserver does: `apiserver_request_total{verb,group,
 * version,resource,subresource,scope,component,code}`, `apiserver_request_duration_seconds{verb,
 * group,version,resource,subresource,scope,component}` (watches and other long-running requests
 * excluded, as upstream), `apiserver_current_inflight_requests{request_kind}`, the process metrics
 * and `kubernetes_build_info`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { buildInfoMetric } from '@keelson/api';

/** What one request was, in upstream's label vocabulary. */
export interface RequestLabels {
  /** Upper-case verb: GET, LIST, WATCH, POST, PUT, PATCH, APPLY, DELETE, DELETECOLLECTION, CONNECT. */
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  /** "resource", "namespace", "cluster", or "" for non-resource paths. */
  scope: string;
}

/** The apiserver's metrics registry and recorders. */
export class ApiServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter;
  private readonly duration: Histogram;
  /** Requests in flight by kind ("readOnly" or "mutating"). */
  readonly inflight: Gauge;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const info = buildInfoMetric();
    new Gauge({
      name: info.name,
      help: info.help,
      labelNames: Object.keys(info.labels),
      registers: [this.registry],
    }).set(info.labels, 1);
    const labelNames = ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'];
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...labelNames, 'code'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames,
      buckets: [
        0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
      ],
      registers: [this.registry],
    });
    this.inflight = new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      labelNames: ['request_kind'],
      registers: [this.registry],
    });
  }

  /** Records a finished request; `seconds` is ignored for WATCH and CONNECT (long-running). */
  observe(labels: RequestLabels, code: number, seconds: number): void {
    const l = { ...labels, component: 'apiserver' };
    this.requests.inc({ ...l, code: String(code) });
    if (labels.verb !== 'WATCH' && labels.verb !== 'CONNECT') this.duration.observe(l, seconds);
  }
}
