/**
 * The seam between rule computation and the kernel: a backend turns the service port table into
 * rules and applies them. Two implementations: nftables (default) and iptables.
 */
import type { ServicePortInfo } from './service-ports';

/** Programs Service rules on one node (or network namespace). */
export interface ProxyBackend {
  /** "nftables" or "iptables". */
  readonly mode: string;
  /**
   * Makes the kernel's rules match `ports`; incremental after the first call.
   * @returns the number of bytes of rule script applied (0 when nothing changed)
   * @throws ProxyApplyError when the tool rejects the script (the previous rules stay in place)
   */
  sync(ports: ServicePortInfo[]): Promise<number>;
  /** Removes everything this backend created. Safe to call when nothing exists. */
  cleanup(): Promise<void>;
}
