/** discovery.k8s.io/v1 EndpointSlice. */
import type { ObjectReference } from './core-v1';
import type { KubeObject } from './meta';

/** discovery/v1 EndpointConditions. ready is nil-as-true for consumers (see upstream docs). */
export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** discovery/v1 ForZone. */
export interface ForZone {
  name: string;
}

/** discovery/v1 EndpointHints. */
export interface EndpointHints {
  forZones?: ForZone[];
  forNodes?: { name: string }[];
}

/** discovery/v1 Endpoint. */
export interface Endpoint {
  /** 1-100 addresses of the slice's addressType. */
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  deprecatedTopology?: Record<string, string>;
  nodeName?: string;
  zone?: string;
  hints?: EndpointHints;
}

/** discovery/v1 EndpointPort. A nil port means "all ports". */
export interface EndpointSlicePort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

/** discovery/v1 EndpointSlice. addressType: "IPv4", "IPv6" or "FQDN". */
export interface EndpointSlice extends KubeObject {
  apiVersion?: 'discovery.k8s.io/v1';
  kind?: 'EndpointSlice';
  addressType: string;
  endpoints: Endpoint[];
  ports?: EndpointSlicePort[];
}
