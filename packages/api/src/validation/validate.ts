/**
 * Validation per kind (`pkg/apis/<group>/validation` of Kubernetes): field paths, reasons and
 * messages as upstream's field.ErrorList. Returns StatusCause[]; empty means valid. Run it after
 * {@link defaultObject}: like upstream it expects defaulted objects (e.g. protocols set).
 */
import { resourceForKind } from '../resources';
import { checkSchema } from '../codec';
import type { KubeObject, LabelSelector, ObjectMeta, StatusCause } from '../meta';
import type {
  Container,
  ContainerPort,
  EnvVar,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Toleration,
  Volume,
} from '../core-v1';
import {
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
} from '../status';
import { QuantityValue } from '../quantity';
import { labelSelectorFromStructured } from '../labels';
import {
  TotalAnnotationSizeLimitB,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isRelaxedEnvVarName,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  regexError,
} from './names';
import { rbacNameRules, rbacValidators } from './rbac-v1';
import { policyValidators } from './policy-v1';
import { networkingValidators } from './networking-v1';
import { quotaValidators } from './quota-v1';
import { autoscalingValidators } from './autoscaling-v2';
import {
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimSpec,
  validateStorageClass,
} from './storage';

type Causes = StatusCause[];

type Any = any;

/** field.NotFound: message `Not found: <value>`. */
export function fieldNotFound(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(value)}`, field };
}

const idx = (p: string, i: number) => `${p}[${i}]`;
const key = (p: string, k: string) => `${p}[${k}]`;
const child = (p: string, c: string) => (p ? `${p}.${c}` : c);

function isEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  if (ja === jb) return true; // common case: unchanged, same key order
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
// Like apimachinery's Semantic.DeepEqual: unset, null and empty lists compare equal.
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .filter((k) => {
          const x = (v as Any)[k];
          return x !== undefined && x !== null && !(Array.isArray(x) && x.length === 0);
        })
        .sort()
        .map((k) => [k, canonical((v as Any)[k])]),
    );
  }
  return v;
}

function nonNegative(out: Causes, path: string, v: number | undefined): void {
  if (v !== undefined && v !== null && v < 0)
    out.push(fieldInvalid(path, v, 'must be greater than or equal to 0'));
}

function immutable(out: Causes, path: string, nv: unknown, ov: unknown): void {
  if (!isEqual(nv, ov)) out.push(fieldInvalid(path, nv, 'field is immutable'));
}

function notSupported(
  out: Causes,
  path: string,
  v: string | undefined,
  allowed: string[],
  required = false,
): void {
  if (v === undefined || v === '') {
    if (required) out.push(fieldRequired(path, ''));
    return;
  }
  if (!allowed.includes(v)) out.push(fieldNotSupported(path, v, allowed));
}

// ---------------------------------------------------------------------------------------------
// metadata

/** Name validators per kind (upstream ValidateXName). */
const NAME_RULE: Record<string, (n: string) => string[]> = {
  Namespace: isDNS1123Label,
  Service: isDNS1035Label,
  StatefulSet: isDNS1123Label,
  ...rbacNameRules,
};

/** ValidateLabels: keys are qualified names, values label values. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): Causes {
  const out: Causes = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) out.push(fieldInvalid(path, k, m));
    if (typeof v !== 'string') continue;
    for (const m of isValidLabelValue(v)) out.push(fieldInvalid(path, v, m));
  }
  return out;
}

/** ValidateAnnotations: keys are qualified names (case-insensitive), total size ≤ 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): Causes {
  const out: Causes = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) out.push(fieldInvalid(path, k, m));
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > TotalAnnotationSizeLimitB) out.push(fieldTooLong(path, TotalAnnotationSizeLimitB));
  return out;
}

/**
 * ValidateObjectMeta (+ ValidateObjectMetaUpdate when old is given): name/generateName, namespace
 * presence per scope, labels, annotations, owner references, finalizers, immutable identity fields.
 */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  kind: string,
  namespaced: boolean | undefined,
  oldMeta?: ObjectMeta,
  path = 'metadata',
  nameRule: (n: string) => string[] = Object.hasOwn(NAME_RULE, kind) ? NAME_RULE[kind] : isDNS1123Subdomain,
): Causes {
  const out: Causes = [];
  const m = meta ?? {};
  if (!m.name && !m.generateName)
    out.push(fieldRequired(child(path, 'name'), 'name or generateName is required'));
  if (m.name) for (const msg of nameRule(m.name)) out.push(fieldInvalid(child(path, 'name'), m.name, msg));
  if (m.generateName) {
    // Validated as a prefix (upstream nameFn(generateName, true)): a trailing '-' is allowed.
    const prefix = m.generateName.replace(/-$/, '');
    if (prefix)
      for (const msg of nameRule(prefix))
        out.push(fieldInvalid(child(path, 'generateName'), m.generateName, msg));
  }
  if (namespaced === true) {
    if (!m.namespace) out.push(fieldRequired(child(path, 'namespace'), ''));
    else
      for (const msg of isDNS1123Label(m.namespace))
        out.push(fieldInvalid(child(path, 'namespace'), m.namespace, msg));
  } else if (namespaced === false && m.namespace) {
    out.push(fieldForbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  nonNegative(out, child(path, 'generation'), m.generation);
  out.push(...validateLabels(m.labels, child(path, 'labels')));
  out.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  const refs = m.ownerReferences ?? [];
  const controllers: string[] = [];
  refs.forEach((r, i) => {
    const p = idx(child(path, 'ownerReferences'), i);
    if (!r.apiVersion)
      out.push(fieldInvalid(child(p, 'apiVersion'), r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) out.push(fieldInvalid(child(p, 'kind'), r.kind ?? '', 'kind must not be empty'));
    if (!r.name) out.push(fieldInvalid(child(p, 'name'), r.name ?? '', 'name must not be empty'));
    if (!r.uid) out.push(fieldInvalid(child(p, 'uid'), r.uid ?? '', 'uid must not be empty'));
    if (r.controller) controllers.push(`${r.kind}/${r.name}`);
  });
  if (controllers.length > 1) {
    out.push(
      fieldInvalid(
        child(path, 'ownerReferences'),
        refs,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`,
      ),
    );
  }
  (m.finalizers ?? []).forEach((f, i) => {
    for (const msg of isQualifiedName(f)) out.push(fieldInvalid(idx(child(path, 'finalizers'), i), f, msg));
  });
  if (oldMeta) {
    immutable(out, child(path, 'name'), m.name, oldMeta.name);
    if (namespaced !== false) immutable(out, child(path, 'namespace'), m.namespace, oldMeta.namespace);
    if (oldMeta.uid && m.uid) immutable(out, child(path, 'uid'), m.uid, oldMeta.uid);
    if (oldMeta.creationTimestamp && m.creationTimestamp) {
      immutable(out, child(path, 'creationTimestamp'), m.creationTimestamp, oldMeta.creationTimestamp);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pod spec

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const RESTART_POLICIES = ['Always', 'Never', 'OnFailure'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const HOST_PATH_TYPES = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

/** ValidatePortNumOrName: a number must be a port number, a string a port name (IANA_SVC_NAME). */
function validatePortNumOrName(
  out: Causes,
  path: string,
  port: number | string | undefined,
  _names?: Set<string>,
): void {
  if (typeof port === 'number') {
    for (const m of isValidPortNum(port)) out.push(fieldInvalid(path, port, m));
  } else if (typeof port === 'string') {
    for (const m of isValidPortName(port)) out.push(fieldInvalid(path, port, m));
  } else {
    out.push(fieldRequired(path, ''));
  }
}

function validateProbe(
  out: Causes,
  p: Probe | undefined,
  path: string,
  portNames: Set<string>,
  mustBeOne: boolean,
): void {
  if (!p) return;
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => p[h]);
  if (handlers.length === 0) out.push(fieldRequired(path, 'must specify a handler type'));
  if (handlers.length > 1)
    out.push(fieldForbidden(child(path, handlers[1]), 'may not specify more than 1 handler type'));
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    nonNegative(out, child(path, f), p[f]);
  }
  if (mustBeOne && p.successThreshold !== undefined && p.successThreshold !== 1) {
    out.push(fieldInvalid(child(path, 'successThreshold'), p.successThreshold, 'must be 1'));
  }
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds <= 0) {
    out.push(
      fieldInvalid(
        child(path, 'terminationGracePeriodSeconds'),
        p.terminationGracePeriodSeconds,
        'must be greater than 0',
      ),
    );
  }
  if (p.exec && (!p.exec.command || p.exec.command.length === 0))
    out.push(fieldRequired(child(path, 'exec.command'), ''));
  if (p.httpGet) {
    validatePortNumOrName(out, child(path, 'httpGet.port'), p.httpGet.port, portNames);
    notSupported(out, child(path, 'httpGet.scheme'), p.httpGet.scheme, ['HTTP', 'HTTPS']);
  }
  if (p.tcpSocket) validatePortNumOrName(out, child(path, 'tcpSocket.port'), p.tcpSocket.port, portNames);
  if (p.grpc) validatePortNumOrName(out, child(path, 'grpc.port'), p.grpc.port, undefined);
}

const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function validateResources(out: Causes, r: ResourceRequirements | undefined, path: string): void {
  if (!r) return;
  const parsed: Record<'limits' | 'requests', Record<string, QuantityValue>> = { limits: {}, requests: {} };
  for (const which of ['limits', 'requests'] as const) {
    for (const [name, q] of Object.entries(r[which] ?? {})) {
      const p = key(child(path, which), name);
      if (!STANDARD_RESOURCES.has(name) && !name.startsWith('hugepages-')) {
        if (!name.includes('/')) {
          out.push(fieldInvalid(p, name, 'must be a standard resource for containers'));
          continue;
        }
        for (const m of isQualifiedName(name)) out.push(fieldInvalid(p, name, m));
      }
      let v: QuantityValue;
      try {
        v = QuantityValue.parse(String(q));
      } catch {
        out.push(
          fieldInvalid(
            p,
            q,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
          ),
        );
        continue;
      }
      if (v.sign() < 0) out.push(fieldInvalid(p, q, 'must be greater than or equal to 0'));
      parsed[which][name] = v;
    }
  }
  for (const [name, req] of Object.entries(parsed.requests)) {
    const lim = parsed.limits[name];
    if (lim && req.cmp(lim) > 0) {
      out.push(
        fieldInvalid(
          child(path, 'requests'),
          r.requests![name],
          `must be less than or equal to ${name} limit of ${lim.toString()}`,
        ),
      );
    }
  }
}

function validateEnv(out: Causes, env: EnvVar[] | undefined, path: string): void {
  (env ?? []).forEach((e, i) => {
    const p = idx(path, i);
    if (!e.name) out.push(fieldRequired(child(p, 'name'), ''));
    else for (const m of isRelaxedEnvVarName(e.name)) out.push(fieldInvalid(child(p, 'name'), e.name, m));
    if (e.valueFrom) {
      const n = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter(
        (k) => e.valueFrom![k],
      ).length;
      if (n === 0)
        out.push(
          fieldInvalid(
            child(p, 'valueFrom'),
            '',
            'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
          ),
        );
      else if (n > 1)
        out.push(
          fieldInvalid(child(p, 'valueFrom'), '', 'may not have more than one field specified at a time'),
        );
      if (e.value)
        out.push(fieldInvalid(child(p, 'valueFrom'), '', 'may not be specified when `value` is not empty'));
      const cm = e.valueFrom.configMapKeyRef;
      if (cm && !cm.key) out.push(fieldRequired(child(p, 'valueFrom.configMapKeyRef.key'), ''));
      const sk = e.valueFrom.secretKeyRef;
      if (sk && !sk.key) out.push(fieldRequired(child(p, 'valueFrom.secretKeyRef.key'), ''));
      const fr = e.valueFrom.fieldRef;
      if (fr && !fr.fieldPath) out.push(fieldRequired(child(p, 'valueFrom.fieldRef.fieldPath'), ''));
    }
  });
}

function validatePorts(out: Causes, ports: ContainerPort[] | undefined, path: string): void {
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = idx(path, i);
    if (port.name) {
      for (const m of isValidPortName(port.name)) out.push(fieldInvalid(child(p, 'name'), port.name, m));
      if (names.has(port.name)) out.push(fieldDuplicate(child(p, 'name'), port.name));
      names.add(port.name);
    }
    if (!port.containerPort) out.push(fieldRequired(child(p, 'containerPort'), ''));
    else
      for (const m of isValidPortNum(port.containerPort))
        out.push(fieldInvalid(child(p, 'containerPort'), port.containerPort, m));
    if (port.hostPort)
      for (const m of isValidPortNum(port.hostPort))
        out.push(fieldInvalid(child(p, 'hostPort'), port.hostPort, m));
    notSupported(out, child(p, 'protocol'), port.protocol, PROTOCOLS, true);
  });
}

function validateContainer(
  out: Causes,
  c: Container,
  path: string,
  volumes: Set<string>,
  names: Set<string>,
  kind: 'containers' | 'initContainers' | 'ephemeralContainers',
): void {
  if (!c.name) out.push(fieldRequired(child(path, 'name'), ''));
  else {
    for (const m of isDNS1123Label(c.name)) out.push(fieldInvalid(child(path, 'name'), c.name, m));
    if (names.has(c.name)) out.push(fieldDuplicate(child(path, 'name'), c.name));
    names.add(c.name);
  }
  if (!c.image || c.image.trim() === '') out.push(fieldRequired(child(path, 'image'), ''));
  notSupported(out, child(path, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES, true);
  notSupported(
    out,
    child(path, 'terminationMessagePolicy'),
    c.terminationMessagePolicy,
    ['File', 'FallbackToLogsOnError'],
    true,
  );
  if (kind === 'initContainers') notSupported(out, child(path, 'restartPolicy'), c.restartPolicy, ['Always']);
  else if (c.restartPolicy)
    out.push(fieldForbidden(child(path, 'restartPolicy'), 'may not be set for non-init containers'));
  validatePorts(out, c.ports, child(path, 'ports'));
  validateEnv(out, c.env, child(path, 'env'));
  validateResources(out, c.resources, child(path, 'resources'));
  const portNames = new Set((c.ports ?? []).map((p) => p.name).filter((n): n is string => !!n));
  const sidecar = kind === 'initContainers' && c.restartPolicy === 'Always';
  if (kind === 'containers' || sidecar) {
    validateProbe(out, c.livenessProbe, child(path, 'livenessProbe'), portNames, true);
    validateProbe(out, c.readinessProbe, child(path, 'readinessProbe'), portNames, false);
    validateProbe(out, c.startupProbe, child(path, 'startupProbe'), portNames, true);
  } else {
    for (const pr of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[pr])
        out.push(
          fieldForbidden(
            child(path, pr),
            `may not be set for ${kind === 'initContainers' ? 'init containers without restartPolicy=Always' : 'ephemeral containers'}`,
          ),
        );
    }
  }
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((vm, i) => {
    const p = idx(child(path, 'volumeMounts'), i);
    if (!vm.name) out.push(fieldRequired(child(p, 'name'), ''));
    else if (!volumes.has(vm.name)) out.push(fieldNotFound(child(p, 'name'), vm.name));
    if (!vm.mountPath) out.push(fieldRequired(child(p, 'mountPath'), ''));
    else {
      if (mountPaths.has(vm.mountPath))
        out.push(fieldInvalid(child(p, 'mountPath'), vm.mountPath, 'must be unique'));
      mountPaths.add(vm.mountPath);
    }
    if (vm.subPath) {
      // validateLocalDescendingPath
      if (vm.subPath.startsWith('/'))
        out.push(fieldInvalid(child(p, 'subPath'), vm.subPath, 'must be a relative path'));
      if (vm.subPath.split('/').includes('..'))
        out.push(fieldInvalid(child(p, 'subPath'), vm.subPath, "must not contain '..'"));
    }
    notSupported(out, child(p, 'mountPropagation'), vm.mountPropagation, [
      'Bidirectional',
      'HostToContainer',
      'None',
    ]);
  });
}

function validateVolumes(out: Causes, vols: Volume[] | undefined, path: string): Set<string> {
  const names = new Set<string>();
  (vols ?? []).forEach((v, i) => {
    const p = idx(path, i);
    if (!v.name) out.push(fieldRequired(child(p, 'name'), ''));
    else {
      for (const m of isDNS1123Label(v.name)) out.push(fieldInvalid(child(p, 'name'), v.name, m));
      if (names.has(v.name)) out.push(fieldDuplicate(child(p, 'name'), v.name));
      names.add(v.name);
    }
    const rec = v as Any;
    const sources = Object.keys(rec).filter((k) => k !== 'name' && rec[k] !== undefined && rec[k] !== null);
    if (sources.length === 0) out.push(fieldRequired(p, 'must specify a volume type'));
    if (sources.length > 1)
      out.push(fieldForbidden(child(p, sources[1]), 'may not specify more than 1 volume type'));
    if (v.hostPath) {
      if (!v.hostPath.path) out.push(fieldRequired(child(p, 'hostPath.path'), ''));
      if (v.hostPath.type !== undefined && !HOST_PATH_TYPES.includes(v.hostPath.type)) {
        out.push(fieldNotSupported(child(p, 'hostPath.type'), v.hostPath.type, HOST_PATH_TYPES));
      }
    }
    if (v.configMap && !v.configMap.name) out.push(fieldRequired(child(p, 'configMap.name'), ''));
    if (v.secret && !v.secret.secretName) out.push(fieldRequired(child(p, 'secret.secretName'), ''));
    if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName)
      out.push(fieldRequired(child(p, 'persistentVolumeClaim.claimName'), ''));
    for (const [src, mode] of [
      ['configMap', v.configMap?.defaultMode],
      ['secret', v.secret?.defaultMode],
      ['downwardAPI', v.downwardAPI?.defaultMode],
      ['projected', v.projected?.defaultMode],
    ] as const) {
      if (mode !== undefined && (mode < 0 || mode > 0o777)) {
        out.push(
          fieldInvalid(
            child(p, `${src}.defaultMode`),
            mode,
            'must be a number between 0 and 0777 (octal), both inclusive',
          ),
        );
      }
    }
    if (v.emptyDir?.sizeLimit !== undefined) {
      try {
        if (QuantityValue.parse(String(v.emptyDir.sizeLimit)).sign() < 0) {
          out.push(
            fieldInvalid(
              child(p, 'emptyDir.sizeLimit'),
              v.emptyDir.sizeLimit,
              'must be greater than or equal to 0',
            ),
          );
        }
      } catch {
        out.push(
          fieldInvalid(child(p, 'emptyDir.sizeLimit'), v.emptyDir.sizeLimit, 'must be a valid quantity'),
        );
      }
    }
  });
  return names;
}

function validateTolerations(out: Causes, ts: Toleration[] | undefined, path: string): void {
  (ts ?? []).forEach((t, i) => {
    const p = idx(path, i);
    if (t.key) for (const m of isQualifiedName(t.key)) out.push(fieldInvalid(child(p, 'key'), t.key, m));
    if (!t.key && t.operator !== 'Exists') {
      out.push(
        fieldInvalid(
          child(p, 'operator'),
          t.operator ?? '',
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      out.push(
        fieldInvalid(
          child(p, 'effect'),
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    // Upstream reports value problems on the operator path.
    switch (t.operator ?? '') {
      case '':
      case 'Equal': {
        const errs = isValidLabelValue(t.value ?? '');
        if (errs.length) out.push(fieldInvalid(child(p, 'operator'), t.value ?? '', errs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value)
          out.push(fieldInvalid(child(p, 'operator'), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        out.push(fieldNotSupported(child(p, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect) notSupported(out, child(p, 'effect'), t.effect, TAINT_EFFECTS);
  });
}

function validateNodeSelectorTerm(out: Causes, term: Any, path: string): void {
  for (const which of ['matchExpressions', 'matchFields']) {
    (term?.[which] ?? []).forEach((r: Any, i: number) => {
      const p = idx(child(path, which), i);
      if (!r.key) out.push(fieldRequired(child(p, 'key'), ''));
      else if (which === 'matchExpressions')
        for (const m of isQualifiedName(r.key)) out.push(fieldInvalid(child(p, 'key'), r.key, m));
      const vals: string[] = r.values ?? [];
      switch (r.operator) {
        case 'In':
        case 'NotIn':
          if (vals.length === 0)
            out.push(
              fieldRequired(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"),
            );
          break;
        case 'Exists':
        case 'DoesNotExist':
          if (vals.length > 0)
            out.push(
              fieldForbidden(
                child(p, 'values'),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
              ),
            );
          break;
        case 'Gt':
        case 'Lt':
          if (vals.length !== 1)
            out.push(
              fieldRequired(
                child(p, 'values'),
                "must be specified single value when `operator` is 'Lt' or 'Gt'",
              ),
            );
          break;
        default:
          out.push(fieldInvalid(child(p, 'operator'), r.operator, 'not a valid selector operator'));
      }
    });
  }
}

function validateLabelSelectorField(out: Causes, ls: LabelSelector | undefined, path: string): void {
  if (!ls) return;
  out.push(...validateLabels(ls.matchLabels, child(path, 'matchLabels')));
  (ls.matchExpressions ?? []).forEach((e, i) => {
    const p = idx(child(path, 'matchExpressions'), i);
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (!e.values?.length)
          out.push(fieldRequired(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (e.values?.length)
          out.push(
            fieldForbidden(
              child(p, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        break;
      default:
        out.push(fieldInvalid(child(p, 'operator'), e.operator, 'not a valid selector operator'));
    }
    for (const m of isQualifiedName(e.key ?? '')) out.push(fieldInvalid(child(p, 'key'), e.key, m));
  });
}

function validateAffinity(out: Causes, a: Any, path: string): void {
  if (!a) return;
  const na = a.nodeAffinity;
  if (na) {
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
      const p = child(path, 'nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution');
      if (!req.nodeSelectorTerms?.length)
        out.push(fieldRequired(child(p, 'nodeSelectorTerms'), 'must have at least one node selector term'));
      (req.nodeSelectorTerms ?? []).forEach((t: Any, i: number) =>
        validateNodeSelectorTerm(out, t, idx(child(p, 'nodeSelectorTerms'), i)),
      );
    }
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t: Any, i: number) => {
      const p = idx(child(path, 'nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution'), i);
      if (!(t.weight >= 1 && t.weight <= 100))
        out.push(fieldInvalid(child(p, 'weight'), t.weight, 'must be in the range 1-100'));
      validateNodeSelectorTerm(out, t.preference, child(p, 'preference'));
    });
  }
  for (const which of ['podAffinity', 'podAntiAffinity']) {
    const pa = a[which];
    if (!pa) continue;
    (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t: Any, i: number) => {
      const p = idx(child(path, `${which}.requiredDuringSchedulingIgnoredDuringExecution`), i);
      if (!t.topologyKey) out.push(fieldRequired(child(p, 'topologyKey'), 'can not be empty'));
      else
        for (const m of isQualifiedName(t.topologyKey))
          out.push(fieldInvalid(child(p, 'topologyKey'), t.topologyKey, m));
      validateLabelSelectorField(out, t.labelSelector, child(p, 'labelSelector'));
    });
    (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t: Any, i: number) => {
      const p = idx(child(path, `${which}.preferredDuringSchedulingIgnoredDuringExecution`), i);
      if (!(t.weight >= 1 && t.weight <= 100))
        out.push(fieldInvalid(child(p, 'weight'), t.weight, 'must be in the range 1-100'));
      const term = t.podAffinityTerm ?? {};
      if (!term.topologyKey)
        out.push(fieldRequired(child(p, 'podAffinityTerm.topologyKey'), 'can not be empty'));
      validateLabelSelectorField(out, term.labelSelector, child(p, 'podAffinityTerm.labelSelector'));
    });
  }
}

/** ValidatePodSpec. path is "spec" for pods and "spec.template.spec" for workloads. */
export function validatePodSpec(spec: PodSpec | undefined, path: string): Causes {
  const out: Causes = [];
  if (!spec) return [fieldRequired(path, '')];
  const volumes = validateVolumes(out, spec.volumes, child(path, 'volumes'));
  const names = new Set<string>();
  if (!spec.containers || spec.containers.length === 0)
    out.push(fieldRequired(child(path, 'containers'), ''));
  (spec.initContainers ?? []).forEach((c, i) =>
    validateContainer(out, c, idx(child(path, 'initContainers'), i), volumes, names, 'initContainers'),
  );
  (spec.containers ?? []).forEach((c, i) =>
    validateContainer(out, c, idx(child(path, 'containers'), i), volumes, names, 'containers'),
  );
  (spec.ephemeralContainers ?? []).forEach((c, i) =>
    validateContainer(
      out,
      c,
      idx(child(path, 'ephemeralContainers'), i),
      volumes,
      names,
      'ephemeralContainers',
    ),
  );
  notSupported(out, child(path, 'restartPolicy'), spec.restartPolicy, RESTART_POLICIES, true);
  notSupported(out, child(path, 'dnsPolicy'), spec.dnsPolicy, DNS_POLICIES, true);
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig) {
    out.push(fieldRequired(child(path, 'dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  if (spec.dnsPolicy === 'None' && spec.dnsConfig && !spec.dnsConfig.nameservers?.length) {
    out.push(
      fieldRequired(
        child(path, 'dnsConfig.nameservers'),
        'must provide at least one DNS nameserver when `dnsPolicy` is None',
      ),
    );
  }
  (spec.dnsConfig?.nameservers ?? []).forEach((ns, i) => {
    for (const m of isValidIP(ns))
      out.push(fieldInvalid(idx(child(path, 'dnsConfig.nameservers'), i), ns, m));
  });
  nonNegative(out, child(path, 'terminationGracePeriodSeconds'), spec.terminationGracePeriodSeconds);
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    if (!(spec.activeDeadlineSeconds >= 1 && spec.activeDeadlineSeconds <= 2147483647)) {
      out.push(
        fieldInvalid(
          child(path, 'activeDeadlineSeconds'),
          spec.activeDeadlineSeconds,
          'must be between 1 and 2147483647, inclusive',
        ),
      );
    }
  }
  out.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  if (spec.serviceAccountName) {
    for (const m of isDNS1123Subdomain(spec.serviceAccountName))
      out.push(fieldInvalid(child(path, 'serviceAccountName'), spec.serviceAccountName, m));
  }
  if (spec.nodeName)
    for (const m of isDNS1123Subdomain(spec.nodeName))
      out.push(fieldInvalid(child(path, 'nodeName'), spec.nodeName, m));
  if (spec.hostname)
    for (const m of isDNS1123Label(spec.hostname))
      out.push(fieldInvalid(child(path, 'hostname'), spec.hostname, m));
  if (spec.subdomain)
    for (const m of isDNS1123Label(spec.subdomain))
      out.push(fieldInvalid(child(path, 'subdomain'), spec.subdomain, m));
  if (spec.priorityClassName) {
    for (const m of isDNS1123Subdomain(spec.priorityClassName))
      out.push(fieldInvalid(child(path, 'priorityClassName'), spec.priorityClassName, m));
  }
  notSupported(out, child(path, 'preemptionPolicy'), spec.preemptionPolicy, [
    'Never',
    'PreemptLowerPriority',
  ]);
  validateTolerations(out, spec.tolerations, child(path, 'tolerations'));
  validateAffinity(out, spec.affinity, child(path, 'affinity'));
  const tscs = spec.topologySpreadConstraints ?? [];
  tscs.forEach((c, i) => {
    const p = idx(child(path, 'topologySpreadConstraints'), i);
    if (!(c.maxSkew > 0)) out.push(fieldInvalid(child(p, 'maxSkew'), c.maxSkew, 'must be greater than zero'));
    if (!c.topologyKey) out.push(fieldRequired(child(p, 'topologyKey'), 'can not be empty'));
    else
      for (const m of isQualifiedName(c.topologyKey))
        out.push(fieldInvalid(child(p, 'topologyKey'), c.topologyKey, m));
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(c.whenUnsatisfiable)) {
      out.push(
        fieldNotSupported(child(p, 'whenUnsatisfiable'), c.whenUnsatisfiable ?? '', [
          'DoNotSchedule',
          'ScheduleAnyway',
        ]),
      );
    }
    if (
      tscs
        .slice(i + 1)
        .some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable)
    ) {
      out.push(
        fieldDuplicate(
          child(p, '{topologyKey, whenUnsatisfiable}'),
          `{${c.topologyKey}, ${c.whenUnsatisfiable}}`,
        ),
      );
    }
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (c.minDomains <= 0)
        out.push(fieldInvalid(child(p, 'minDomains'), c.minDomains, 'must be greater than zero'));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        out.push(
          fieldInvalid(
            child(p, 'minDomains'),
            c.minDomains,
            `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`,
          ),
        );
      }
    }
    validateLabelSelectorField(out, c.labelSelector, child(p, 'labelSelector'));
  });
  (spec.hostAliases ?? []).forEach((h, i) => {
    for (const m of isValidIP(h.ip ?? ''))
      out.push(fieldInvalid(child(idx(child(path, 'hostAliases'), i), 'ip'), h.ip, m));
  });
  if (spec.hostNetwork) {
    for (const which of ['containers', 'initContainers'] as const) {
      (spec[which] ?? []).forEach((c, ci) =>
        (c.ports ?? []).forEach((p, pi) => {
          if (p.hostPort && p.hostPort !== p.containerPort) {
            out.push(
              fieldInvalid(
                child(idx(child(idx(child(path, which), ci), 'ports'), pi), 'containerPort'),
                p.containerPort,
                'must match `hostPort` when `hostNetwork` is true',
              ),
            );
          }
        }),
      );
    }
  }
  return out;
}

const POD_UPDATABLE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function changedPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isEqual(a, b)) return;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys)
      changedPaths((a as Any)[k], (b as Any)[k], Array.isArray(a) ? `${path}[${k}]` : child(path, k), out);
    return;
  }
  out.push(path);
}

function validatePodSpecUpdate(
  spec: PodSpec | undefined,
  old: PodSpec | undefined,
  deleting: boolean,
): Causes {
  if (!spec || !old) return [];
  const out: Causes = [];
  // Copy the mutable fields of new onto old, then everything else must be equal.
  const mutated: Any = JSON.parse(JSON.stringify(old));
  const cs = spec.containers ?? [];
  if ((mutated.containers ?? []).length === cs.length)
    cs.forEach((c, i) => (mutated.containers[i].image = c.image));
  const ics = spec.initContainers ?? [];
  if ((mutated.initContainers ?? []).length === ics.length)
    ics.forEach((c, i) => (mutated.initContainers[i].image = c.image));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const o = old.activeDeadlineSeconds;
    if (o === undefined || o === null || spec.activeDeadlineSeconds <= o)
      mutated.activeDeadlineSeconds = spec.activeDeadlineSeconds;
  }
  const oldTol = old.tolerations ?? [];
  const newTol = spec.tolerations ?? [];
  const keepsOld = oldTol.every((t) =>
    newTol.some((n) =>
      isEqual({ ...n, tolerationSeconds: undefined }, { ...t, tolerationSeconds: undefined }),
    ),
  );
  if (keepsOld) mutated.tolerations = spec.tolerations;
  if ((old.terminationGracePeriodSeconds ?? 0) < 0 && spec.terminationGracePeriodSeconds === 1)
    mutated.terminationGracePeriodSeconds = 1;
  // Graceful deletion may shorten the grace period (registry BeforeDelete writes it into the spec).
  if (deleting && (spec.terminationGracePeriodSeconds ?? 0) <= (old.terminationGracePeriodSeconds ?? 30)) {
    mutated.terminationGracePeriodSeconds = spec.terminationGracePeriodSeconds;
  }
  // Binding (pods/binding) sets nodeName once; the apiserver runs this validation for it too.
  if (!old.nodeName && spec.nodeName) mutated.nodeName = spec.nodeName;
  // Scheduling gates may only be removed.
  const oldGates = (old.schedulingGates ?? []).map((g) => g.name);
  if ((spec.schedulingGates ?? []).every((g) => oldGates.includes(g.name)))
    mutated.schedulingGates = spec.schedulingGates;
  if (!isEqual(mutated, spec)) {
    const diff: string[] = [];
    changedPaths(mutated, spec, 'spec', diff);
    out.push(fieldForbidden('spec', `${POD_UPDATABLE}\n  changed: ${diff.slice(0, 10).join(', ')}`));
  }
  for (const c of ['containers', 'initContainers'] as const) {
    (spec[c] ?? []).forEach((x, i) => {
      if (!x.image) out.push(fieldRequired(`spec.${c}[${i}].image`, ''));
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Workloads

function validateTemplate(
  out: Causes,
  t: PodTemplateSpec | undefined,
  selector: LabelSelector | undefined,
  path: string,
  restart: string[],
  owner = 'ReplicaSet',
): void {
  if (!t) {
    out.push(fieldRequired(path, ''));
    return;
  }
  const labels = t.metadata?.labels ?? {};
  out.push(...validateLabels(t.metadata?.labels, child(path, 'metadata.labels')));
  out.push(...validateAnnotations(t.metadata?.annotations, child(path, 'metadata.annotations')));
  if (selector) {
    try {
      const sel = labelSelectorFromStructured(selector);
      if (!sel.empty() && !sel.matches(labels)) {
        out.push(
          fieldInvalid(child(path, 'metadata.labels'), labels, '`selector` does not match template `labels`'),
        );
      }
    } catch {
      // reported by the selector validation
    }
  }
  out.push(...validatePodSpec(t.spec, child(path, 'spec')));
  const rp = t.spec?.restartPolicy;
  if (rp && !restart.includes(rp))
    out.push(fieldNotSupported(child(path, 'spec.restartPolicy'), rp, restart));
  const ads = t.spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && restart.includes('Always')) {
    out.push(
      fieldForbidden(
        child(path, 'spec.activeDeadlineSeconds'),
        `activeDeadlineSeconds in ${owner} is not Supported`,
      ),
    );
  }
}

function validateSelector(out: Causes, sel: LabelSelector | undefined, path: string, what: string): void {
  if (!sel) {
    out.push(fieldRequired(path, ''));
    return;
  }
  validateLabelSelectorField(out, sel, path);
  if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) {
    out.push(fieldInvalid(path, sel, `empty selector is invalid for ${what}`));
  }
}

const PERCENT_RE = /^[0-9]+%$/;

/** ValidatePositiveIntOrPercent (+ IsNotMoreThan100Percent when max100); returns the int or percent value. */
function validateIntOrPercent(
  out: Causes,
  v: number | string | undefined,
  path: string,
  max100 = false,
): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    nonNegative(out, path, v);
    return v;
  }
  if (!PERCENT_RE.test(v)) {
    out.push(
      fieldInvalid(
        path,
        v,
        regexError(
          "a valid percent string must be a numeric string followed by an ending '%'",
          '[0-9]+%',
          '1%',
          '93%',
        ),
      ),
    );
    return undefined;
  }
  const pct = Number(v.slice(0, -1));
  if (max100 && pct > 100) out.push(fieldInvalid(path, v, 'must not be greater than 100%'));
  return pct;
}

function validateDeployment(o: Any, old: Any): Causes {
  const out: Causes = [];
  const s = o.spec;
  if (!s) return [fieldRequired('spec', '')];
  nonNegative(out, 'spec.replicas', s.replicas);
  validateSelector(out, s.selector, 'spec.selector', 'deployment');
  validateTemplate(out, s.template, s.selector, 'spec.template', ['Always']);
  const st = s.strategy ?? {};
  if (st.type !== undefined && st.type !== 'Recreate' && st.type !== 'RollingUpdate') {
    out.push(fieldNotSupported('spec.strategy', st, ['Recreate', 'RollingUpdate']));
  }
  if (st.type === 'Recreate' && st.rollingUpdate) {
    out.push(
      fieldForbidden(
        'spec.strategy.rollingUpdate',
        "may not be specified when strategy `type` is 'Recreate'",
      ),
    );
  }
  if (st.type === 'RollingUpdate' && st.rollingUpdate) {
    const mu = validateIntOrPercent(
      out,
      st.rollingUpdate.maxUnavailable,
      'spec.strategy.rollingUpdate.maxUnavailable',
      true,
    );
    const ms = validateIntOrPercent(out, st.rollingUpdate.maxSurge, 'spec.strategy.rollingUpdate.maxSurge');
    if (mu === 0 && ms === 0) {
      out.push(
        fieldInvalid(
          'spec.strategy.rollingUpdate.maxUnavailable',
          st.rollingUpdate.maxUnavailable,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    }
  }
  nonNegative(out, 'spec.minReadySeconds', s.minReadySeconds);
  nonNegative(out, 'spec.revisionHistoryLimit', s.revisionHistoryLimit);
  if (s.progressDeadlineSeconds !== undefined) {
    nonNegative(out, 'spec.progressDeadlineSeconds', s.progressDeadlineSeconds);
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
      out.push(
        fieldInvalid(
          'spec.progressDeadlineSeconds',
          s.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  if (old?.spec) immutable(out, 'spec.selector', s.selector, old.spec.selector);
  return out;
}

function validateReplicaSet(o: Any, old: Any): Causes {
  const out: Causes = [];
  const s = o.spec;
  if (!s) return [fieldRequired('spec', '')];
  nonNegative(out, 'spec.replicas', s.replicas);
  nonNegative(out, 'spec.minReadySeconds', s.minReadySeconds);
  validateSelector(out, s.selector, 'spec.selector', 'deployment');
  if (s.template || (s.replicas ?? 1) > 0)
    validateTemplate(out, s.template, s.selector, 'spec.template', ['Always']);
  if (old?.spec) immutable(out, 'spec.selector', s.selector, old.spec.selector);
  return out;
}

function validateStatefulSet(o: Any, old: Any): Causes {
  const out: Causes = [];
  const s = o.spec;
  if (!s) return [fieldRequired('spec', '')];
  // ValidateStatefulSetSpec (apps validation): policies are Invalid "must be 'A' or 'B'", not NotSupported.
  if (!s.podManagementPolicy) out.push(fieldRequired('spec.podManagementPolicy', ''));
  else if (s.podManagementPolicy !== 'OrderedReady' && s.podManagementPolicy !== 'Parallel') {
    out.push(
      fieldInvalid('spec.podManagementPolicy', s.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"),
    );
  }
  const us = s.updateStrategy ?? {};
  if (!us.type) out.push(fieldRequired('spec.updateStrategy', ''));
  else if (us.type === 'OnDelete') {
    if (us.rollingUpdate) {
      out.push(
        fieldInvalid(
          'spec.updateStrategy.rollingUpdate',
          us.rollingUpdate,
          "only allowed for updateStrategy 'RollingUpdate'",
        ),
      );
    }
  } else if (us.type === 'RollingUpdate') {
    const ru = us.rollingUpdate;
    if (ru) {
      nonNegative(out, 'spec.updateStrategy.rollingUpdate.partition', ru.partition);
      if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
        const p = 'spec.updateStrategy.rollingUpdate.maxUnavailable';
        const v = validateIntOrPercent(out, ru.maxUnavailable, p, true);
        if (v === 0) out.push(fieldInvalid(p, ru.maxUnavailable, 'cannot be 0'));
      }
    }
  } else {
    out.push(fieldInvalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const ret = s.persistentVolumeClaimRetentionPolicy;
  if (ret) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      if (ret[f] !== 'Retain' && ret[f] !== 'Delete') {
        out.push(
          fieldNotSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, ret[f] ?? '', [
            'Retain',
            'Delete',
          ]),
        );
      }
    }
  }
  nonNegative(out, 'spec.replicas', s.replicas);
  nonNegative(out, 'spec.minReadySeconds', s.minReadySeconds);
  nonNegative(out, 'spec.ordinals.start', s.ordinals?.start);
  validateSelector(out, s.selector, 'spec.selector', 'statefulset');
  // Upstream validates only the template's labels and annotations for StatefulSets (its pod spec
  // may mount volumeClaimTemplates); the pods themselves are validated when created.
  const t = s.template;
  if (!t) out.push(fieldRequired('spec.template', ''));
  else {
    const labels = t.metadata?.labels ?? {};
    try {
      const sel = labelSelectorFromStructured(s.selector);
      if (s.selector && !sel.empty() && !sel.matches(labels)) {
        out.push(
          fieldInvalid(
            'spec.template.metadata.labels',
            labels,
            '`selector` does not match template `labels`',
          ),
        );
      }
    } catch {
      // reported by the selector validation
    }
    out.push(...validateLabels(t.metadata?.labels, 'spec.template.labels'));
    out.push(...validateAnnotations(t.metadata?.annotations, 'spec.template.annotations'));
    const rp = t.spec?.restartPolicy;
    if (rp !== 'Always')
      out.push(fieldNotSupported('spec.template.spec.restartPolicy', rp ?? '', ['Always']));
    const ads = t.spec?.activeDeadlineSeconds;
    if (ads !== undefined && ads !== null) {
      out.push(
        fieldForbidden(
          'spec.template.spec.activeDeadlineSeconds',
          'activeDeadlineSeconds in StatefulSet is not Supported',
        ),
      );
    }
  }
  nonNegative(out, 'spec.revisionHistoryLimit', s.revisionHistoryLimit);
  (s.volumeClaimTemplates ?? []).forEach((t: Any, i: number) => {
    const p = `spec.volumeClaimTemplates[${i}]`;
    if (!t?.metadata?.name) out.push(fieldRequired(`${p}.metadata.name`, 'name or generateName is required'));
    out.push(...validatePersistentVolumeClaimSpec(t?.spec, `${p}.spec`));
  });
  if (old?.spec) {
    const mutable = {
      replicas: 0,
      ordinals: 0,
      template: 0,
      updateStrategy: 0,
      revisionHistoryLimit: 0,
      persistentVolumeClaimRetentionPolicy: 0,
      minReadySeconds: 0,
    };
    if (!isEqual({ ...s, ...mutable }, { ...old.spec, ...mutable })) {
      out.push(
        fieldForbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return out;
}

function validateDaemonSet(o: Any, old: Any): Causes {
  const out: Causes = [];
  const s = o.spec;
  if (!s) return [fieldRequired('spec', '')];
  validateSelector(out, s.selector, 'spec.selector', 'daemonset');
  validateTemplate(out, s.template, s.selector, 'spec.template', ['Always'], 'DaemonSet');
  const us = s.updateStrategy ?? {};
  if (us.type === 'RollingUpdate') {
    const ru = us.rollingUpdate;
    if (!ru) out.push(fieldRequired('spec.updateStrategy.rollingUpdate', ''));
    else {
      // ValidateRollingUpdateDaemonSet: exactly one of maxUnavailable / maxSurge is non-zero.
      const base = 'spec.updateStrategy.rollingUpdate';
      const mu = validateIntOrPercent(out, ru.maxUnavailable, `${base}.maxUnavailable`, true) ?? 0;
      const ms = validateIntOrPercent(out, ru.maxSurge, `${base}.maxSurge`, true) ?? 0;
      if (mu !== 0 && ms !== 0)
        out.push(
          fieldInvalid(`${base}.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'),
        );
      if (mu === 0 && ms === 0)
        out.push(fieldRequired(`${base}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
    }
  } else if (us.type !== 'OnDelete') {
    out.push(fieldNotSupported('spec.updateStrategy', us, ['RollingUpdate', 'OnDelete']));
  }
  nonNegative(out, 'spec.minReadySeconds', s.minReadySeconds);
  nonNegative(out, 'spec.revisionHistoryLimit', s.revisionHistoryLimit);
  if (old?.spec) immutable(out, 'spec.selector', s.selector, old.spec.selector);
  return out;
}

function validateJobSpec(out: Causes, s: Any, path: string): void {
  nonNegative(out, child(path, 'parallelism'), s.parallelism);
  nonNegative(out, child(path, 'completions'), s.completions);
  nonNegative(out, child(path, 'backoffLimit'), s.backoffLimit);
  nonNegative(out, child(path, 'ttlSecondsAfterFinished'), s.ttlSecondsAfterFinished);
  nonNegative(out, child(path, 'activeDeadlineSeconds'), s.activeDeadlineSeconds);
  notSupported(out, child(path, 'completionMode'), s.completionMode, ['Indexed', 'NonIndexed']);
  if (s.completionMode === 'Indexed' && (s.completions === undefined || s.completions === null)) {
    out.push(fieldRequired(child(path, 'completions'), 'when completion mode is Indexed'));
  }
  notSupported(out, child(path, 'podReplacementPolicy'), s.podReplacementPolicy, [
    'Failed',
    'TerminatingOrFailed',
  ]);
  if (s.selector) validateLabelSelectorField(out, s.selector, child(path, 'selector'));
  else if (s.manualSelector === true) out.push(fieldRequired(child(path, 'selector'), ''));
  validateTemplate(out, s.template, s.selector, child(path, 'template'), ['Never', 'OnFailure']);
  if (s.template?.spec && !s.template.spec.restartPolicy) {
    out.push(fieldRequired(child(path, 'template.spec.restartPolicy'), ''));
  }
}

function validateJob(o: Any, old: Any): Causes {
  const out: Causes = [];
  if (!o.spec) return [fieldRequired('spec', '')];
  validateJobSpec(out, o.spec, 'spec');
  if (old?.spec) {
    immutable(out, 'spec.selector', o.spec.selector, old.spec.selector);
    if (o.spec.completionMode !== 'Indexed')
      immutable(out, 'spec.completions', o.spec.completions, old.spec.completions);
    immutable(out, 'spec.completionMode', o.spec.completionMode, old.spec.completionMode);
    if (!old.spec.suspend) immutable(out, 'spec.template', o.spec.template, old.spec.template);
  }
  return out;
}

const CRON_FIELD =
  /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;

function validateCronJob(o: Any): Causes {
  const out: Causes = [];
  const s = o.spec;
  if (!s) return [fieldRequired('spec', '')];
  if (!s.schedule) out.push(fieldRequired('spec.schedule', ''));
  else {
    const sched = String(s.schedule)
      .replace(/^(TZ|CRON_TZ)=\S+\s+/, '')
      .trim();
    const fields = sched.split(/\s+/);
    const ok = sched.startsWith('@')
      ? /^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every\s.+)$/.test(sched)
      : fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
    if (!ok)
      out.push(
        fieldInvalid('spec.schedule', s.schedule, `unparseable schedule: ${JSON.stringify(s.schedule)}`),
      );
    if (/^(TZ|CRON_TZ)=/.test(String(s.schedule))) {
      out.push(
        fieldInvalid(
          'spec.schedule',
          s.schedule,
          'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
        ),
      );
    }
  }
  notSupported(out, 'spec.concurrencyPolicy', s.concurrencyPolicy, ['Allow', 'Forbid', 'Replace'], true);
  nonNegative(out, 'spec.startingDeadlineSeconds', s.startingDeadlineSeconds);
  nonNegative(out, 'spec.successfulJobsHistoryLimit', s.successfulJobsHistoryLimit);
  nonNegative(out, 'spec.failedJobsHistoryLimit', s.failedJobsHistoryLimit);
  if (!s.jobTemplate) out.push(fieldRequired('spec.jobTemplate', ''));
  else if (!s.jobTemplate.spec) out.push(fieldRequired('spec.jobTemplate.spec', ''));
  else {
    const js = s.jobTemplate.spec;
    nonNegative(out, 'spec.jobTemplate.spec.parallelism', js.parallelism);
    nonNegative(out, 'spec.jobTemplate.spec.completions', js.completions);
    nonNegative(out, 'spec.jobTemplate.spec.backoffLimit', js.backoffLimit);
    validateTemplate(out, js.template, js.selector, 'spec.jobTemplate.spec.template', ['Never', 'OnFailure']);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Services and networking

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function validateService(o: Any, old: Any): Causes {
  const out: Causes = [];
  const s = o.spec;
  if (!s) return [fieldRequired('spec', '')];
  const type = s.type ?? 'ClusterIP';
  notSupported(out, 'spec.type', s.type, SERVICE_TYPES);
  notSupported(out, 'spec.sessionAffinity', s.sessionAffinity, ['ClientIP', 'None']);
  const headless = s.clusterIP === 'None';
  const ports: Any[] = s.ports ?? [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') out.push(fieldRequired('spec.ports', ''));
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const pp = idx('spec.ports', i);
    if (ports.length > 1 && !p.name) out.push(fieldRequired(child(pp, 'name'), ''));
    if (p.name) {
      for (const m of isDNS1123Label(p.name)) out.push(fieldInvalid(child(pp, 'name'), p.name, m));
      if (names.has(p.name)) out.push(fieldDuplicate(child(pp, 'name'), p.name));
      names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) out.push(fieldInvalid(child(pp, 'port'), p.port, m));
    notSupported(out, child(pp, 'protocol'), p.protocol, PROTOCOLS, true);
    if (p.targetPort !== undefined)
      validatePortNumOrName(out, child(pp, 'targetPort'), p.targetPort, undefined);
    if (p.nodePort) {
      if (type === 'ClusterIP' || type === 'ExternalName') {
        out.push(fieldForbidden(child(pp, 'nodePort'), `may not be used when \`type\` is '${type}'`));
      } else
        for (const m of isValidPortNum(p.nodePort))
          out.push(fieldInvalid(child(pp, 'nodePort'), p.nodePort, m));
    }
    const k = `${p.port}/${p.protocol}`;
    if (keys.has(k)) out.push(fieldDuplicate(pp, { port: p.port, protocol: p.protocol }));
    keys.add(k);
  });
  if (type === 'ExternalName') {
    if (!s.externalName) out.push(fieldRequired('spec.externalName', ''));
    else
      for (const m of isDNS1123Subdomain(String(s.externalName).replace(/\.$/, '')))
        out.push(fieldInvalid('spec.externalName', s.externalName, m));
  }
  if (s.clusterIP && s.clusterIP !== 'None')
    for (const m of isValidIP(s.clusterIP)) out.push(fieldInvalid('spec.clusterIP', s.clusterIP, m));
  (s.externalIPs ?? []).forEach((ip: string, i: number) => {
    for (const m of isValidIP(ip)) out.push(fieldInvalid(idx('spec.externalIPs', i), ip, m));
  });
  out.push(...validateLabels(s.selector, 'spec.selector'));
  if (s.sessionAffinityConfig?.clientIP?.timeoutSeconds !== undefined) {
    const t = s.sessionAffinityConfig.clientIP.timeoutSeconds;
    if (!(t > 0 && t <= 86400))
      out.push(
        fieldInvalid(
          'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
          t,
          'must be greater than 0 and less than 86400',
        ),
      );
  }
  notSupported(out, 'spec.externalTrafficPolicy', s.externalTrafficPolicy, ['Cluster', 'Local']);
  notSupported(out, 'spec.internalTrafficPolicy', s.internalTrafficPolicy, ['Cluster', 'Local']);
  if (old?.spec) {
    const oc = old.spec.clusterIP;
    if (
      oc &&
      s.clusterIP &&
      s.clusterIP !== oc &&
      old.spec.type !== 'ExternalName' &&
      type !== 'ExternalName'
    ) {
      out.push(fieldInvalid('spec.clusterIP', s.clusterIP, 'field is immutable'));
    }
  }
  return out;
}

function validateEndpoints(o: Any): Causes {
  const out: Causes = [];
  (o.subsets ?? []).forEach((ss: Any, i: number) => {
    const p = idx('subsets', i);
    for (const which of ['addresses', 'notReadyAddresses']) {
      (ss[which] ?? []).forEach((a: Any, j: number) => {
        for (const m of isValidIP(a.ip ?? ''))
          out.push(fieldInvalid(child(idx(child(p, which), j), 'ip'), a.ip, m));
      });
    }
    (ss.ports ?? []).forEach((pt: Any, j: number) => {
      const pp = idx(child(p, 'ports'), j);
      for (const m of isValidPortNum(pt.port)) out.push(fieldInvalid(child(pp, 'port'), pt.port, m));
      notSupported(out, child(pp, 'protocol'), pt.protocol, PROTOCOLS, true);
    });
  });
  return out;
}

function validateEndpointSlice(o: Any, old: Any): Causes {
  const out: Causes = [];
  notSupported(out, 'addressType', o.addressType, ['FQDN', 'IPv4', 'IPv6'], true);
  (o.endpoints ?? []).forEach((e: Any, i: number) => {
    const p = idx('endpoints', i);
    const addrs: string[] = e.addresses ?? [];
    if (addrs.length === 0) out.push(fieldRequired(child(p, 'addresses'), 'must contain at least 1 address'));
    if (addrs.length > 100)
      out.push({
        reason: 'FieldValueTooMany',
        field: child(p, 'addresses'),
        message: `Too many: ${addrs.length}: must have at most 100 items`,
      });
    addrs.forEach((a, j) => {
      const ap = idx(child(p, 'addresses'), j);
      if (o.addressType === 'IPv4' && !/^\d+\.\d+\.\d+\.\d+$/.test(a))
        out.push(fieldInvalid(ap, a, 'must be a valid IPv4 address'));
      else if (o.addressType === 'IPv6' && !a.includes(':'))
        out.push(fieldInvalid(ap, a, 'must be a valid IPv6 address'));
      else if (o.addressType !== 'FQDN' && isValidIP(a).length)
        out.push(fieldInvalid(ap, a, isValidIP(a)[0]));
    });
    if (e.nodeName)
      for (const m of isDNS1123Subdomain(e.nodeName))
        out.push(fieldInvalid(child(p, 'nodeName'), e.nodeName, m));
    if (e.hostname)
      for (const m of isDNS1123Label(e.hostname)) out.push(fieldInvalid(child(p, 'hostname'), e.hostname, m));
  });
  (o.ports ?? []).forEach((pt: Any, i: number) => {
    const p = idx('ports', i);
    if (pt.port !== undefined && pt.port !== null && !(pt.port >= 0 && pt.port <= 65535)) {
      out.push(fieldInvalid(child(p, 'port'), pt.port, 'must be between 0 and 65535, inclusive'));
    }
    notSupported(out, child(p, 'protocol'), pt.protocol, PROTOCOLS);
    if (pt.name)
      for (const m of isDNS1123Label(pt.name)) out.push(fieldInvalid(child(p, 'name'), pt.name, m));
  });
  if (old) immutable(out, 'addressType', o.addressType, old.addressType);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Config, nodes, misc

const MAX_CONFIG_SIZE = 1024 * 1024;
const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

function validateDataKeys(
  out: Causes,
  data: Record<string, string> | undefined,
  field: string,
  other?: Record<string, string>,
): number {
  let size = 0;
  for (const [k, v] of Object.entries(data ?? {})) {
    for (const m of isConfigMapKey(k)) out.push(fieldInvalid(key(field, k), k, m));
    if (other && k in other)
      out.push(fieldInvalid(key(field, k), k, 'duplicate of key present in binaryData'));
    size += typeof v === 'string' ? v.length : 0;
  }
  return size;
}

function validateImmutableData(out: Causes, o: Any, old: Any, fields: string[]): void {
  if (!old || old.immutable !== true) return;
  if (o.immutable !== true)
    out.push(fieldForbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields)
    if (!isEqual(o[f], old[f])) out.push(fieldForbidden(f, 'field is immutable when `immutable` is set'));
}

function validateConfigMap(o: Any, old: Any): Causes {
  const out: Causes = [];
  const size =
    validateDataKeys(out, o.data, 'data', o.binaryData) + validateDataKeys(out, o.binaryData, 'binaryData');
  if (size > MAX_CONFIG_SIZE) out.push(fieldTooLong('', MAX_CONFIG_SIZE));
  validateImmutableData(out, o, old, ['data', 'binaryData']);
  return out;
}

function validateSecret(o: Any, old: Any): Causes {
  const out: Causes = [];
  let size = 0;
  for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) {
    for (const m of isConfigMapKey(k)) out.push(fieldInvalid(key('data', k), k, m));
    if (typeof v === 'string' && (!B64_RE.test(v) || v.length % 4 !== 0))
      out.push(fieldInvalid(key('data', k), '<secret contents redacted>', 'illegal base64 data'));
    size += typeof v === 'string' ? Math.floor((v.length * 3) / 4) : 0;
  }
  if (size > MAX_CONFIG_SIZE) out.push(fieldTooLong('data', MAX_CONFIG_SIZE));
  const data = o.data ?? {};
  switch (o.type) {
    case 'kubernetes.io/tls':
      for (const k of ['tls.crt', 'tls.key']) if (!(k in data)) out.push(fieldRequired(key('data', k), ''));
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!('.dockerconfigjson' in data)) out.push(fieldRequired(key('data', '.dockerconfigjson'), ''));
      break;
    case 'kubernetes.io/dockercfg':
      if (!('.dockercfg' in data)) out.push(fieldRequired(key('data', '.dockercfg'), ''));
      break;
    case 'kubernetes.io/service-account-token':
      if (!o.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        out.push(fieldRequired(key('metadata.annotations', 'kubernetes.io/service-account.name'), ''));
      }
      break;
    case 'kubernetes.io/basic-auth':
      if (!('username' in data) && !('password' in data))
        out.push(fieldRequired(key('data', 'username'), ''));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!('ssh-privatekey' in data)) out.push(fieldRequired(key('data', 'ssh-privatekey'), ''));
      break;
  }
  if (old) {
    immutable(out, 'type', o.type, old.type);
    validateImmutableData(out, o, old, ['data']);
  }
  return out;
}

function validateNode(o: Any, old: Any): Causes {
  const out: Causes = [];
  const s = o.spec ?? {};
  const seen = new Set<string>();
  (s.taints ?? []).forEach((t: Any, i: number) => {
    const p = idx('spec.taints', i);
    if (!t.key) out.push(fieldRequired(child(p, 'key'), ''));
    else for (const m of isQualifiedName(t.key)) out.push(fieldInvalid(child(p, 'key'), t.key, m));
    if (t.value)
      for (const m of isValidLabelValue(t.value)) out.push(fieldInvalid(child(p, 'value'), t.value, m));
    notSupported(out, child(p, 'effect'), t.effect, TAINT_EFFECTS, true);
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) out.push(fieldDuplicate(p, `taints must be unique by key and effect pair`));
    seen.add(k);
  });
  for (const [i, cidr] of (s.podCIDRs ?? (s.podCIDR ? [s.podCIDR] : [])).entries()) {
    const [ip, bits] = String(cidr).split('/');
    if (isValidIP(ip).length || !/^[0-9]+$/.test(bits ?? '')) {
      out.push(
        fieldInvalid(
          s.podCIDRs ? idx('spec.podCIDRs', i) : 'spec.podCIDR',
          cidr,
          'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
        ),
      );
    }
  }
  if (old?.spec) {
    const oc = old.spec.podCIDRs ?? [];
    if (oc.length && !isEqual(s.podCIDRs ?? [], oc)) {
      out.push(
        fieldForbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'),
      );
    }
  }
  return out;
}

function validateEvent(o: Any): Causes {
  const out: Causes = [];
  const io = o.involvedObject;
  if (!io) out.push(fieldRequired('involvedObject', ''));
  else if (io.namespace && o.metadata?.namespace && io.namespace !== o.metadata.namespace) {
    out.push(fieldInvalid('involvedObject.namespace', io.namespace, 'does not match event.namespace'));
  }
  nonNegative(out, 'count', o.count);
  return out;
}

function validateLease(o: Any): Causes {
  const out: Causes = [];
  const s = o.spec ?? {};
  if (
    s.leaseDurationSeconds !== undefined &&
    s.leaseDurationSeconds !== null &&
    s.leaseDurationSeconds <= 0
  ) {
    out.push(fieldInvalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  }
  nonNegative(out, 'spec.leaseTransitions', s.leaseTransitions);
  return out;
}

function validateBinding(o: Any): Causes {
  const out: Causes = [];
  if (!o.target?.name) out.push(fieldRequired('target.name', ''));
  if (o.target?.kind && o.target.kind !== 'Node')
    out.push(fieldNotSupported('target.kind', o.target.kind, ['Node', '<empty>']));
  return out;
}

function validateControllerRevision(o: Any, old: Any): Causes {
  const out: Causes = [];
  if (o.data === undefined || o.data === null) out.push(fieldRequired('data', 'data is mandatory'));
  nonNegative(out, 'revision', o.revision);
  if (old) immutable(out, 'data', o.data, old.data);
  return out;
}

function validateScale(o: Any): Causes {
  const out: Causes = [];
  nonNegative(out, 'spec.replicas', o.spec?.replicas);
  return out;
}

function validatePod(o: Any, old: Any): Causes {
  const out = validatePodSpec(o.spec, 'spec');
  if (old) out.push(...validatePodSpecUpdate(o.spec, old.spec, !!o.metadata?.deletionTimestamp));
  return out;
}

type KindValidator = (o: Any, old: Any) => Causes;

const VALIDATORS: Record<string, KindValidator> = {
  'v1/Pod': validatePod,
  'v1/Service': validateService,
  'v1/Endpoints': validateEndpoints,
  'v1/ConfigMap': validateConfigMap,
  'v1/Secret': validateSecret,
  'v1/Node': validateNode,
  'v1/Event': validateEvent,
  'v1/Binding': validateBinding,
  'apps/v1/Deployment': validateDeployment,
  'apps/v1/ReplicaSet': validateReplicaSet,
  'apps/v1/StatefulSet': validateStatefulSet,
  'apps/v1/DaemonSet': validateDaemonSet,
  'apps/v1/ControllerRevision': validateControllerRevision,
  'batch/v1/Job': validateJob,
  'batch/v1/CronJob': (o) => validateCronJob(o),
  'coordination.k8s.io/v1/Lease': (o) => validateLease(o),
  'discovery.k8s.io/v1/EndpointSlice': validateEndpointSlice,
  'autoscaling/v1/Scale': (o) => validateScale(o),
  ...rbacValidators,
  ...policyValidators,
  ...networkingValidators,
  ...quotaValidators,
  ...autoscalingValidators,
  'v1/PersistentVolume': validatePersistentVolume,
  'v1/PersistentVolumeClaim': validatePersistentVolumeClaim,
  'storage.k8s.io/v1/StorageClass': validateStorageClass,
};

/**
 * Validates obj (and, when old is given, the update from old) per kind. Objects with type errors
 * get exactly those errors (checkSchema's invalid causes) and nothing else. Otherwise: metadata (name, namespace
 * per scope, labels, annotations, owner references, immutable identity) and the kind's spec rules,
 * including immutable fields on update (pod spec except images/activeDeadlineSeconds/toleration
 * additions, workload selectors, Service clusterIP, Secret type, ...). Deviation: a pod update may
 * set spec.nodeName when it was empty (the apiserver validates pods/binding through this path) and
 * may lower terminationGracePeriodSeconds once deletionTimestamp is set. Causes carry upstream's
 * reason, field path and message, e.g.
 * `{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' }`.
 * Unknown kinds get metadata validation only (their scope is unknown, so namespace is not checked).
 */
export function validateObject(obj: KubeObject, old?: KubeObject): StatusCause[] {
  if (!obj || typeof obj !== 'object') return [fieldInvalid('', obj, 'must be an object')];
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const info = resourceForKind(apiVersion, kind);
  // Type errors first: the rules below assume well-typed objects (upstream rejects them at decode).
  const typeErrs = checkSchema(obj).invalid;
  if (typeErrs.length) return typeErrs;
  if (old && checkSchema(old).invalid.length) old = undefined;
  const out: Causes = [];
  const skipMeta = kind === 'Binding' || kind === 'Scale' || kind === 'Eviction';
  if (!skipMeta) {
    out.push(...validateObjectMeta(obj.metadata, kind, info?.namespaced, old?.metadata));
  }
  const v = VALIDATORS[`${apiVersion}/${kind}`];
  if (v) out.push(...v(obj, old));
  return out;
}
