/**
 * The slice of cluster state cluster DNS answers from: Services and EndpointSlices, as their
 * Kubernetes JSON (only the fields DNS reads are typed here).
 */

/** The Service fields DNS uses (core/v1 Service). */
export interface DnsService {
  metadata: { name?: string; namespace?: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    ports?: Array<{ name?: string; port: number; protocol?: string }>;
    publishNotReadyAddresses?: boolean;
  };
}

/** The EndpointSlice fields DNS uses (discovery.k8s.io/v1 EndpointSlice). */
export interface DnsEndpointSlice {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: Array<{
    addresses: string[];
    hostname?: string;
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string }>;
}

/** Label linking an EndpointSlice to its Service (discovery.k8s.io/v1). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
