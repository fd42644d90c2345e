/**
 * API errors as the client sees them: every Status failure the apiserver answers (over gRPC, in the
 * `keelson-status-bin` trailer) becomes an {@link ApiError} carrying that Status, and helpers test
 * its reason the way client-go's `k8s.io/apimachinery/pkg/api/errors` (IsNotFound, IsConflict ...) do.
 */
import type { ResourceInfo, Status, StatusCause } from '@keelson/api';

/**
 * A Kubernetes Status failure (Kubernetes API conventions: "Response Status Kind").
 * `code` is the HTTP status code (404, 409, 410 ...), `reason` the CamelCase StatusReason
 * ("NotFound", "AlreadyExists", "Conflict", "Expired", "Invalid" ...).
 */
export class ApiError extends Error {
  /** The full Status object (kind "Status", status "Failure"). */
  readonly status: Status;
  /** HTTP status code; 500 when the Status carries none. */
  readonly code: number;
  /** StatusReason; "Unknown" when the Status carries none. */
  readonly reason: string;

  constructor(status: Status) {
    super(status.message || status.reason || `request failed with code ${status.code ?? 500}`);
    this.name = 'ApiError';
    this.status = { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', ...status };
    this.code = status.code ?? 500;
    this.reason = status.reason || 'Unknown';
  }
}

/** A client-side failure that never reached or never got an answer from the apiserver (e.g. gRPC UNAVAILABLE). */
export class TransportError extends Error {
  /** The gRPC status code number (grpc-js `status`), when known. */
  readonly grpcCode?: number;
  constructor(message: string, grpcCode?: number) {
    super(message);
    this.name = 'TransportError';
    this.grpcCode = grpcCode;
  }
}

/** Raised for bad client configuration (unknown resource, unreadable kubeconfig ...). */
export class ClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientConfigError';
  }
}

function reasonOf(err: unknown): string | undefined {
  return err instanceof ApiError ? err.reason : undefined;
}
function codeOf(err: unknown): number | undefined {
  return err instanceof ApiError ? err.code : undefined;
}

/** True for 404 / reason NotFound. */
export function isNotFound(err: unknown): boolean {
  return reasonOf(err) === 'NotFound' || (codeOf(err) === 404 && reasonOf(err) === 'Unknown');
}
/** True for 409 reason AlreadyExists (create of an existing name). */
export function isAlreadyExists(err: unknown): boolean {
  return reasonOf(err) === 'AlreadyExists';
}
/** True for 409 reason Conflict (stale resourceVersion on update/patch/delete preconditions). */
export function isConflict(err: unknown): boolean {
  return reasonOf(err) === 'Conflict' || (codeOf(err) === 409 && reasonOf(err) === 'Unknown');
}
/** True for 410 Gone / reason Expired (watch or list from a compacted resourceVersion), as client-go's IsResourceExpired + IsGone. */
export function isGone(err: unknown): boolean {
  return reasonOf(err) === 'Expired' || reasonOf(err) === 'Gone' || codeOf(err) === 410;
}
/** True for 422 / reason Invalid. */
export function isInvalid(err: unknown): boolean {
  return reasonOf(err) === 'Invalid';
}
/** True for 403 / reason Forbidden. */
export function isForbidden(err: unknown): boolean {
  return reasonOf(err) === 'Forbidden';
}
/** True for 429 / reason TooManyRequests. */
export function isTooManyRequests(err: unknown): boolean {
  return reasonOf(err) === 'TooManyRequests' || codeOf(err) === 429;
}
/** True for 400 / reason BadRequest. */
export function isBadRequest(err: unknown): boolean {
  return reasonOf(err) === 'BadRequest';
}

function details(info: Pick<ResourceInfo, 'group' | 'resource'>, name: string) {
  return { name, group: info.group || undefined, kind: info.resource };
}
function qualified(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

/** 404 NotFound: `pods "x" not found` (apimachinery errors.NewNotFound). */
export function newNotFound(info: Pick<ResourceInfo, 'group' | 'resource'>, name: string): ApiError {
  return new ApiError({
    code: 404,
    reason: 'NotFound',
    message: `${qualified(info)} "${name}" not found`,
    details: details(info, name),
  });
}
/** 409 AlreadyExists: `pods "x" already exists` (errors.NewAlreadyExists). */
export function newAlreadyExists(info: Pick<ResourceInfo, 'group' | 'resource'>, name: string): ApiError {
  return new ApiError({
    code: 409,
    reason: 'AlreadyExists',
    message: `${qualified(info)} "${name}" already exists`,
    details: details(info, name),
  });
}
/** 409 Conflict: `Operation cannot be fulfilled on pods "x": <why>` (errors.NewConflict). */
export function newConflict(
  info: Pick<ResourceInfo, 'group' | 'resource'>,
  name: string,
  why: string,
): ApiError {
  return new ApiError({
    code: 409,
    reason: 'Conflict',
    message: `Operation cannot be fulfilled on ${qualified(info)} "${name}": ${why}`,
    details: details(info, name),
  });
}
/** The message upstream uses for a stale resourceVersion. */
export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 410 Expired: a watch or list from a resourceVersion older than the kept history (errors.NewResourceExpired). */
export function newGone(message: string): ApiError {
  return new ApiError({ code: 410, reason: 'Expired', message });
}
/** 422 Invalid with field causes (errors.NewInvalid). */
export function newInvalid(
  info: Pick<ResourceInfo, 'group' | 'kind'>,
  name: string,
  causes: StatusCause[],
): ApiError {
  const what = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new ApiError({
    code: 422,
    reason: 'Invalid',
    message: `${info.kind}${info.group ? `.${info.group}` : ''} "${name}" is invalid: ${what}`,
    details: { name, group: info.group || undefined, kind: info.kind, causes },
  });
}
/** 400 BadRequest (errors.NewBadRequest). */
export function newBadRequest(message: string): ApiError {
  return new ApiError({ code: 400, reason: 'BadRequest', message });
}
/** 500 InternalError (errors.NewInternalError). */
export function newInternalError(message: string): ApiError {
  return new ApiError({ code: 500, reason: 'InternalError', message: `Internal error occurred: ${message}` });
}
