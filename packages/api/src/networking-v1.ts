/**
 * networking.k8s.io/v1: Ingress, IngressClass, NetworkPolicy (k8s.io/api networking/v1
 * types.go). Keelson stores and validates these; nothing acts on them (no ingress controller,
 * no network policy enforcement in the data plane).
 */
import type { IntOrString, KubeObject, LabelSelector } from './meta';

/** networking/v1 ServiceBackendPort: a port name or number of the Service. */
export interface ServiceBackendPort {
  name?: string;
  number?: number;
}

/** networking/v1 IngressServiceBackend. */
export interface IngressServiceBackend {
  name: string;
  port?: ServiceBackendPort;
}

/** networking/v1 IngressBackend: a Service port or a resource (core/v1 TypedLocalObjectReference), not both. */
export interface IngressBackend {
  service?: IngressServiceBackend;
  resource?: { apiGroup?: string; kind: string; name: string };
}

/** networking/v1 HTTPIngressPath; pathType is "Exact", "Prefix" or "ImplementationSpecific". */
export interface HTTPIngressPath {
  path?: string;
  pathType: string;
  backend: IngressBackend;
}

/** networking/v1 HTTPIngressRuleValue. */
export interface HTTPIngressRuleValue {
  paths: HTTPIngressPath[];
}

/** networking/v1 IngressRule: host ("foo.example.com", "*.example.com" or absent for all) and HTTP paths. */
export interface IngressRule {
  host?: string;
  http?: HTTPIngressRuleValue;
}

/** networking/v1 IngressTLS. */
export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}

/** networking/v1 IngressSpec. */
export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: IngressTLS[];
  rules?: IngressRule[];
}

/** networking/v1 IngressPortStatus. */
export interface IngressPortStatus {
  port: number;
  protocol: string;
  error?: string;
}

/** networking/v1 IngressLoadBalancerIngress. */
export interface IngressLoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ports?: IngressPortStatus[];
}

/** networking/v1 IngressLoadBalancerStatus. */
export interface IngressLoadBalancerStatus {
  ingress?: IngressLoadBalancerIngress[];
}

/** networking/v1 IngressStatus. */
export interface IngressStatus {
  loadBalancer?: IngressLoadBalancerStatus;
}

/** networking/v1 Ingress. */
export interface Ingress extends KubeObject {
  apiVersion?: 'networking.k8s.io/v1';
  kind?: 'Ingress';
  spec?: IngressSpec;
  status?: IngressStatus;
}

/** networking/v1 IngressClassParametersReference; scope is "Cluster" or "Namespace". */
export interface IngressClassParametersReference {
  apiGroup?: string;
  kind: string;
  name: string;
  scope?: string;
  namespace?: string;
}

/** networking/v1 IngressClassSpec; controller is a domain-prefixed path ("example.com/ingress"), immutable. */
export interface IngressClassSpec {
  controller?: string;
  parameters?: IngressClassParametersReference;
}

/** networking/v1 IngressClass (cluster-scoped). */
export interface IngressClass extends KubeObject {
  apiVersion?: 'networking.k8s.io/v1';
  kind?: 'IngressClass';
  spec?: IngressClassSpec;
}

/** networking/v1 NetworkPolicyPort; protocol defaults to "TCP". */
export interface NetworkPolicyPort {
  protocol?: string;
  port?: IntOrString;
  endPort?: number;
}

/** networking/v1 IPBlock: a CIDR and CIDRs inside it to exclude. */
export interface IPBlock {
  cidr: string;
  except?: string[];
}

/** networking/v1 NetworkPolicyPeer: ipBlock alone, or pod and/or namespace selectors. */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

/** networking/v1 NetworkPolicyIngressRule. */
export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}

/** networking/v1 NetworkPolicyEgressRule. */
export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}

/** networking/v1 NetworkPolicySpec; policyTypes defaults to ["Ingress"] (+ "Egress" when egress rules exist). */
export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  policyTypes?: string[];
}

/** networking/v1 NetworkPolicy. */
export interface NetworkPolicy extends KubeObject {
  apiVersion?: 'networking.k8s.io/v1';
  kind?: 'NetworkPolicy';
  spec?: NetworkPolicySpec;
}
