/** coordination.k8s.io/v1 Lease: node heartbeats and leader election. */
import type { KubeObject, MicroTime } from './meta';

/** coordination/v1 LeaseSpec. */
export interface LeaseSpec {
  holderIdentity?: string;
  /** Seconds. */
  leaseDurationSeconds?: number;
  acquireTime?: MicroTime;
  renewTime?: MicroTime;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}

/** coordination/v1 Lease. */
export interface Lease extends KubeObject {
  apiVersion?: 'coordination.k8s.io/v1';
  kind?: 'Lease';
  spec?: LeaseSpec;
}
