/**
 * Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), which
 * kubectl's typed clients send for `kubectl create configmap|secret|namespace|serviceaccount|
 * deployment|service|job|cronjob`: the `k8s\0` magic, the runtime.Unknown envelope
 * (typeMeta=1, raw=2) and the kind's message, with field numbers from the `protobuf:` tags of
 * k8s.io/api types. Only the fields those generators fill are mapped; unknown field numbers are
 * skipped. gogo-protobuf writes non-pointer zero values, so empty strings, zero non-pointer
 * numbers, false non-pointer booleans and zero times are dropped, as JSON's omitempty would.
 * Responses are always JSON (clients pick their decoder from the response Content-Type).
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { badRequest } from '../errors';

/** The media type of Kubernetes protobuf. */
export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

type Scalar = 'string' | 'int' | 'int?' | 'bool' | 'bool?' | 'bytes' | 'time' | 'quantity' | 'intstr';
type FieldType = Scalar | Msg | { map: Scalar | Msg } | { rep: Scalar | Msg };
interface Msg {
  [field: number]: [name: string, type: FieldType];
}

const STR: FieldType = 'string';
const labelSelector: Msg = {
  1: ['matchLabels', { map: STR as Scalar }],
  2: [
    'matchExpressions',
    { rep: { 1: ['key', STR], 2: ['operator', STR], 3: ['values', { rep: 'string' }] } },
  ],
};
const ownerReference: Msg = {
  1: ['kind', STR],
  3: ['name', STR],
  4: ['uid', STR],
  5: ['apiVersion', STR],
  6: ['controller', 'bool?'],
  7: ['blockOwnerDeletion', 'bool?'],
};
const objectMeta: Msg = {
  1: ['name', STR],
  2: ['generateName', STR],
  3: ['namespace', STR],
  5: ['uid', STR],
  6: ['resourceVersion', STR],
  7: ['generation', 'int'],
  8: ['creationTimestamp', 'time'],
  9: ['deletionTimestamp', 'time'],
  10: ['deletionGracePeriodSeconds', 'int?'],
  11: ['labels', { map: 'string' }],
  12: ['annotations', { map: 'string' }],
  13: ['ownerReferences', { rep: ownerReference }],
  14: ['finalizers', { rep: 'string' }],
};
const container: Msg = {
  1: ['name', STR],
  2: ['image', STR],
  3: ['command', { rep: 'string' }],
  4: ['args', { rep: 'string' }],
  5: ['workingDir', STR],
  6: [
    'ports',
    {
      rep: {
        1: ['name', STR],
        2: ['hostPort', 'int'],
        3: ['containerPort', 'int'],
        4: ['protocol', STR],
        5: ['hostIP', STR],
      },
    },
  ],
  7: ['env', { rep: { 1: ['name', STR], 2: ['value', STR] } }],
  8: ['resources', { 1: ['limits', { map: 'quantity' }], 2: ['requests', { map: 'quantity' }] }],
  13: ['terminationMessagePath', STR],
  14: ['imagePullPolicy', STR],
  16: ['stdin', 'bool'],
  17: ['stdinOnce', 'bool'],
  18: ['tty', 'bool'],
  20: ['terminationMessagePolicy', STR],
};
const podSpec: Msg = {
  2: ['containers', { rep: container }],
  3: ['restartPolicy', STR],
  4: ['terminationGracePeriodSeconds', 'int?'],
  6: ['dnsPolicy', STR],
  7: ['nodeSelector', { map: 'string' }],
  8: ['serviceAccountName', STR],
  10: ['nodeName', STR],
  11: ['hostNetwork', 'bool'],
  19: ['schedulerName', STR],
  20: ['initContainers', { rep: container }],
};
const podTemplateSpec: Msg = { 1: ['metadata', objectMeta], 2: ['spec', podSpec] };
const jobSpec: Msg = {
  1: ['parallelism', 'int?'],
  2: ['completions', 'int?'],
  3: ['activeDeadlineSeconds', 'int?'],
  4: ['selector', labelSelector],
  5: ['manualSelector', 'bool?'],
  6: ['template', podTemplateSpec],
  7: ['backoffLimit', 'int?'],
  8: ['ttlSecondsAfterFinished', 'int?'],
  9: ['completionMode', STR],
  10: ['suspend', 'bool?'],
};

const policyRule: Msg = {
  1: ['verbs', { rep: 'string' }],
  2: ['apiGroups', { rep: 'string' }],
  3: ['resources', { rep: 'string' }],
  4: ['resourceNames', { rep: 'string' }],
  5: ['nonResourceURLs', { rep: 'string' }],
};
const roleBinding: Msg = {
  1: ['metadata', objectMeta],
  2: [
    'subjects',
    { rep: { 1: ['kind', STR], 2: ['apiGroup', STR], 3: ['name', STR], 4: ['namespace', STR] } },
  ],
  3: ['roleRef', { 1: ['apiGroup', STR], 2: ['kind', STR], 3: ['name', STR] }],
};

const ingressBackend: Msg = {
  3: ['resource', { 1: ['apiGroup', STR], 2: ['kind', STR], 3: ['name', STR] }],
  4: ['service', { 1: ['name', STR], 2: ['port', { 1: ['name', STR], 2: ['number', 'int'] }] }],
};

/** Post-decoding fixes: embedded Go structs (IngressRule.IngressRuleValue) are inlined in JSON. */
const POST: Record<string, (o: Record<string, any>) => void> = {
  'networking.k8s.io/v1/Ingress': (o) => {
    for (const r of o.spec?.rules ?? []) {
      if (r.ingressRuleValue) Object.assign(r, r.ingressRuleValue);
      delete r.ingressRuleValue;
    }
  },
};

/** Message schemas by "apiVersion/Kind". */
const KINDS: Record<string, Msg> = {
  'rbac.authorization.k8s.io/v1/Role': { 1: ['metadata', objectMeta], 2: ['rules', { rep: policyRule }] },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    1: ['metadata', objectMeta],
    2: ['rules', { rep: policyRule }],
    3: ['aggregationRule', { 1: ['clusterRoleSelectors', { rep: labelSelector }] }],
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': roleBinding,
  'v1/ResourceQuota': {
    1: ['metadata', objectMeta],
    2: [
      'spec',
      {
        1: ['hard', { map: 'quantity' }],
        2: ['scopes', { rep: 'string' }],
        3: [
          'scopeSelector',
          {
            1: [
              'matchExpressions',
              { rep: { 1: ['scopeName', STR], 2: ['operator', STR], 3: ['values', { rep: 'string' }] } },
            ],
          },
        ],
      },
    ],
    3: ['status', {}],
  },
  'autoscaling/v1/HorizontalPodAutoscaler': {
    1: ['metadata', objectMeta],
    2: [
      'spec',
      {
        1: ['scaleTargetRef', { 1: ['kind', STR], 2: ['name', STR], 3: ['apiVersion', STR] }],
        2: ['minReplicas', 'int?'],
        3: ['maxReplicas', 'int'],
        4: ['targetCPUUtilizationPercentage', 'int?'],
      },
    ],
    3: ['status', {}],
  },
  'networking.k8s.io/v1/Ingress': {
    1: ['metadata', objectMeta],
    2: [
      'spec',
      {
        1: ['defaultBackend', ingressBackend],
        2: ['tls', { rep: { 1: ['hosts', { rep: 'string' }], 2: ['secretName', STR] } }],
        3: [
          'rules',
          {
            rep: {
              1: ['host', STR],
              2: [
                'ingressRuleValue',
                {
                  1: [
                    'http',
                    {
                      1: [
                        'paths',
                        { rep: { 1: ['path', STR], 2: ['backend', ingressBackend], 3: ['pathType', STR] } },
                      ],
                    },
                  ],
                },
              ],
            },
          },
        ],
        4: ['ingressClassName', STR],
      },
    ],
    3: ['status', {}],
  },
  'policy/v1/PodDisruptionBudget': {
    1: ['metadata', objectMeta],
    2: [
      'spec',
      {
        1: ['minAvailable', 'intstr'],
        2: ['selector', labelSelector],
        3: ['maxUnavailable', 'intstr'],
        4: ['unhealthyPodEvictionPolicy', STR],
      },
    ],
    3: ['status', {}],
  },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': roleBinding,
  'v1/ConfigMap': {
    1: ['metadata', objectMeta],
    2: ['data', { map: 'string' }],
    3: ['binaryData', { map: 'bytes' }],
    4: ['immutable', 'bool?'],
  },
  'v1/Secret': {
    1: ['metadata', objectMeta],
    2: ['data', { map: 'bytes' }],
    3: ['type', STR],
    4: ['stringData', { map: 'string' }],
    5: ['immutable', 'bool?'],
  },
  'v1/Namespace': {
    1: ['metadata', objectMeta],
    2: ['spec', { 1: ['finalizers', { rep: 'string' }] }],
    3: ['status', { 1: ['phase', STR] }],
  },
  'v1/ServiceAccount': {
    1: ['metadata', objectMeta],
    3: ['imagePullSecrets', { rep: { 1: ['name', STR] } }],
    4: ['automountServiceAccountToken', 'bool?'],
  },
  'v1/Service': {
    1: ['metadata', objectMeta],
    2: [
      'spec',
      {
        1: [
          'ports',
          {
            rep: {
              1: ['name', STR],
              2: ['protocol', STR],
              3: ['port', 'int'],
              4: ['targetPort', 'intstr'],
              5: ['nodePort', 'int'],
            },
          },
        ],
        2: ['selector', { map: 'string' }],
        3: ['clusterIP', STR],
        4: ['type', STR],
        5: ['externalIPs', { rep: 'string' }],
        7: ['sessionAffinity', STR],
        10: ['externalName', STR],
      },
    ],
    3: ['status', {}],
  },
  'v1/Pod': { 1: ['metadata', objectMeta], 2: ['spec', podSpec], 3: ['status', {}] },
  'apps/v1/Deployment': {
    1: ['metadata', objectMeta],
    2: [
      'spec',
      {
        1: ['replicas', 'int?'],
        2: ['selector', labelSelector],
        3: ['template', podTemplateSpec],
        4: [
          'strategy',
          {
            1: ['type', STR],
            2: ['rollingUpdate', { 1: ['maxUnavailable', 'intstr'], 2: ['maxSurge', 'intstr'] }],
          },
        ],
        5: ['minReadySeconds', 'int'],
        6: ['revisionHistoryLimit', 'int?'],
        7: ['paused', 'bool'],
        9: ['progressDeadlineSeconds', 'int?'],
      },
    ],
    3: ['status', {}],
  },
  'batch/v1/Job': { 1: ['metadata', objectMeta], 2: ['spec', jobSpec], 3: ['status', {}] },
  'batch/v1/CronJob': {
    1: ['metadata', objectMeta],
    2: [
      'spec',
      {
        1: ['schedule', STR],
        2: ['startingDeadlineSeconds', 'int?'],
        3: ['concurrencyPolicy', STR],
        4: ['suspend', 'bool?'],
        5: ['jobTemplate', { 1: ['metadata', objectMeta], 2: ['spec', jobSpec] }],
        6: ['successfulJobsHistoryLimit', 'int?'],
        7: ['failedJobsHistoryLimit', 'int?'],
        8: ['timeZone', STR],
      },
    ],
    3: ['status', {}],
  },
};

const ZERO_TIME_SECONDS = -62135596800;

function readScalar(r: BinaryReader, t: Scalar): unknown {
  switch (t) {
    case 'string':
      return r.string();
    case 'int':
    case 'int?':
      return Number(r.int64());
    case 'bool':
    case 'bool?':
      return r.bool();
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'time': {
      const m = new BinaryReader(r.bytes());
      let seconds = 0;
      while (m.pos < m.len) {
        const [no, wt] = m.tag();
        if (no === 1) seconds = Number(m.int64());
        else m.skip(wt);
      }
      if (seconds === ZERO_TIME_SECONDS || seconds === 0) return undefined;
      return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    case 'quantity': {
      const m = new BinaryReader(r.bytes());
      let s = '';
      while (m.pos < m.len) {
        const [no, wt] = m.tag();
        if (no === 1) s = m.string();
        else m.skip(wt);
      }
      return s;
    }
    case 'intstr': {
      const m = new BinaryReader(r.bytes());
      let type = 0;
      let i = 0;
      let s = '';
      while (m.pos < m.len) {
        const [no, wt] = m.tag();
        if (no === 1) type = Number(m.int64());
        else if (no === 2) i = m.int32();
        else if (no === 3) s = m.string();
        else m.skip(wt);
      }
      return type === 1 ? s : i;
    }
  }
}

function keep(t: Scalar, v: unknown): boolean {
  if (v === undefined) return false;
  if (t === 'string') return v !== '';
  if (t === 'int') return v !== 0;
  if (t === 'bool') return v !== false;
  return true;
}

function readValue(r: BinaryReader, t: Scalar | Msg): unknown {
  return typeof t === 'string' ? readScalar(r, t) : readMessage(r.bytes(), t);
}

function readMessage(bytes: Uint8Array, schema: Msg): Record<string, unknown> {
  const r = new BinaryReader(bytes);
  const out: Record<string, unknown> = {};
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    const f = schema[no];
    if (!f) {
      r.skip(wt);
      continue;
    }
    const [name, type] = f;
    if (typeof type === 'object' && 'map' in type) {
      const entry = new BinaryReader(r.bytes());
      let k = '';
      let v: unknown;
      while (entry.pos < entry.len) {
        const [eno, ewt] = entry.tag();
        if (eno === 1) k = entry.string();
        else if (eno === 2) v = readValue(entry, type.map as Scalar | Msg);
        else entry.skip(ewt);
      }
      const m = (out[name] ??= {}) as Record<string, unknown>;
      m[k] = v ?? (type.map === 'string' ? '' : v);
    } else if (typeof type === 'object' && 'rep' in type) {
      const list = (out[name] ??= []) as unknown[];
      const el = type.rep as Scalar | Msg;
      if (typeof el === 'string' && wt === WireType.LengthDelimited && (el === 'int' || el === 'int?')) {
        const packed = new BinaryReader(r.bytes());
        while (packed.pos < packed.len) list.push(Number(packed.int64()));
      } else list.push(readValue(r, el));
    } else if (typeof type === 'string') {
      const v = readScalar(r, type);
      if (keep(type, v)) out[name] = v;
    } else {
      out[name] = readMessage(r.bytes(), type as Msg);
    }
  }
  return out;
}

/**
 * Decodes a Kubernetes protobuf body into the JSON object. Throws ApiError 415-style 400 when the
 * envelope is malformed, and 415 when the kind is not one this decoder knows.
 */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || body.toString('latin1', 0, 4) !== 'k8s\0')
    throw badRequest('protobuf body is missing the k8s magic prefix');
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array | undefined;
  try {
    const r = new BinaryReader(body.subarray(4));
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      if (no === 1) {
        const tm = new BinaryReader(r.bytes());
        while (tm.pos < tm.len) {
          const [tno, twt] = tm.tag();
          if (tno === 1) apiVersion = tm.string();
          else if (tno === 2) kind = tm.string();
          else tm.skip(twt);
        }
      } else if (no === 2) raw = r.bytes();
      else r.skip(wt);
    }
  } catch (err) {
    throw badRequest(`error decoding protobuf envelope: ${(err as Error).message}`);
  }
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema || !raw) {
    const e = badRequest(`protobuf bodies of ${apiVersion}/${kind} are not supported; send application/json`);
    e.status.code = 415;
    e.status.reason = 'UnsupportedMediaType';
    throw e;
  }
  try {
    const out = { apiVersion, kind, ...readMessage(raw, schema) };
    POST[`${apiVersion}/${kind}`]?.(out);
    return out;
  } catch (err) {
    throw badRequest(`error decoding ${kind} protobuf: ${(err as Error).message}`);
  }
}
