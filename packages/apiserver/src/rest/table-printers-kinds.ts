/**
 * Table printers of the kinds served beside the core workloads (rbac, policy, networking,
 * autoscaling/v2, ResourceQuota, LimitRange), with the columns of upstream's printers
 * (kubernetes/pkg/printers/internalversion/printers.go). Kinds upstream prints with the default
 * table convertor (Role, ClusterRole, LimitRange) get NAME and CREATED AT (RFC 3339, UTC).
 */
import { formatLabelSelector } from '../api-handler';

type Cell = string | number | boolean;
type Any = any;
type Column = [name: string, type: string, priority: number, description: string];

/** A kind's columns and row function, as table-printers.ts consumes them. */
export interface KindPrinter {
  columns: Column[];
  row(o: Any, now: number): Cell[];
}

/** What the kind printers borrow from table-printers.ts (kept there to avoid an import cycle). */
export interface PrinterHelpers {
  /** "5m" for a creationTimestamp 5 minutes before now; "<unknown>" when absent. */
  age(ts: string | undefined, now: number): string;
  NAME: Column;
  AGE: Column;
}

function subjectsOf(o: Any): { users: string; groups: string; sas: string } {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of (o.subjects ?? []) as Any[]) {
    if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
    else if (s.kind === 'ServiceAccount') sas.push(s.namespace ? `${s.namespace}:${s.name}` : s.name);
  }
  return { users: users.join(', '), groups: groups.join(', '), sas: sas.join(', ') };
}

function hosts(rules: Any[] | undefined): string {
  const list = (rules ?? []).map((r) => r.host || '*');
  if (!list.length) return '*';
  return list.length > 3 ? `${list.slice(0, 3).join(',')} + ${list.length - 3} more...` : list.join(',');
}

function lbAddresses(status: Any): string {
  const r = ((status?.loadBalancer?.ingress ?? []) as Any[])
    .map((i) => i.ip || i.hostname)
    .filter(Boolean)
    .join(',');
  return r.length > 16 ? `${r.slice(0, 13)}...` : r; // loadBalancerWidth
}

function quotaCells(o: Any): [string, string] {
  const hard: Record<string, string> = o.status?.hard ?? o.spec?.hard ?? {};
  const used: Record<string, string> = o.status?.used ?? {};
  const req: string[] = [];
  const lim: string[] = [];
  for (const k of Object.keys(hard).sort()) {
    const cell = `${k}: ${used[k] ?? '0'}/${hard[k]}`;
    if (k.startsWith('limits.')) lim.push(cell);
    else req.push(cell);
  }
  return [req.join(', '), lim.join(', ')];
}

function hpaTargets(o: Any): string {
  const metrics: Any[] = o.spec?.metrics ?? [];
  const current: Any[] = o.status?.currentMetrics ?? [];
  if (!metrics.length) return '<none>';
  const parts = metrics.map((m, i) => {
    const cur = current[i];
    if (m.type === 'Resource' && m.resource) {
      const t = m.resource.target ?? {};
      const name = m.resource.name;
      if (t.averageUtilization !== undefined) {
        const c = cur?.resource?.current?.averageUtilization;
        return `${name}: ${c === undefined ? '<unknown>' : `${c}%`}/${t.averageUtilization}%`;
      }
      const c = cur?.resource?.current?.averageValue;
      return `${name}: ${c ?? '<unknown>'}/${t.averageValue ?? t.value ?? '<unknown>'}`;
    }
    return `<unknown>/<unknown>`;
  });
  return parts.length > 2
    ? `${parts.slice(0, 2).join(', ')} + ${parts.length - 2} more...`
    : parts.join(', ');
}

/** The printers by plural resource name. */
export function kindPrinters(h: PrinterHelpers): Record<string, KindPrinter> {
  const { age, NAME, AGE } = h;
  const created: KindPrinter = {
    columns: [
      NAME,
      [
        'Created At',
        'date',
        0,
        'CreationTimestamp is a timestamp representing the server time when this object was created.',
      ],
    ],
    row: (o) => [
      o.metadata.name,
      o.metadata.creationTimestamp
        ? new Date(o.metadata.creationTimestamp).toISOString().replace(/\.\d{3}Z$/, 'Z')
        : '',
    ],
  };
  const binding = (what: string): KindPrinter => ({
    columns: [
      NAME,
      ['Role', 'string', 0, 'RoleRef can only reference a ClusterRole in the global namespace.'],
      AGE,
      ['Users', 'string', 1, `Users in the ${what}`],
      ['Groups', 'string', 1, `Groups in the ${what}`],
      ['ServiceAccounts', 'string', 1, `ServiceAccounts in the ${what}`],
    ],
    row(o, now) {
      const s = subjectsOf(o);
      return [
        o.metadata.name,
        `${o.roleRef?.kind ?? ''}/${o.roleRef?.name ?? ''}`,
        age(o.metadata.creationTimestamp, now),
        s.users,
        s.groups,
        s.sas,
      ];
    },
  });
  return {
    roles: created,
    clusterroles: created,
    rolebindings: binding('roleBinding'),
    clusterrolebindings: binding('clusterRoleBinding'),
    ingresses: {
      columns: [
        NAME,
        [
          'Class',
          'string',
          0,
          'The name of the IngressClass resource that should be used for additional configuration',
        ],
        ['Hosts', 'string', 0, 'Hosts that incoming requests are matched against before the ingress rule'],
        ['Address', 'string', 0, 'Address is a list containing ingress points for the load-balancer'],
        ['Ports', 'string', 0, 'Ports of TLS configurations that open'],
        AGE,
      ],
      row: (o, now) => [
        o.metadata.name,
        o.spec?.ingressClassName ?? '<none>',
        hosts(o.spec?.rules),
        lbAddresses(o.status),
        o.spec?.tls?.length ? '80, 443' : '80',
        age(o.metadata.creationTimestamp, now),
      ],
    },
    ingressclasses: {
      columns: [
        NAME,
        ['Controller', 'string', 0, 'Controller that is responsible for handling this class'],
        ['Parameters', 'string', 0, 'A reference to a resource with additional parameters'],
        AGE,
      ],
      row(o, now) {
        const p = o.spec?.parameters;
        const params = p
          ? `${p.kind}${p.apiGroup !== undefined ? `.${p.apiGroup}` : ''}/${p.name}`
          : '<none>';
        return [o.metadata.name, o.spec?.controller ?? '', params, age(o.metadata.creationTimestamp, now)];
      },
    },
    networkpolicies: {
      columns: [
        NAME,
        ['Pod-Selector', 'string', 0, 'Selects the pods to which this NetworkPolicy object applies.'],
        AGE,
      ],
      row: (o, now) => [
        o.metadata.name,
        formatLabelSelector(o.spec?.podSelector) || '<none>',
        age(o.metadata.creationTimestamp, now),
      ],
    },
    horizontalpodautoscalers: {
      columns: [
        NAME,
        [
          'Reference',
          'string',
          0,
          'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
        ],
        [
          'Targets',
          'string',
          0,
          'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).',
        ],
        [
          'MinPods',
          'string',
          0,
          'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.',
        ],
        [
          'MaxPods',
          'string',
          0,
          'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.',
        ],
        [
          'Replicas',
          'string',
          0,
          'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.',
        ],
        AGE,
      ],
      row: (o, now) => [
        o.metadata.name,
        `${o.spec?.scaleTargetRef?.kind ?? ''}/${o.spec?.scaleTargetRef?.name ?? ''}`,
        hpaTargets(o),
        o.spec?.minReplicas === undefined ? '<unset>' : String(o.spec.minReplicas),
        String(o.spec?.maxReplicas ?? 0),
        String(o.status?.currentReplicas ?? 0),
        age(o.metadata.creationTimestamp, now),
      ],
    },
    resourcequotas: {
      columns: [
        NAME,
        AGE,
        [
          'Request',
          'string',
          0,
          'Request represents a minimum amount of cpu/memory that a container may consume.',
        ],
        [
          'Limit',
          'string',
          0,
          'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
        ],
      ],
      row(o, now) {
        const [req, lim] = quotaCells(o);
        return [o.metadata.name, age(o.metadata.creationTimestamp, now), req, lim];
      },
    },
    limitranges: created,
    poddisruptionbudgets: {
      columns: [
        NAME,
        ['Min Available', 'string', 0, 'The minimum number of pods that must be available'],
        ['Max Unavailable', 'string', 0, 'The maximum number of pods that may be unavailable'],
        ['Allowed Disruptions', 'integer', 0, 'Calculated number of pods that may be disrupted at this time'],
        AGE,
      ],
      row: (o, now) => [
        o.metadata.name,
        o.spec?.minAvailable === undefined || o.spec?.minAvailable === null
          ? 'N/A'
          : String(o.spec.minAvailable),
        o.spec?.maxUnavailable === undefined || o.spec?.maxUnavailable === null
          ? 'N/A'
          : String(o.spec.maxUnavailable),
        o.status?.disruptionsAllowed ?? 0,
        age(o.metadata.creationTimestamp, now),
      ],
    },
  };
}
