/**
 * Per-kind behaviour plugged into the generic registry (upstream's RESTCreateStrategy,
 * RESTUpdateStrategy, RESTDeleteStrategy of k8s.io/apiserver/pkg/registry/rest).
 */
import type { KubeObject, StatusCause } from '@keelson/api';
import type { IpAllocator, PortAllocator } from './allocators';

/** What strategies may use. */
export interface StrategyContext {
  /** Current time (injected clock). */
  now(): Date;
  serviceIPs: IpAllocator;
  nodePorts: PortAllocator;
}

/** A kind's rules. Every hook is optional; the defaults are those of a plain object kind. */
export interface Strategy {
  /** The kind has a status subresource: main updates keep the old status, status updates keep the rest. */
  statusSubresource?: boolean;
  /** Keep the status sent on create (nodes); otherwise a status subresource kind starts with an empty status. */
  keepStatusOnCreate?: boolean;
  /** metadata.generation starts at 1 and is bumped when spec changes. */
  generation?: boolean;
  /** Delete answers the deleted object (true) or a Status (false). */
  returnDeletedObject?: boolean;
  /** Mutates a new object before validation (defaults, cleared fields, allocations). Throws ApiError. */
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void;
  /** Undoes allocations made by prepareForCreate when the create failed. */
  rollbackCreate?(obj: KubeObject, ctx: StrategyContext): void;
  /** Mutates an updated object (main resource) given the old one. Throws ApiError. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Extra validation of an update (immutable fields). */
  validateUpdate?(obj: KubeObject, old: KubeObject): StatusCause[];
  /** Releases what the object held after it was deleted. */
  afterDelete?(obj: KubeObject, ctx: StrategyContext): void;
  /** Extra field-selector fields ("spec.nodeName" → value). */
  fields?(obj: KubeObject): Record<string, string>;
  /**
   * Graceful deletion: returns the grace period (seconds) for a delete, or undefined when the kind
   * deletes at once. `requested` is DeleteOptions.gracePeriodSeconds.
   */
  gracePeriod?(obj: KubeObject, requested: number | undefined): number | undefined;
  /** An object with deletionTimestamp may now be removed (default: no finalizers). */
  readyToDelete?(obj: KubeObject): boolean;
}
