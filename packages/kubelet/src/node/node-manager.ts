/**
 * Registers the Node, keeps its status current (on change and at least every
 * `statusReportMs`), and renews its coordination.k8s.io Lease in kube-node-lease (upstream
 * kubelet_node_status.go registerWithAPIServer / updateNodeStatus and
 * pkg/kubelet/nodelease + component-helpers/apimachinery/lease controller).
 */
import type { Lease, Node } from '@keelson/api';
import { isAlreadyExists, isConflict, isNotFound, type Clientset } from '@keelson/client';
import type { Logger } from '../util/log';
import type { Clock } from '../util/clock';
import type { MachineInfo } from './node-info';
import {
  initialNode,
  nodeLabels,
  nodeStatus,
  nodeStatusChanged,
  type NodeOptions,
  type RuntimeHealth,
} from './node-status';

/** Lease namespace for node heartbeats. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Options of {@link NodeManager}. */
export interface NodeManagerOptions extends NodeOptions {
  /** Lease renew interval, ms (default 10 s). */
  leaseRenewMs: number;
  /** Lease duration written to spec.leaseDurationSeconds (default 40). */
  leaseDurationSeconds: number;
  /** How often status is computed, ms (default 10 s). */
  statusUpdateMs: number;
  /** Max time between status writes when nothing changed, ms (default 60 s). */
  statusReportMs: number;
}

/** MicroTime (RFC 3339 with microseconds). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Node registration, status and lease loops. */
export class NodeManager {
  private node?: Node;
  private lastWrite = 0;
  private leaseTimer: unknown;
  private statusTimer: unknown;
  private stopped = false;
  private lease?: Lease;

  constructor(
    private readonly cs: Clientset,
    private readonly o: NodeManagerOptions,
    private readonly machine: () => MachineInfo,
    private readonly health: () => Promise<RuntimeHealth>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** The registered Node (after {@link register}). */
  get current(): Node | undefined {
    return this.node;
  }

  /**
   * Creates the Node, or adopts an existing one (labels merged, podCIDR set if empty, status
   * replaced). Retries until it succeeds or the manager stops.
   */
  async register(): Promise<Node> {
    const nodes = this.cs.resource<Node>('nodes');
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const h = await this.health();
        const want = initialNode(this.machine(), this.o, h, this.clock.now());
        try {
          const created = await nodes.create(want);
          // status may be dropped on create (status is a subresource): write it
          this.node = await nodes.updateStatus({ ...created, status: want.status });
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          const existing = await nodes.get(undefined, this.o.nodeName);
          existing.metadata.labels = {
            ...(existing.metadata.labels ?? {}),
            ...nodeLabels(this.machine(), this.o),
          };
          existing.spec = existing.spec ?? {};
          if (this.o.podCidr && !existing.spec.podCIDR) {
            existing.spec.podCIDR = this.o.podCidr;
            existing.spec.podCIDRs = [this.o.podCidr];
          }
          const updated = await nodes.update(existing);
          this.node = await nodes.updateStatus({
            ...updated,
            status: nodeStatus(this.machine(), this.o, h, this.clock.now(), existing.status),
          });
        }
        this.lastWrite = this.clock.now();
        this.log.info({ node: this.o.nodeName }, 'node registered');
        return this.node;
      } catch (e) {
        this.log.warn({ err: (e as Error).message, attempt }, 'node registration failed; retrying');
        await new Promise((r) =>
          this.clock.setTimeout(() => r(undefined), Math.min(7000, 200 * 2 ** attempt)),
        );
      }
    }
    throw new Error('stopped');
  }

  /** Starts the lease and status loops (after {@link register}). */
  start(): void {
    const leaseTick = async () => {
      if (this.stopped) return;
      await this.renewLease().catch((e) =>
        this.log.warn({ err: (e as Error).message }, 'lease renew failed'),
      );
      if (!this.stopped) this.leaseTimer = this.clock.setTimeout(() => void leaseTick(), this.o.leaseRenewMs);
    };
    const statusTick = async () => {
      if (this.stopped) return;
      await this.updateStatus().catch((e) =>
        this.log.warn({ err: (e as Error).message }, 'node status update failed'),
      );
      if (!this.stopped)
        this.statusTimer = this.clock.setTimeout(() => void statusTick(), this.o.statusUpdateMs);
    };
    void leaseTick();
    this.statusTimer = this.clock.setTimeout(() => void statusTick(), this.o.statusUpdateMs);
  }

  /** Stops the loops. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.leaseTimer);
    this.clock.clearTimeout(this.statusTimer);
  }

  /** Creates or renews the node's Lease (renewTime = now, holderIdentity = node name). */
  async renewLease(): Promise<Lease> {
    const leases = this.cs.resource<Lease>('leases', 'coordination.k8s.io/v1');
    const now = microTime(this.clock.now());
    for (let i = 0; i < 3; i++) {
      if (!this.lease) {
        try {
          this.lease = await leases.get(NODE_LEASE_NAMESPACE, this.o.nodeName);
        } catch (e) {
          if (!isNotFound(e)) throw e;
          const owner = this.node?.metadata.uid
            ? [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: this.node.metadata.uid }]
            : undefined;
          try {
            this.lease = await leases.create({
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: {
                name: this.o.nodeName,
                namespace: NODE_LEASE_NAMESPACE,
                ...(owner ? { ownerReferences: owner } : {}),
              },
              spec: {
                holderIdentity: this.o.nodeName,
                leaseDurationSeconds: this.o.leaseDurationSeconds,
                renewTime: now,
              },
            });
            return this.lease;
          } catch (ce) {
            if (!isAlreadyExists(ce)) throw ce;
            continue;
          }
        }
      }
      const next: Lease = {
        ...this.lease!,
        spec: {
          ...this.lease!.spec,
          holderIdentity: this.o.nodeName,
          leaseDurationSeconds: this.o.leaseDurationSeconds,
          renewTime: now,
        },
      };
      try {
        this.lease = await leases.update(next);
        return this.lease;
      } catch (e) {
        if (isConflict(e) || isNotFound(e)) {
          this.lease = undefined;
          continue;
        }
        throw e;
      }
    }
    throw new Error('lease renew: too many conflicts');
  }

  /** Recomputes the status; writes it when it changed or statusReportMs passed. Resolves true if written. */
  async updateStatus(force = false): Promise<boolean> {
    const nodes = this.cs.resource<Node>('nodes');
    const h = await this.health();
    const now = this.clock.now();
    const status = nodeStatus(this.machine(), this.o, h, now, this.node?.status);
    if (
      !force &&
      !nodeStatusChanged(this.node?.status, status) &&
      now - this.lastWrite < this.o.statusReportMs
    )
      return false;
    try {
      this.node = await nodes.patch(
        undefined,
        this.o.nodeName,
        'merge',
        { status },
        { subresource: 'status' },
      );
    } catch (e) {
      if (isNotFound(e)) {
        // the Node was deleted: register again
        this.node = undefined;
        await this.register();
        return true;
      }
      throw e;
    }
    this.lastWrite = now;
    return true;
  }
}
