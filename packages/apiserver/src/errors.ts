/**
 * Errors of @keelson/apiserver. Every failure the API reports is an {@link ApiError} carrying a
 * Kubernetes `Status` (Kubernetes API conventions: "Response Status Kind"); REST answers it as the
 * body with `code` as the HTTP status, gRPC maps it to a status code plus `keelson-status-bin`.
 */
import { failureStatus, type Status, type StatusCause } from '@keelson/api';

/** An API failure: the HTTP code and the Status object sent to the client. */
export class ApiError extends Error {
  /** The Status object (kind Status, status Failure). */
  readonly status: Status;
  /** Extra HTTP headers (e.g. Retry-After). */
  readonly headers: Record<string, string>;
  constructor(status: Status, headers: Record<string, string> = {}) {
    super(status.message ?? status.reason ?? 'error');
    this.name = 'ApiError';
    this.status = status;
    this.headers = headers;
  }
  /** HTTP status code (500 when the Status has none). */
  get code(): number {
    return this.status.code ?? 500;
  }
}

/** Builds a Failure Status (@keelson/api's {@link failureStatus}). */
export const failure = failureStatus;

/** Qualified resource as upstream prints it in messages: "pods", "deployments.apps". */
export function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** 404 NotFound: `pods "x" not found`. */
export function notFound(group: string, resource: string, name: string): ApiError {
  return new ApiError(
    failure(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, {
      name,
      group: group || undefined,
      kind: resource,
    }),
  );
}

/** 409 AlreadyExists: `pods "x" already exists`. */
export function alreadyExists(group: string, resource: string, name: string): ApiError {
  return new ApiError(
    failure(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, {
      name,
      group: group || undefined,
      kind: resource,
    }),
  );
}

/** 409 Conflict: `Operation cannot be fulfilled on pods "x": <why>`. */
export function conflict(group: string, resource: string, name: string, why: string): ApiError {
  return new ApiError(
    failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`,
      {
        name,
        group: group || undefined,
        kind: resource,
      },
    ),
  );
}

/** The message upstream uses for a stale resourceVersion. */
export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 Invalid: `Pod "x" is invalid: [spec.containers: Required value, ...]`. */
export function invalid(group: string, kind: string, name: string, causes: StatusCause[]): ApiError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : `${c.message}`));
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(
    failure(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${list}`, {
      name,
      group: group || undefined,
      kind,
      causes,
    }),
  );
}

/** 400 BadRequest with a message. */
export function badRequest(message: string, causes?: StatusCause[]): ApiError {
  return new ApiError(failure(400, 'BadRequest', message, causes ? { causes } : undefined));
}

/** 410 Gone, reason Expired (compacted resourceVersion or continue token). */
export function gone(message: string): ApiError {
  return new ApiError(failure(410, 'Expired', message));
}

/** 403 Forbidden. */
export function forbidden(group: string, resource: string, name: string, why: string): ApiError {
  return new ApiError(
    failure(403, 'Forbidden', `${qualified(resource, group)} "${name}" is forbidden: ${why}`, {
      name,
      group: group || undefined,
      kind: resource,
    }),
  );
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(
  message = 'the server does not allow this method on the requested resource',
): ApiError {
  return new ApiError(failure(405, 'MethodNotAllowed', message));
}

/** 406 NotAcceptable. */
export function notAcceptable(message: string): ApiError {
  return new ApiError(failure(406, 'NotAcceptable', message));
}

/** 413 RequestEntityTooLarge. */
export function tooLarge(limit: number): ApiError {
  return new ApiError(failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`));
}

/** 415 UnsupportedMediaType. */
export function unsupportedMediaType(type: string): ApiError {
  return new ApiError(
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${type})`,
    ),
  );
}

/** 500 InternalError. */
export function internalError(err: unknown): ApiError {
  const msg = err instanceof Error ? err.message : String(err);
  return new ApiError(
    failure(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] }),
  );
}

/** 504 Timeout (e.g. a resourceVersion newer than the store). */
export function timeout(message: string, retryAfterSeconds = 1): ApiError {
  return new ApiError(failure(504, 'Timeout', message, { retryAfterSeconds }), {
    'Retry-After': String(retryAfterSeconds),
  });
}

/** Wraps anything thrown into an ApiError (500 unless it already is one). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return internalError(err);
}

/** Storage layer errors, translated to ApiError by the registry. */
export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** The key already exists (create). */
export class KeyExistsError extends StorageError {}
/** The key does not exist. */
export class KeyNotFoundError extends StorageError {}
/** The compare on modRevision failed (the object changed). */
export class RevisionConflictError extends StorageError {}
/** The revision asked for was compacted. */
export class StorageCompactedError extends StorageError {
  /** Compact revision of the store. */
  readonly compactRevision: number;
  constructor(compactRevision: number, message?: string) {
    super(message ?? `required revision has been compacted (compact revision ${compactRevision})`);
    this.compactRevision = compactRevision;
  }
}
/** The revision asked for is newer than the store's current one. */
export class StorageFutureRevisionError extends StorageError {}
