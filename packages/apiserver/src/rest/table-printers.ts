/**
 * Server-side printing for `kubectl get` (meta.k8s.io/v1 Table): the columns and cell values of
 * upstream's printers (kubernetes/pkg/printers/internalversion/printers.go) for each kind, and a
 * NAME/AGE table for the rest. Priority-1 columns are the ones `-o wide` adds.
 */
import type { KubeList, KubeObject } from '@keelson/api';
import { formatLabelSelector } from '../api-handler';
import { kindPrinters } from './table-printers-kinds';
import { storagePrinters } from './storage-printers';

/** metav1.TableColumnDefinition. */
export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean;
type Any = any;

interface Printer {
  columns: Array<[name: string, type: string, priority: number, description: string]>;
  row(o: Any, now: number): Cell[];
}

/** Human-readable duration, as k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(ts: string | undefined, now: number): string {
  if (!ts) return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

const none = (s: string | undefined | null): string => (s ? s : '<none>');

function containers(spec: Any): [string, string] {
  const cs: Any[] = spec?.containers ?? [];
  return [cs.map((c) => c?.name).join(','), cs.map((c) => c?.image).join(',')];
}

function podStatus(pod: Any): {
  reason: string;
  ready: number;
  total: number;
  restarts: number;
  lastRestart?: number;
} {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  let restarts = 0;
  let lastRestart: number | undefined;
  let ready = 0;
  const total = (spec.containers ?? []).length;
  let reason: string = status.phase ?? '';
  if (status.reason) reason = status.reason;
  const noteRestart = (cs: Any) => {
    restarts += cs.restartCount ?? 0;
    const fin = cs.lastState?.terminated?.finishedAt;
    if (fin) {
      const t = Date.parse(fin);
      if (!Number.isNaN(t) && (lastRestart === undefined || t > lastRestart)) lastRestart = t;
    }
  };
  let initializing = false;
  const initStatuses: Any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    noteRestart(cs);
    const term = cs.state?.terminated;
    const wait = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (term) {
      reason = term.reason
        ? `Init:${term.reason}`
        : term.signal
          ? `Init:Signal:${term.signal}`
          : `Init:ExitCode:${term.exitCode}`;
      initializing = true;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
      initializing = true;
    } else if (!(cs.started && cs.ready)) {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
      initializing = true;
    }
    if (initializing) break;
  }
  if (!initializing) {
    restarts = 0;
    lastRestart = undefined;
    let hasRunning = false;
    const statuses: Any[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      noteRestart(cs);
      const wait = cs.state?.waiting;
      const term = cs.state?.terminated;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const readyCond = (status.conditions ?? []).find((c: Any) => c.type === 'Ready');
      reason = readyCond?.status === 'True' ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp) reason = 'Terminating';
  return { reason, ready, total, restarts, lastRestart };
}

function servicePorts(spec: Any): string {
  const ports: Any[] = spec?.ports ?? [];
  if (!ports.length) return '<none>';
  return ports
    .map((p) =>
      p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`,
    )
    .join(',');
}

function externalIP(svc: Any): string {
  const spec = svc.spec ?? {};
  const ext: string[] = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const ing: Any[] = svc.status?.loadBalancer?.ingress ?? [];
      const ips = [...ing.map((i) => i.ip || i.hostname), ...ext].filter(Boolean);
      return ips.length ? ips.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '<none>';
  }
  return '<unknown>';
}

function nodeRoles(labels: Record<string, string>): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function formatEndpoints(subsets: Any[]): string {
  const all: string[] = [];
  for (const s of subsets ?? [])
    for (const a of s.addresses ?? []) {
      if ((s.ports ?? []).length === 0) all.push(a.ip);
      else for (const p of s.ports) all.push(`${a.ip}:${p.port}`);
    }
  if (!all.length) return '<none>';
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

const NAME: [string, string, number, string] = [
  'Name',
  'string',
  0,
  'Name must be unique within a namespace.',
];
const AGE: [string, string, number, string] = [
  'Age',
  'string',
  0,
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
];

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      NAME,
      ['Ready', 'string', 0, 'The aggregate readiness state of this pod for accepting traffic.'],
      ['Status', 'string', 0, 'The aggregate status of the containers in this pod.'],
      [
        'Restarts',
        'string',
        0,
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ],
      AGE,
      [
        'IP',
        'string',
        1,
        'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      ],
      ['Node', 'string', 1, 'NodeName is a request to schedule this pod onto a specific node.'],
      [
        'Nominated Node',
        'string',
        1,
        'nominatedNodeName is set when this pod preempts other pods on the node.',
      ],
      [
        'Readiness Gates',
        'string',
        1,
        'If specified, all readiness gates will be evaluated for pod readiness.',
      ],
    ],
    row(o, now) {
      const s = podStatus(o);
      const restarts =
        s.lastRestart !== undefined
          ? `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)`
          : String(s.restarts);
      const gates: Any[] = o.spec?.readinessGates ?? [];
      const conds: Any[] = o.status?.conditions ?? [];
      const gateStr = gates.length
        ? `${gates.filter((g) => conds.some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`
        : '<none>';
      return [
        o.metadata.name,
        `${s.ready}/${s.total}`,
        s.reason,
        restarts,
        age(o.metadata.creationTimestamp, now),
        none(o.status?.podIP),
        none(o.spec?.nodeName),
        none(o.status?.nominatedNodeName),
        gateStr,
      ];
    },
  },
  deployments: {
    columns: [
      NAME,
      ['Ready', 'string', 0, 'Number of the pod with ready state'],
      [
        'Up-to-date',
        'string',
        0,
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ],
      [
        'Available',
        'string',
        0,
        'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      ],
      AGE,
      ['Containers', 'string', 1, 'Names of each container in the template.'],
      ['Images', 'string', 1, 'Images referenced by each container in the template.'],
      [
        'Selector',
        'string',
        1,
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      ],
    ],
    row(o, now) {
      const [c, i] = containers(o.spec?.template?.spec);
      const st = o.status ?? {};
      return [
        o.metadata.name,
        `${st.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
        st.updatedReplicas ?? 0,
        st.availableReplicas ?? 0,
        age(o.metadata.creationTimestamp, now),
        c,
        i,
        none(formatLabelSelector(o.spec?.selector)),
      ];
    },
  },
  replicasets: {
    columns: [
      NAME,
      ['Desired', 'integer', 0, 'Replicas is the number of desired replicas.'],
      ['Current', 'integer', 0, 'Replicas is the most recently observed number of replicas.'],
      ['Ready', 'integer', 0, 'The number of ready replicas for this replica set.'],
      AGE,
      ['Containers', 'string', 1, 'Names of each container in the template.'],
      ['Images', 'string', 1, 'Images referenced by each container in the template.'],
      ['Selector', 'string', 1, 'Selector is a label query over pods that should match the replica count.'],
    ],
    row(o, now) {
      const [c, i] = containers(o.spec?.template?.spec);
      return [
        o.metadata.name,
        o.spec?.replicas ?? 0,
        o.status?.replicas ?? 0,
        o.status?.readyReplicas ?? 0,
        age(o.metadata.creationTimestamp, now),
        c,
        i,
        none(formatLabelSelector(o.spec?.selector)),
      ];
    },
  },
  statefulsets: {
    columns: [
      NAME,
      ['Ready', 'string', 0, 'Number of the pod with ready state'],
      AGE,
      ['Containers', 'string', 1, 'Names of each container in the template.'],
      ['Images', 'string', 1, 'Images referenced by each container in the template.'],
    ],
    row(o, now) {
      const [c, i] = containers(o.spec?.template?.spec);
      return [
        o.metadata.name,
        `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
        age(o.metadata.creationTimestamp, now),
        c,
        i,
      ];
    },
  },
  daemonsets: {
    columns: [
      NAME,
      [
        'Desired',
        'integer',
        0,
        'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).',
      ],
      [
        'Current',
        'integer',
        0,
        'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
      ],
      [
        'Ready',
        'integer',
        0,
        'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
      ],
      ['Up-to-date', 'integer', 0, 'The total number of nodes that are running updated daemon pod'],
      [
        'Available',
        'integer',
        0,
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
      ],
      [
        'Node Selector',
        'string',
        0,
        'NodeSelector is a selector which must be true for the pod to fit on a node.',
      ],
      AGE,
      ['Containers', 'string', 1, 'Names of each container in the template.'],
      ['Images', 'string', 1, 'Images referenced by each container in the template.'],
      ['Selector', 'string', 1, 'A label query over pods that are managed by the daemon set.'],
    ],
    row(o, now) {
      const [c, i] = containers(o.spec?.template?.spec);
      const st = o.status ?? {};
      const ns = Object.entries(o.spec?.template?.spec?.nodeSelector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [
        o.metadata.name,
        st.desiredNumberScheduled ?? 0,
        st.currentNumberScheduled ?? 0,
        st.numberReady ?? 0,
        st.updatedNumberScheduled ?? 0,
        st.numberAvailable ?? 0,
        none(ns),
        age(o.metadata.creationTimestamp, now),
        c,
        i,
        none(formatLabelSelector(o.spec?.selector)),
      ];
    },
  },
  services: {
    columns: [
      NAME,
      ['Type', 'string', 0, 'type determines how the Service is exposed.'],
      [
        'Cluster-IP',
        'string',
        0,
        'clusterIP is the IP address of the service and is usually assigned randomly.',
      ],
      [
        'External-IP',
        'string',
        0,
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
      ],
      ['Port(s)', 'string', 0, 'The list of ports that are exposed by this service.'],
      AGE,
      [
        'Selector',
        'string',
        1,
        'Route service traffic to pods with label keys and values matching this selector.',
      ],
    ],
    row(o, now) {
      const sel = Object.entries(o.spec?.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [
        o.metadata.name,
        o.spec?.type ?? 'ClusterIP',
        none(o.spec?.clusterIP),
        externalIP(o),
        servicePorts(o.spec),
        age(o.metadata.creationTimestamp, now),
        none(sel),
      ];
    },
  },
  nodes: {
    columns: [
      NAME,
      ['Status', 'string', 0, 'The status of the node'],
      ['Roles', 'string', 0, 'The roles of the node'],
      AGE,
      ['Version', 'string', 0, 'Kubelet Version reported by the node.'],
      ['Internal-IP', 'string', 1, 'List of addresses reachable to the node.'],
      ['External-IP', 'string', 1, 'List of addresses reachable to the node.'],
      [
        'OS-Image',
        'string',
        1,
        'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      ],
      [
        'Kernel-Version',
        'string',
        1,
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      ],
      [
        'Container-Runtime',
        'string',
        1,
        'Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      ],
    ],
    row(o, now) {
      const conds: Any[] = o.status?.conditions ?? [];
      const ready = conds.find((c) => c.type === 'Ready');
      let status = ready
        ? ready.status === 'True'
          ? 'Ready'
          : ready.status === 'False'
            ? 'NotReady'
            : 'Unknown'
        : 'Unknown';
      if (o.spec?.unschedulable) status += ',SchedulingDisabled';
      const addr = (t: string) => (o.status?.addresses ?? []).find((a: Any) => a.type === t)?.address;
      const info = o.status?.nodeInfo ?? {};
      return [
        o.metadata.name,
        status,
        nodeRoles(o.metadata.labels),
        age(o.metadata.creationTimestamp, now),
        info.kubeletVersion ?? '',
        none(addr('InternalIP')),
        none(addr('ExternalIP')),
        info.osImage || '<unknown>',
        info.kernelVersion || '<unknown>',
        info.containerRuntimeVersion || '<unknown>',
      ];
    },
  },
  namespaces: {
    columns: [NAME, ['Status', 'string', 0, 'The status of the namespace'], AGE],
    row: (o, now) => [o.metadata.name, o.status?.phase ?? '', age(o.metadata.creationTimestamp, now)],
  },
  configmaps: {
    columns: [NAME, ['Data', 'string', 0, 'Data contains the configuration data.'], AGE],
    row: (o, now) => [
      o.metadata.name,
      Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length,
      age(o.metadata.creationTimestamp, now),
    ],
  },
  secrets: {
    columns: [
      NAME,
      ['Type', 'string', 0, 'The type of the secret'],
      ['Data', 'string', 0, 'The number of data elements'],
      AGE,
    ],
    row: (o, now) => [
      o.metadata.name,
      o.type ?? 'Opaque',
      Object.keys(o.data ?? {}).length,
      age(o.metadata.creationTimestamp, now),
    ],
  },
  endpoints: {
    columns: [NAME, ['Endpoints', 'string', 0, 'Endpoints of the service'], AGE],
    row: (o, now) => [o.metadata.name, formatEndpoints(o.subsets), age(o.metadata.creationTimestamp, now)],
  },
  serviceaccounts: {
    columns: [
      NAME,
      [
        'Secrets',
        'string',
        0,
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      ],
      AGE,
    ],
    row: (o, now) => [o.metadata.name, (o.secrets ?? []).length, age(o.metadata.creationTimestamp, now)],
  },
  events: {
    columns: [
      ['Last Seen', 'string', 0, 'The time at which the most recent occurrence of this event was recorded.'],
      ['Type', 'string', 0, 'Type of this event (Normal, Warning), new types could be added in the future.'],
      [
        'Reason',
        'string',
        0,
        'A short, machine understandable string that gives the reason for this event being generated.',
      ],
      ['Object', 'string', 0, 'The object that this event is about.'],
      ['Subobject', 'string', 1, 'The subobject that this event is about.'],
      [
        'Source',
        'string',
        1,
        'The component reporting this event. Should be a short machine understandable string.',
      ],
      ['Message', 'string', 0, 'A human-readable description of the status of this operation.'],
      ['First Seen', 'string', 1, 'The time at which the event was first recorded.'],
      ['Count', 'string', 1, 'The number of times this event has occurred.'],
      ['Name', 'string', 1, 'Name must be unique within a namespace.'],
    ],
    row(o, now) {
      const last = o.lastTimestamp || o.eventTime || o.metadata.creationTimestamp;
      const first = o.firstTimestamp || o.eventTime || o.metadata.creationTimestamp;
      const io = o.involvedObject ?? {};
      const src = o.source?.component
        ? `${o.source.component}${o.source.host ? `, ${o.source.host}` : ''}`
        : (o.reportingComponent ?? '');
      return [
        age(last, now),
        o.type ?? '',
        o.reason ?? '',
        `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`,
        io.fieldPath ?? '',
        src,
        (o.message ?? '').trim(),
        age(first, now),
        o.count ?? 1,
        o.metadata.name,
      ];
    },
  },
  jobs: {
    columns: [
      NAME,
      ['Status', 'string', 0, 'Status of the job.'],
      ['Completions', 'string', 0, 'The completion status of the job.'],
      ['Duration', 'string', 0, 'Time required to complete the job.'],
      AGE,
      ['Containers', 'string', 1, 'Names of each container in the template.'],
      ['Images', 'string', 1, 'Images referenced by each container in the template.'],
      ['Selector', 'string', 1, 'A label query over pods that should match the pod count.'],
    ],
    row(o, now) {
      const [c, i] = containers(o.spec?.template?.spec);
      const st = o.status ?? {};
      const conds: Any[] = st.conditions ?? [];
      const has = (t: string) => conds.some((x) => x.type === t && x.status === 'True');
      const status = has('Complete')
        ? 'Complete'
        : has('Failed')
          ? 'Failed'
          : o.metadata.deletionTimestamp
            ? 'Terminating'
            : has('Suspended')
              ? 'Suspended'
              : has('FailureTarget')
                ? 'FailureTarget'
                : 'Running';
      const completions =
        o.spec?.completions !== undefined
          ? `${st.succeeded ?? 0}/${o.spec.completions}`
          : `${st.succeeded ?? 0}/1 of ${o.spec?.parallelism ?? 1}`;
      let duration = '';
      if (st.startTime)
        duration = humanDuration(
          (st.completionTime ? Date.parse(st.completionTime) : now) - Date.parse(st.startTime),
        );
      return [
        o.metadata.name,
        status,
        completions,
        duration,
        age(o.metadata.creationTimestamp, now),
        c,
        i,
        none(formatLabelSelector(o.spec?.selector)),
      ];
    },
  },
  cronjobs: {
    columns: [
      NAME,
      ['Schedule', 'string', 0, 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'],
      [
        'Timezone',
        'string',
        0,
        'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
      ],
      ['Suspend', 'boolean', 0, 'This flag tells the controller to suspend subsequent executions.'],
      ['Active', 'integer', 0, 'A list of pointers to currently running jobs.'],
      [
        'Last Schedule',
        'string',
        0,
        'Information when was the last time the job was successfully scheduled.',
      ],
      AGE,
      ['Containers', 'string', 1, 'Names of each container in the template.'],
      ['Images', 'string', 1, 'Images referenced by each container in the template.'],
      ['Selector', 'string', 1, 'A label query over pods that should match the pod count.'],
    ],
    row(o, now) {
      const [c, i] = containers(o.spec?.jobTemplate?.spec?.template?.spec);
      const last = o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : '<none>';
      return [
        o.metadata.name,
        o.spec?.schedule ?? '',
        none(o.spec?.timeZone),
        !!o.spec?.suspend,
        (o.status?.active ?? []).length,
        last,
        age(o.metadata.creationTimestamp, now),
        c,
        i,
        none(formatLabelSelector(o.spec?.jobTemplate?.spec?.selector)),
      ];
    },
  },
  leases: {
    columns: [
      NAME,
      ['Holder', 'string', 0, 'holderIdentity contains the identity of the holder of a current lease.'],
      AGE,
    ],
    row: (o, now) => [o.metadata.name, o.spec?.holderIdentity ?? '', age(o.metadata.creationTimestamp, now)],
  },
  endpointslices: {
    columns: [
      NAME,
      ['AddressType', 'string', 0, 'Type of address carried by this EndpointSlice'],
      ['Ports', 'string', 0, 'Ports of the EndpointSlice'],
      ['Endpoints', 'string', 0, 'Endpoints of the EndpointSlice'],
      AGE,
    ],
    row(o, now) {
      const ports: Any[] = o.ports ?? [];
      const portStr = ports.length
        ? ports.map((p) => (p.port === undefined ? '<unset>' : String(p.port))).join(',')
        : '<unset>';
      const addrs: string[] = [];
      for (const e of o.endpoints ?? []) for (const a of e.addresses ?? []) addrs.push(a);
      const ep = !addrs.length
        ? '<unset>'
        : addrs.length > 3
          ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...`
          : addrs.join(',');
      return [o.metadata.name, o.addressType ?? '', portStr, ep, age(o.metadata.creationTimestamp, now)];
    },
  },
  controllerrevisions: {
    columns: [
      NAME,
      ['Controller', 'string', 0, 'Controller of the object'],
      ['Revision', 'integer', 0, 'Revision indicates the revision of the state represented by Data.'],
      AGE,
    ],
    row(o, now) {
      const ctrl = (o.metadata.ownerReferences ?? []).find((r: Any) => r.controller);
      const c = ctrl
        ? `${ctrl.kind.toLowerCase()}.${ctrl.apiVersion.includes('/') ? ctrl.apiVersion.split('/')[0] : ''}/${ctrl.name}`.replace(
            './',
            '/',
          )
        : '<none>';
      return [o.metadata.name, c, o.revision ?? 0, age(o.metadata.creationTimestamp, now)];
    },
  },
  componentstatuses: {
    columns: [
      NAME,
      ['Status', 'string', 0, 'Status of the component conditions'],
      ['Message', 'string', 0, 'Message of the component conditions'],
      ['Error', 'string', 0, 'Error of the component conditions'],
    ],
    row(o) {
      const c = (o.conditions ?? []).find((x: Any) => x.type === 'Healthy');
      return [
        o.metadata.name,
        c ? (c.status === 'True' ? 'Healthy' : 'Unhealthy') : 'Unknown',
        c?.message ?? '',
        c?.error ?? '',
      ];
    },
  },
};

Object.assign(PRINTERS, kindPrinters({ age, NAME, AGE }));
for (const [res, p] of Object.entries(storagePrinters))
  PRINTERS[res] = { columns: p.columns, row: (o, now) => p.row(o, now, age) };

const DEFAULT_PRINTER: Printer = {
  columns: [NAME, AGE],
  row: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)],
};

/** The column definitions of a resource's table. */
export function columnDefinitions(resource: string): ColumnDefinition[] {
  return (PRINTERS[resource] ?? DEFAULT_PRINTER).columns.map(([name, type, priority, description]) => ({
    name,
    type,
    format: name === 'Name' ? 'name' : '',
    description,
    priority,
  }));
}

/** How a row embeds its object: None, Metadata (PartialObjectMetadata, the default) or Object. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(o: KubeObject, include: IncludeObject): object | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** One table row for an object. */
export function tableRow(resource: string, o: KubeObject, include: IncludeObject, now = Date.now()): object {
  const p = PRINTERS[resource] ?? DEFAULT_PRINTER;
  const row: Record<string, unknown> = { cells: p.row(o, now) };
  const obj = rowObject(o, include);
  if (obj) row.object = obj;
  return row;
}

/** Converts a list or one object into a meta.k8s.io/v1 Table. */
export function toTable(
  resource: string,
  data: KubeList | KubeObject,
  include: IncludeObject,
  withColumns = true,
  now = Date.now(),
): object {
  const items =
    'items' in data && Array.isArray((data as KubeList).items)
      ? (data as KubeList).items
      : [data as KubeObject];
  const meta =
    'items' in data
      ? { ...(data as KubeList).metadata }
      : { resourceVersion: (data as KubeObject).metadata.resourceVersion };
  const t: Record<string, unknown> = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: meta };
  if (withColumns) t.columnDefinitions = columnDefinitions(resource);
  else t.columnDefinitions = null;
  t.rows = items.map((o) => tableRow(resource, o, include, now));
  return t;
}
