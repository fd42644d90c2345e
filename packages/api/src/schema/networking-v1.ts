/** Schema tables for networking.k8s.io/v1 (networking-v1.ts). */
import { I, IOS, S, SARR, arr, ref, req, type TypeSchema } from './types';

/** Schema tables of the networking/v1 types, by type name (TypedLocalObjectReference is core/v1's). */
export const networkingV1Schemas: Record<string, TypeSchema> = {
  TypedLocalObjectReference: { apiGroup: S, kind: req(S), name: req(S) },
  ServiceBackendPort: { name: S, number: I },
  IngressServiceBackend: { name: req(S), port: ref('ServiceBackendPort') },
  IngressBackend: { service: ref('IngressServiceBackend'), resource: ref('TypedLocalObjectReference') },
  HTTPIngressPath: { path: S, pathType: req(S), backend: req(ref('IngressBackend')) },
  HTTPIngressRuleValue: { paths: req(arr(ref('HTTPIngressPath'))) },
  IngressRule: { host: S, http: ref('HTTPIngressRuleValue') },
  IngressTLS: { hosts: SARR, secretName: S },
  IngressSpec: {
    ingressClassName: S,
    defaultBackend: ref('IngressBackend'),
    tls: arr(ref('IngressTLS')),
    rules: arr(ref('IngressRule')),
  },
  IngressPortStatus: { port: req(I), protocol: req(S), error: S },
  IngressLoadBalancerIngress: { ip: S, hostname: S, ports: arr(ref('IngressPortStatus')) },
  IngressLoadBalancerStatus: { ingress: arr(ref('IngressLoadBalancerIngress')) },
  IngressStatus: { loadBalancer: ref('IngressLoadBalancerStatus') },
  Ingress: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    spec: ref('IngressSpec'),
    status: ref('IngressStatus'),
  },
  IngressClassParametersReference: { apiGroup: S, kind: req(S), name: req(S), scope: S, namespace: S },
  IngressClassSpec: { controller: S, parameters: ref('IngressClassParametersReference') },
  IngressClass: { kind: S, apiVersion: S, metadata: ref('ObjectMeta'), spec: ref('IngressClassSpec') },
  NetworkPolicyPort: { protocol: S, port: IOS, endPort: I },
  IPBlock: { cidr: req(S), except: SARR },
  NetworkPolicyPeer: {
    podSelector: ref('LabelSelector'),
    namespaceSelector: ref('LabelSelector'),
    ipBlock: ref('IPBlock'),
  },
  NetworkPolicyIngressRule: { ports: arr(ref('NetworkPolicyPort')), from: arr(ref('NetworkPolicyPeer')) },
  NetworkPolicyEgressRule: { ports: arr(ref('NetworkPolicyPort')), to: arr(ref('NetworkPolicyPeer')) },
  NetworkPolicySpec: {
    podSelector: req(ref('LabelSelector')),
    ingress: arr(ref('NetworkPolicyIngressRule')),
    egress: arr(ref('NetworkPolicyEgressRule')),
    policyTypes: SARR,
  },
  NetworkPolicy: { kind: S, apiVersion: S, metadata: ref('ObjectMeta'), spec: ref('NetworkPolicySpec') },
};
