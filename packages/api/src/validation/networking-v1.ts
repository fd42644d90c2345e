/**
 * Validation of networking.k8s.io/v1 kinds (kubernetes pkg/apis/networking/validation): Ingress
 * rules/backends/TLS hosts, IngressClass controller (immutable), NetworkPolicy selectors, ports,
 * peers and policy types. Messages as upstream's.
 */
import type { StatusCause } from '../meta';
import {
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  fieldTooMany,
} from '../status';
import { validateSelectorFields } from './common';
import {
  isDNS1035Label,
  isDNS1123Subdomain,
  isValidIP,
  isValidPortName,
  isValidPortNum,
  regexError,
} from './names';

type Any = any;
type Out = StatusCause[];

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const POLICY_TYPES = ['Egress', 'Ingress'];
const WILDCARD_RE = /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** IsWildcardDNS1123Subdomain. */
function isWildcardSubdomain(v: string): string[] {
  const out: string[] = [];
  if (v.length > 253) out.push('must be no more than 253 characters');
  if (!WILDCARD_RE.test(v))
    out.push(
      regexError(
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
        '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*',
        '*.example.com',
      ),
    );
  return out;
}

function validateHost(out: Out, host: string, path: string): void {
  if (!isValidIP(host).length) out.push(fieldInvalid(path, host, 'must be a DNS name, not an IP address'));
  const msgs = host.startsWith('*') ? isWildcardSubdomain(host) : isDNS1123Subdomain(host);
  for (const m of msgs) out.push(fieldInvalid(path, host, m));
}

function validateBackend(out: Out, b: Any, path: string): void {
  if (!b) return;
  if (b.service && b.resource) {
    out.push(fieldInvalid(path, '', 'cannot set both resource and service backends'));
    return;
  }
  if (b.resource) {
    if (!b.resource.kind) out.push(fieldRequired(`${path}.resource.kind`, ''));
    if (!b.resource.name) out.push(fieldRequired(`${path}.resource.name`, ''));
    return;
  }
  if (!b.service) {
    out.push(fieldInvalid(path, '', 'resource or service backend is required'));
    return;
  }
  const s = b.service;
  if (!s.name) out.push(fieldRequired(`${path}.service.name`, ''));
  else for (const m of isDNS1035Label(s.name)) out.push(fieldInvalid(`${path}.service.name`, s.name, m));
  const p = s.port ?? {};
  const pp = `${path}.service.port`;
  if (p.name && p.number)
    out.push(fieldInvalid(`${pp}.name`, p.name, 'cannot set both port name & port number'));
  else if (p.name) for (const m of isValidPortName(p.name)) out.push(fieldInvalid(`${pp}.name`, p.name, m));
  else if (p.number)
    for (const m of isValidPortNum(p.number)) out.push(fieldInvalid(`${pp}.number`, p.number, m));
  else out.push(fieldRequired(pp, 'port name or number is required'));
}

function validatePath(out: Out, p: Any, path: string): void {
  const value: string = p.path ?? '';
  if (!p.pathType) out.push(fieldRequired(`${path}.pathType`, 'pathType must be specified'));
  else if (!PATH_TYPES.includes(p.pathType))
    out.push(fieldNotSupported(`${path}.pathType`, p.pathType, PATH_TYPES));
  else if (p.pathType === 'ImplementationSpecific') {
    if (value && !value.startsWith('/'))
      out.push(fieldInvalid(`${path}.path`, value, 'must be an absolute path'));
  } else {
    if (!value.startsWith('/')) out.push(fieldInvalid(`${path}.path`, value, 'must be an absolute path'));
    for (const seq of ['//', '/./', '/../', '%2f', '%2F'])
      if (value.includes(seq)) out.push(fieldInvalid(`${path}.path`, value, `must not contain '${seq}'`));
    for (const suf of ['/..', '/.'])
      if (value.endsWith(suf)) out.push(fieldInvalid(`${path}.path`, value, `cannot end with '${suf}'`));
  }
  if (!p.backend) out.push(fieldRequired(`${path}.backend`, ''));
  validateBackend(out, p.backend, `${path}.backend`);
}

function validateIngress(o: Any): Out {
  const out: Out = [];
  const s = o.spec ?? {};
  const rules: Any[] = s.rules ?? [];
  if (!rules.length && !s.defaultBackend)
    out.push(fieldInvalid('spec', rules, 'either `defaultBackend` or `rules` must be specified'));
  validateBackend(out, s.defaultBackend, 'spec.defaultBackend');
  rules.forEach((r, i) => {
    const path = `spec.rules[${i}]`;
    if (r.host) validateHost(out, r.host, `${path}.host`);
    if (r.http) {
      const paths: Any[] = r.http.paths ?? [];
      if (!paths.length) out.push(fieldRequired(`${path}.http.paths`, ''));
      paths.forEach((p, j) => validatePath(out, p, `${path}.http.paths[${j}]`));
    }
  });
  ((s.tls ?? []) as Any[]).forEach((t, i) =>
    ((t.hosts ?? []) as string[]).forEach((h, j) => {
      const msgs = h.startsWith('*') ? isWildcardSubdomain(h) : isDNS1123Subdomain(h);
      for (const m of msgs) out.push(fieldInvalid(`spec.tls[${i}].hosts[${j}]`, h, m));
    }),
  );
  if (s.ingressClassName)
    for (const m of isDNS1123Subdomain(s.ingressClassName))
      out.push(fieldInvalid('spec.ingressClassName', s.ingressClassName, m));
  return out;
}

const DOMAIN_PATH_RE = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

function validateIngressClass(o: Any, old: Any): Out {
  const out: Out = [];
  const c: string = o.spec?.controller ?? '';
  const path = 'spec.controller';
  if (c.length > 250) out.push(fieldTooLong(path, 250));
  // IsDomainPrefixedPath: "<DNS subdomain>/<path>"
  if (!c) out.push(fieldRequired(path, ''));
  else {
    const i = c.indexOf('/');
    if (i < 0) out.push(fieldInvalid(path, c, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    else {
      for (const m of isDNS1123Subdomain(c.slice(0, i))) out.push(fieldInvalid(path, c.slice(0, i), m));
      if (!DOMAIN_PATH_RE.test(c.slice(i))) out.push(fieldInvalid(path, c.slice(i), 'must be a valid path'));
    }
  }
  const p = o.spec?.parameters;
  if (p) {
    if (!p.kind) out.push(fieldRequired('spec.parameters.kind', ''));
    if (!p.name) out.push(fieldRequired('spec.parameters.name', ''));
    if (p.scope && p.scope !== 'Cluster' && p.scope !== 'Namespace')
      out.push(fieldNotSupported('spec.parameters.scope', p.scope, ['Cluster', 'Namespace']));
    if (p.scope === 'Namespace' && !p.namespace)
      out.push(fieldRequired('spec.parameters.namespace', '`parameters.scope` is set to "Namespace"'));
    if (p.scope !== 'Namespace' && p.namespace)
      out.push(fieldForbidden('spec.parameters.namespace', '`parameters.scope` is set to "Cluster"'));
  }
  if (old && (old.spec?.controller ?? '') !== c) out.push(fieldInvalid(path, c, 'field is immutable'));
  return out;
}

function parseCIDR(v: string): { bits: number; addr: bigint; len: number } | undefined {
  const i = v.indexOf('/');
  if (i < 0) return undefined;
  const ip = v.slice(0, i);
  const len = Number(v.slice(i + 1));
  if (!/^\d+$/.test(v.slice(i + 1))) return undefined;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip) && !isValidIP(ip).length && len <= 32) {
    const addr = ip.split('.').reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n);
    return { bits: 32, addr, len };
  }
  if (ip.includes(':') && !isValidIP(ip).length && len <= 128) return { bits: 128, addr: -1n, len };
  return undefined;
}

function within(
  inner: { bits: number; addr: bigint; len: number },
  outer: { bits: number; addr: bigint; len: number },
) {
  if (inner.bits !== outer.bits || inner.len <= outer.len) return false;
  if (inner.bits !== 32) return true;
  const shift = BigInt(32 - outer.len);
  return inner.addr >> shift === outer.addr >> shift;
}

const CIDR_MSG = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

function validatePeers(out: Out, peers: Any[] | undefined, path: string): void {
  (peers ?? []).forEach((peer, i) => {
    const p = `${path}[${i}]`;
    const n = (peer.podSelector ? 1 : 0) + (peer.namespaceSelector ? 1 : 0) + (peer.ipBlock ? 1 : 0);
    if (n === 0) out.push(fieldRequired(p, 'must specify a peer'));
    else if (peer.ipBlock && n > 1)
      out.push(fieldForbidden(p, 'may not specify both ipBlock and another peer'));
    validateSelectorFields(out, peer.podSelector, `${p}.podSelector`);
    validateSelectorFields(out, peer.namespaceSelector, `${p}.namespaceSelector`);
    if (peer.ipBlock) {
      const b = peer.ipBlock;
      const cidr = parseCIDR(b.cidr ?? '');
      if (!b.cidr) out.push(fieldRequired(`${p}.ipBlock.cidr`, ''));
      else if (!cidr) out.push(fieldInvalid(`${p}.ipBlock.cidr`, b.cidr, CIDR_MSG));
      ((b.except ?? []) as string[]).forEach((e, j) => {
        const ex = parseCIDR(e);
        if (!ex) out.push(fieldInvalid(`${p}.ipBlock.except[${j}]`, e, CIDR_MSG));
        else if (cidr && !within(ex, cidr))
          out.push(fieldInvalid(`${p}.ipBlock.except[${j}]`, e, 'must be a strict subset of `cidr`'));
      });
    }
  });
}

function validatePorts(out: Out, ports: Any[] | undefined, path: string): void {
  (ports ?? []).forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (port.protocol && !PROTOCOLS.includes(port.protocol))
      out.push(fieldNotSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
    if (typeof port.port === 'number')
      for (const m of isValidPortNum(port.port)) out.push(fieldInvalid(`${p}.port`, port.port, m));
    else if (typeof port.port === 'string')
      for (const m of isValidPortName(port.port)) out.push(fieldInvalid(`${p}.port`, port.port, m));
    if (port.endPort !== undefined && port.endPort !== null) {
      if (typeof port.port !== 'number')
        out.push(fieldRequired(`${p}.port`, 'must be specified when endPort is specified'));
      else if (port.endPort < port.port)
        out.push(fieldInvalid(`${p}.endPort`, port.endPort, 'must be greater than or equal to `port`'));
      for (const m of isValidPortNum(port.endPort)) out.push(fieldInvalid(`${p}.endPort`, port.endPort, m));
    }
  });
}

function validateNetworkPolicy(o: Any): Out {
  const out: Out = [];
  const s = o.spec ?? {};
  validateSelectorFields(out, s.podSelector, 'spec.podSelector');
  ((s.ingress ?? []) as Any[]).forEach((r, i) => {
    validatePorts(out, r.ports, `spec.ingress[${i}].ports`);
    validatePeers(out, r.from, `spec.ingress[${i}].from`);
  });
  ((s.egress ?? []) as Any[]).forEach((r, i) => {
    validatePorts(out, r.ports, `spec.egress[${i}].ports`);
    validatePeers(out, r.to, `spec.egress[${i}].to`);
  });
  const types: string[] = s.policyTypes ?? [];
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t)) out.push(fieldNotSupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES));
  });
  if (types.length > POLICY_TYPES.length)
    out.push(fieldTooMany('spec.policyTypes', types.length, POLICY_TYPES.length));
  return out;
}

/** Validators of the networking/v1 kinds by "apiVersion/Kind" (merged into validateObject's table). */
export const networkingValidators: Record<string, (o: Any, old: Any) => StatusCause[]> = {
  'networking.k8s.io/v1/Ingress': (o) => validateIngress(o),
  'networking.k8s.io/v1/IngressClass': validateIngressClass,
  'networking.k8s.io/v1/NetworkPolicy': (o) => validateNetworkPolicy(o),
};
