/** Schema tables for coordination/v1, discovery/v1, autoscaling/v1 and policy/v1. */
import { B, I, MT, S, SARR, SMAP, arr, ref, req, type TypeSchema } from './types';

/** Schema tables of the coordination/v1, discovery/v1, autoscaling/v1 and policy/v1 types, by type name. */
export const otherSchemas: Record<string, TypeSchema> = {
  // coordination.k8s.io/v1
  LeaseSpec: {
    holderIdentity: S,
    leaseDurationSeconds: I,
    acquireTime: MT,
    renewTime: MT,
    leaseTransitions: I,
    strategy: S,
    preferredHolder: S,
  },
  Lease: { kind: S, apiVersion: S, metadata: ref('ObjectMeta'), spec: ref('LeaseSpec') },

  // discovery.k8s.io/v1
  EndpointConditions: { ready: B, serving: B, terminating: B },
  ForZone: { name: req(S) },
  ForNode: { name: req(S) },
  EndpointHints: { forZones: arr(ref('ForZone')), forNodes: arr(ref('ForNode')) },
  Endpoint: {
    addresses: req(SARR),
    conditions: ref('EndpointConditions'),
    hostname: S,
    targetRef: ref('ObjectReference'),
    deprecatedTopology: SMAP,
    nodeName: S,
    zone: S,
    hints: ref('EndpointHints'),
  },
  EndpointSlicePort: { name: S, protocol: S, port: I, appProtocol: S },
  EndpointSlice: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    addressType: req(S),
    endpoints: req(arr(ref('Endpoint'))),
    ports: arr(ref('EndpointSlicePort')),
  },

  // autoscaling/v1
  ScaleSpec: { replicas: I },
  ScaleStatus: { replicas: req(I), selector: S },
  Scale: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    spec: ref('ScaleSpec'),
    status: ref('ScaleStatus'),
  },

  // policy/v1
  Eviction: { kind: S, apiVersion: S, metadata: ref('ObjectMeta'), deleteOptions: ref('DeleteOptions') },
};
