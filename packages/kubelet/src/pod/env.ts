/**
 * Container environment: env/envFrom resolution (value, fieldRef, resourceFieldRef,
 * configMapKeyRef, secretKeyRef, configMapRef, secretRef) and $(VAR) expansion, following
 * kubelet_pods.go makeEnvironmentVariables and third_party/forked/golang/expansion.
 */
import type {
  ConfigMap,
  Container,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  Secret,
} from '@keelson/api';
import { PodConfigError } from '../errors';
import { parseQuantity } from '../util/quantity';

/** Fetches ConfigMaps and Secrets of the pod's namespace; resolves undefined when absent. */
export interface ObjectSource {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  /** A PersistentVolumeClaim of the namespace (persistentVolumeClaim volumes); absent: unsupported. */
  persistentVolumeClaim?(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  /** A PersistentVolume (cluster-scoped) by name. */
  persistentVolume?(name: string): Promise<PersistentVolume | undefined>;
}

/** Node facts env resolution needs: the node's allocatable cpu (millicores) and memory (bytes). */
export interface NodeAllocatable {
  milliCpu: number;
  memoryBytes: number;
  ephemeralStorageBytes?: number;
}

/**
 * Expands $(VAR) references in `input` from `lookup`: "$$" is an escaped "$", an undefined
 * variable or an unclosed "$(" is left as written (Kubernetes expansion semantics).
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const v = lookup(name);
      out += v === undefined ? `$(${name})` : v;
      i = close + 1;
      continue;
    }
    out += ch + next;
    i += 2;
  }
  return out;
}

/** A C identifier-ish env name check (validation.IsEnvVarName: [-._a-zA-Z][-._a-zA-Z0-9]*). */
export function isEnvVarName(name: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name);
}

/** Resolves a downward-API fieldPath of the pod (fieldRef); throws on unsupported paths. */
export function podFieldValue(pod: Pod, fieldPath: string, hostIp: string, podIps: string[]): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return (pod.metadata[m[1] as 'labels' | 'annotations'] ?? {})[m[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return hostIp;
    case 'status.hostIPs':
      return hostIp;
    case 'status.podIP':
      return podIps[0] ?? '';
    case 'status.podIPs':
      return podIps.join(',');
    default:
      throw new PodConfigError('CreateContainerConfigError', `unsupported fieldPath: ${fieldPath}`);
  }
}

/** Downward API map format: sorted `key="value"` lines (fieldpath.FormatMap). */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/**
 * resourceFieldRef value: limits/requests of cpu (ceil(value/divisor)), memory and
 * ephemeral-storage; an unset limit falls back to node allocatable (as upstream's
 * MergeContainerResourceLimits).
 */
export function resourceFieldValue(
  pod: Pod,
  container: Container,
  resource: string,
  divisor: string | undefined,
  node: NodeAllocatable,
  containerName?: string,
): string {
  const c = containerName
    ? ([...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
        (x) => x.name === containerName,
      ) ?? container)
    : container;
  const [kind, res] = resource.split('.', 2) as ['limits' | 'requests', string];
  const div = parseQuantity(divisor && divisor !== '0' ? divisor : '1');
  let value: number | undefined;
  const q = c.resources?.[kind]?.[res];
  if (q !== undefined) value = parseQuantity(q);
  if (value === undefined) {
    if (kind === 'limits' || res === 'cpu' || res === 'memory') {
      // unset request reports 0 for requests; unset limit reports node allocatable
      if (kind === 'requests') value = 0;
      else if (res === 'cpu') value = node.milliCpu / 1000;
      else if (res === 'memory') value = node.memoryBytes;
      else if (res === 'ephemeral-storage') value = node.ephemeralStorageBytes ?? 0;
    }
  }
  if (value === undefined)
    throw new PodConfigError('CreateContainerConfigError', `unsupported resource ${resource}`);
  if (res === 'cpu') return String(Math.ceil(Math.round(value * 1000) / Math.max(1, Math.round(div * 1000))));
  return String(Math.ceil(value / div - 1e-9));
}

function decodeSecret(s: Secret, key: string): string | undefined {
  const d = (s as { data?: Record<string, string> }).data?.[key];
  if (d !== undefined) return Buffer.from(d, 'base64').toString('utf8');
  return (s as { stringData?: Record<string, string> }).stringData?.[key];
}

/**
 * The container's environment in order (envFrom first, then env; later names override earlier
 * ones), with $(VAR) references in env values expanded against the variables defined before.
 * Throws {@link PodConfigError} (reason CreateContainerConfigError) for a missing non-optional
 * ConfigMap/Secret or key.
 */
export async function resolveEnv(
  pod: Pod,
  container: Container,
  src: ObjectSource,
  ctx: { hostIp: string; podIps: string[]; node: NodeAllocatable },
): Promise<{ name: string; value: string }[]> {
  const ns = pod.metadata.namespace ?? 'default';
  const vars = new Map<string, string>();
  const cfgErr = (msg: string) => new PodConfigError('CreateContainerConfigError', msg);

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      const cm = await src.configMap(ns, name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw cfgErr(`configmap "${name}" not found`);
      }
      for (const [k, v] of Object.entries((cm as { data?: Record<string, string> }).data ?? {})) {
        if (isEnvVarName(prefix + k)) vars.set(prefix + k, v);
      }
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      const s = await src.secret(ns, name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw cfgErr(`secret "${name}" not found`);
      }
      for (const k of Object.keys((s as { data?: Record<string, string> }).data ?? {})) {
        if (isEnvVarName(prefix + k)) vars.set(prefix + k, decodeSecret(s, k)!);
      }
    }
  }

  for (const e of container.env ?? []) {
    let value: string | undefined;
    if (e.value !== undefined || !e.valueFrom) {
      value = expand(e.value ?? '', (n) => vars.get(n));
    } else {
      const vf = e.valueFrom;
      if (vf.fieldRef) value = podFieldValue(pod, vf.fieldRef.fieldPath, ctx.hostIp, ctx.podIps);
      else if (vf.resourceFieldRef) {
        const r = vf.resourceFieldRef;
        value = resourceFieldValue(pod, container, r.resource, r.divisor, ctx.node, r.containerName);
      } else if (vf.configMapKeyRef) {
        const r = vf.configMapKeyRef;
        const cm = await src.configMap(ns, r.name ?? '');
        const v = (cm as { data?: Record<string, string> } | undefined)?.data?.[r.key];
        if (v === undefined) {
          if (r.optional) continue;
          throw cfgErr(
            cm
              ? `couldn't find key ${r.key} in ConfigMap ${ns}/${r.name}`
              : `configmap "${r.name}" not found`,
          );
        }
        value = v;
      } else if (vf.secretKeyRef) {
        const r = vf.secretKeyRef;
        const s = await src.secret(ns, r.name ?? '');
        const v = s ? decodeSecret(s, r.key) : undefined;
        if (v === undefined) {
          if (r.optional) continue;
          throw cfgErr(
            s ? `couldn't find key ${r.key} in Secret ${ns}/${r.name}` : `secret "${r.name}" not found`,
          );
        }
        value = v;
      }
    }
    if (value !== undefined) {
      vars.delete(e.name);
      vars.set(e.name, value);
    }
  }
  return [...vars].map(([name, value]) => ({ name, value }));
}

/** Expands $(VAR) in a container's command and args against its resolved environment. */
export function expandCommand(
  container: Container,
  env: { name: string; value: string }[],
): { command: string[]; args: string[] } {
  const map = new Map(env.map((e) => [e.name, e.value]));
  const look = (n: string) => map.get(n);
  return {
    command: (container.command ?? []).map((s) => expand(s, look)),
    args: (container.args ?? []).map((s) => expand(s, look)),
  };
}
