/**
 * Builders for metav1.Status error responses and field-error causes, with the messages of
 * apimachinery `pkg/api/errors` and `pkg/util/validation/field` (ErrorBody).
 */
import type { Status, StatusCause } from './meta';

// ---------------------------------------------------------------------------------------------
// Field errors (validation causes)

/** Go %v / %q rendering of a bad value inside a field error message. */
function fmtValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  // Go's %#v for the common composite values: map[string]string and []string.
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    return `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
  }
  if (typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')) {
    const entries = Object.entries(v as Record<string, string>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `map[string]string{${entries.map(([k, x]) => `${JSON.stringify(k)}:${JSON.stringify(x)}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

function withDetail(s: string, detail?: string): string {
  return detail ? `${s}: ${detail}` : s;
}

/** field.Required: message "Required value[: detail]". */
export function fieldRequired(field: string, detail?: string): StatusCause {
  return { reason: 'FieldValueRequired', message: withDetail('Required value', detail), field };
}

/** field.Invalid: message `Invalid value: <value>[: detail]`. */
export function fieldInvalid(field: string, value: unknown, detail?: string): StatusCause {
  return {
    reason: 'FieldValueInvalid',
    message: withDetail(`Invalid value: ${fmtValue(value)}`, detail),
    field,
  };
}

/** field.NotSupported: message `Unsupported value: <value>: supported values: "a", "b"`. */
export function fieldNotSupported(field: string, value: unknown, supported: readonly string[]): StatusCause {
  const detail = supported.length
    ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`
    : '';
  return {
    reason: 'FieldValueNotSupported',
    message: withDetail(`Unsupported value: ${fmtValue(value)}`, detail),
    field,
  };
}

/** field.Duplicate: message `Duplicate value: <value>`. */
export function fieldDuplicate(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueDuplicate', message: `Duplicate value: ${fmtValue(value)}`, field };
}

/** field.Forbidden: message "Forbidden: detail". */
export function fieldForbidden(field: string, detail: string): StatusCause {
  return { reason: 'FieldValueForbidden', message: withDetail('Forbidden', detail), field };
}

/** field.TooLong: message "Too long: must have at most N bytes". */
export function fieldTooLong(field: string, max: number): StatusCause {
  return { reason: 'FieldValueTooLong', message: `Too long: must have at most ${max} bytes`, field };
}

/** field.TooMany: message "Too many: <n>: must have at most <max> items". */
export function fieldTooMany(field: string, actual: number, max: number): StatusCause {
  return {
    reason: 'FieldValueTooMany',
    message: `Too many: ${actual}: must have at most ${max} items`,
    field,
  };
}

/** Formats a cause as field.Error.Error() does: "<field>: <message>". */
export function causeToString(c: StatusCause): string {
  return c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '');
}

// ---------------------------------------------------------------------------------------------
// Status objects

/**
 * A Failure Status with the HTTP `code`, CamelCase `reason` and `message` (Kubernetes API
 * conventions: "Response Status Kind"); `details` carries name/kind/causes when given.
 */
export function failureStatus(
  code: number,
  reason: string,
  message: string,
  details?: Status['details'],
): Status {
  const s: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) s.details = details;
  return s;
}

function qualified(resource: string, group?: string): string {
  return group ? `${resource}.${group}` : resource;
}

/**
 * 422 Invalid (errors.NewInvalid): message `<Kind>[.<group>] "<name>" is invalid: <errors>` where
 * errors is the single error or `[e1, e2]`, each `<field>: <cause message>`.
 */
export function invalidStatus(kind: string, name: string, causes: StatusCause[], group?: string): Status {
  const qk = qualified(kind, group);
  const msgs = [...new Set(causes.map(causeToString))];
  const agg = msgs.length === 0 ? '' : msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
  const message = agg
    ? `${qk} ${JSON.stringify(name)} is invalid: ${agg}`
    : `${qk} ${JSON.stringify(name)} is invalid`;
  const details: NonNullable<Status['details']> = { name, kind, causes };
  if (group) details.group = group;
  return failureStatus(422, 'Invalid', message, details);
}

/** 404 NotFound: `pods "x" not found` (resource is the plural, e.g. "pods"; group e.g. "apps"). */
export function notFoundStatus(resource: string, name: string, group?: string): Status {
  const d: NonNullable<Status['details']> = { name, kind: resource };
  if (group) d.group = group;
  return failureStatus(404, 'NotFound', `${qualified(resource, group)} ${JSON.stringify(name)} not found`, d);
}

/** 409 AlreadyExists: `pods "x" already exists`. */
export function alreadyExistsStatus(resource: string, name: string, group?: string): Status {
  const d: NonNullable<Status['details']> = { name, kind: resource };
  if (group) d.group = group;
  return failureStatus(
    409,
    'AlreadyExists',
    `${qualified(resource, group)} ${JSON.stringify(name)} already exists`,
    d,
  );
}

/** The default conflict reason for a stale resourceVersion (registry OptimisticLockErrorMsg). */
export const optimisticLockErrorMsg =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409 Conflict: `Operation cannot be fulfilled on pods "x": <reason>`. */
export function conflictStatus(
  resource: string,
  name: string,
  reason: string = optimisticLockErrorMsg,
  group?: string,
): Status {
  const d: NonNullable<Status['details']> = { name, kind: resource };
  if (group) d.group = group;
  return failureStatus(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, group)} ${JSON.stringify(name)}: ${reason}`,
    d,
  );
}

/** 400 BadRequest with the given message. */
export function badRequestStatus(message: string): Status {
  return failureStatus(400, 'BadRequest', message);
}

/** 410 Gone with the given message. */
export function goneStatus(message: string): Status {
  return failureStatus(410, 'Gone', message);
}

/** 410 Expired (errors.NewResourceExpired), e.g. for a watch from a compacted resourceVersion: "too old resource version: 5 (10)". */
export function expiredStatus(message: string): Status {
  return failureStatus(410, 'Expired', message);
}

/** 403 Forbidden: `pods "x" is forbidden: <reason>` (or `pods is forbidden: ...` without a name). */
export function forbiddenStatus(resource: string, name: string, reason: string, group?: string): Status {
  const q = qualified(resource, group);
  const message = !resource
    ? `forbidden: ${reason}`
    : name
      ? `${q} ${JSON.stringify(name)} is forbidden: ${reason}`
      : `${q} is forbidden: ${reason}`;
  const d: NonNullable<Status['details']> = { name, kind: resource };
  if (group) d.group = group;
  return failureStatus(403, 'Forbidden', message, d);
}

/** 401 Unauthorized. */
export function unauthorizedStatus(message = 'Unauthorized'): Status {
  return failureStatus(401, 'Unauthorized', message);
}

/** 405 MethodNotAllowed: `<action> is not supported on resources of kind "<resource>"`. */
export function methodNotSupportedStatus(resource: string, action: string, group?: string): Status {
  const d: NonNullable<Status['details']> = { kind: resource };
  if (group) d.group = group;
  return failureStatus(
    405,
    'MethodNotAllowed',
    `${action} is not supported on resources of kind ${JSON.stringify(qualified(resource, group))}`,
    d,
  );
}

/** 406 NotAcceptable. */
export function notAcceptableStatus(message: string): Status {
  return failureStatus(406, 'NotAcceptable', message);
}

/** 415 UnsupportedMediaType. */
export function unsupportedMediaTypeStatus(
  contentType: string,
  accepted: string[] = ['application/json', 'application/yaml'],
): Status {
  return failureStatus(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnsupportedMediaType', message: contentType }] },
  );
}

/** 413 RequestEntityTooLarge: "Request entity too large: <message>". */
export function requestEntityTooLargeStatus(message: string): Status {
  return failureStatus(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
}

/** 429 TooManyRequests: "Too many requests: <message>". */
export function tooManyRequestsStatus(message: string, retryAfterSeconds?: number): Status {
  return failureStatus(
    429,
    'TooManyRequests',
    `Too many requests: ${message}`,
    retryAfterSeconds ? { retryAfterSeconds } : undefined,
  );
}

/** 500 InternalError: "Internal error occurred: <message>". */
export function internalErrorStatus(message: string): Status {
  return failureStatus(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** 503 ServiceUnavailable. */
export function serviceUnavailableStatus(message: string): Status {
  return failureStatus(503, 'ServiceUnavailable', message);
}

/** 504 Timeout: "Timeout: <message>". */
export function timeoutStatus(message: string, retryAfterSeconds?: number): Status {
  return failureStatus(
    504,
    'Timeout',
    `Timeout: ${message}`,
    retryAfterSeconds ? { retryAfterSeconds } : undefined,
  );
}

/** A Success Status (e.g. the answer to a DELETE of a collection), code 200. */
export function successStatus(details?: Status['details']): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = details;
  return s;
}
