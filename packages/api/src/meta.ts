/**
 * metav1 types shared by every object: TypeMeta, ObjectMeta, ListMeta, OwnerReference, Status.
 * Field names and JSON names follow Kubernetes API conventions (apimachinery meta/v1).
 */

/** metav1.Time: an RFC 3339 timestamp string, second precision, e.g. "2024-05-01T12:00:00Z". */
export type Time = string;

/** metav1.OwnerReference: names the object that owns this one (used by the garbage collector). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** metav1.ManagedFieldsEntry (server-side apply bookkeeping). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: Time;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** metav1.ObjectMeta. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  /** Deprecated; accepted and ignored. */
  selfLink?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: Time;
  deletionTimestamp?: Time;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

/** metav1.TypeMeta. */
export interface TypeMeta {
  apiVersion?: string;
  kind?: string;
}

/** Any Kubernetes object: TypeMeta + ObjectMeta (+ spec/status, kind-specific). */
export interface KubeObject extends TypeMeta {
  metadata: ObjectMeta;
}

/** metav1.ListMeta. */
export interface ListMeta {
  selfLink?: string;
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A list of objects of one kind, e.g. PodList. */
export interface KubeList<T extends KubeObject = KubeObject> extends TypeMeta {
  metadata: ListMeta;
  items: T[];
}

/** metav1.StatusCause: one reason an operation failed, e.g. an invalid field. */
export interface StatusCause {
  /** Machine-readable cause, e.g. "FieldValueRequired", "FieldValueInvalid", "FieldValueNotSupported". */
  reason?: string;
  message?: string;
  /** Field path, e.g. "spec.containers[0].image". */
  field?: string;
}

/** metav1.StatusDetails. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/**
 * metav1.Status: the result of an operation that returns no object, and every API error
 * (Kubernetes API conventions: "Response Status Kind").
 */
export interface Status extends TypeMeta {
  metadata?: ListMeta;
  /** "Success" or "Failure". */
  status?: string;
  message?: string;
  /** CamelCase reason, e.g. "NotFound", "AlreadyExists", "Conflict", "Invalid", "Expired". */
  reason?: string;
  details?: StatusDetails;
  /** The HTTP status code. */
  code?: number;
}

/** metav1.LabelSelectorRequirement. */
export interface LabelSelectorRequirement {
  key: string;
  /** "In", "NotIn", "Exists" or "DoesNotExist". */
  operator: string;
  values?: string[];
}

/** metav1.LabelSelector (structured form used in specs). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** metav1.Condition (the standard condition type of newer APIs). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** metav1.WatchEvent as it travels over REST and gRPC. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** metav1.DeleteOptions. */
export interface DeleteOptions extends TypeMeta {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** "Orphan", "Background" or "Foreground". */
  propagationPolicy?: string;
  orphanDependents?: boolean;
  dryRun?: string[];
}

/**
 * intstr.IntOrString: a JSON number (int32) or a string such as "25%" or a port name "http".
 * On the wire it stays whichever form it was written in.
 */
export type IntOrString = number | string;

/**
 * resource.Quantity in its serialized form, e.g. "100m", "1.5", "128Mi", "1e3".
 * Parse and compare with the Quantity helpers (quantity.ts).
 */
export type Quantity = string;

/** metav1.MicroTime: RFC 3339 with microseconds, e.g. "2024-05-01T12:00:00.123456Z". */
export type MicroTime = string;
