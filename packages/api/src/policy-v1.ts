/** policy/v1 Eviction: POSTed to pods/eviction. */
import type { DeleteOptions, KubeObject } from './meta';

/** policy/v1 Eviction; metadata names the pod to evict. */
export interface Eviction extends KubeObject {
  apiVersion?: 'policy/v1';
  kind?: 'Eviction';
  deleteOptions?: DeleteOptions;
}
