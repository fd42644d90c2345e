/**
 * The strategy of each served resource; kinds not listed behave as plain objects.
 */
import type { KubeObject } from '@keelson/api';
import type { Strategy } from '../strategy';
import { namespaceStrategy } from './namespaces';
import { podStrategy } from './pods';
import { serviceStrategy } from './services';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy } from './storage';
import { workloadStrategy } from './workloads';

type Any = KubeObject & {
  spec?: any;
  status?: any;
  type?: string;
  involvedObject?: any;
  reason?: string;
  source?: any;
};

const nodeStrategy: Strategy = {
  statusSubresource: true,
  keepStatusOnCreate: true,
  fields: (o) => ({ 'spec.unschedulable': String(!!(o as Any).spec?.unschedulable) }),
};

const secretStrategy: Strategy = {
  prepareForCreate(o) {
    const s = o as Any;
    s.type ??= 'Opaque';
    const sd = (s as any).stringData;
    if (sd && typeof sd === 'object') {
      const data = ((s as any).data ??= {});
      for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v)).toString('base64');
      delete (s as any).stringData;
    }
  },
  prepareForUpdate(o) {
    secretStrategy.prepareForCreate!(o, undefined as never);
  },
  fields: (o) => ({ type: (o as Any).type ?? '' }),
};

const eventStrategy: Strategy = {
  fields(o) {
    const e = o as Any;
    const io = e.involvedObject ?? {};
    return {
      'involvedObject.kind': io.kind ?? '',
      'involvedObject.namespace': io.namespace ?? '',
      'involvedObject.name': io.name ?? '',
      'involvedObject.uid': io.uid ?? '',
      'involvedObject.apiVersion': io.apiVersion ?? '',
      'involvedObject.resourceVersion': io.resourceVersion ?? '',
      'involvedObject.fieldPath': io.fieldPath ?? '',
      reason: e.reason ?? '',
      reportingComponent: (e as any).reportingComponent ?? '',
      source: e.source?.component ?? '',
      type: e.type ?? '',
    };
  },
};

const STRATEGIES: Record<string, Strategy> = {
  pods: podStrategy,
  services: serviceStrategy,
  namespaces: namespaceStrategy,
  nodes: nodeStrategy,
  secrets: secretStrategy,
  events: eventStrategy,
  deployments: workloadStrategy,
  replicasets: workloadStrategy,
  statefulsets: workloadStrategy,
  daemonsets: workloadStrategy,
  jobs: workloadStrategy,
  cronjobs: workloadStrategy,
  poddisruptionbudgets: { statusSubresource: true, generation: true },
  ingresses: { statusSubresource: true, generation: true },
  resourcequotas: { statusSubresource: true },
  horizontalpodautoscalers: { statusSubresource: true, generation: true },
  persistentvolumes: persistentVolumeStrategy,
  persistentvolumeclaims: persistentVolumeClaimStrategy,
};

const PLAIN: Strategy = {};

/** The strategy of a resource (plural name). */
export function strategyFor(resource: string): Strategy {
  return STRATEGIES[resource] ?? PLAIN;
}
