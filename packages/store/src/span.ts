// Validation of request input and key spans (etcd range semantics: single key, [key, end),
// key-and-above with end '\0', prefix).
import { EmptyKeyError, InvalidArgumentError, InvalidRangeError, ValueTooLargeError } from './errors';

/** Largest value accepted, bytes: 1.5 MiB, etcd's default --max-request-bytes. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;

/** Most ops in one txn branch. */
export const MAX_TXN_OPS = 10_000;

/** A validated key span: `end` undefined = the single key `start`; `end` null = unbounded. */
export interface KeySpan {
  start: string;
  end: string | null | undefined;
}

/** The smallest string greater than every string starting with `p`, or null if none. */
export function prefixEnd(p: string): string | null {
  let s = p;
  while (s.length && s.charCodeAt(s.length - 1) === 0xffff) s = s.slice(0, -1);
  if (!s.length) return null;
  return s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) + 1);
}

/**
 * Builds the span of a range, delete or watch.
 * @throws EmptyKeyError for an empty key outside a prefix / '\0' range;
 *         InvalidRangeError for end <= key or end together with prefix.
 */
export function makeSpan(key: unknown, end: unknown, prefix: unknown): KeySpan {
  if (typeof key !== 'string') throw new InvalidArgumentError('key must be a string');
  if (end !== undefined && typeof end !== 'string')
    throw new InvalidArgumentError('range end must be a string');
  if (prefix !== undefined && typeof prefix !== 'boolean')
    throw new InvalidArgumentError('prefix must be a boolean');
  if (prefix && end !== undefined) throw new InvalidRangeError('give either a range end or prefix, not both');
  if (prefix) return { start: key, end: prefixEnd(key) };
  if (end === '\0') return { start: key, end: null };
  if (key === '') throw new EmptyKeyError();
  if (end === undefined) return { start: key, end: undefined };
  if (end <= key)
    throw new InvalidRangeError(
      `range end ${JSON.stringify(end)} must be greater than key ${JSON.stringify(key)}`,
    );
  return { start: key, end };
}

/** Whether `k` is inside `span`. */
export function spanContains(span: KeySpan, k: string): boolean {
  if (span.end === undefined) return k === span.start;
  return k >= span.start && (span.end === null || k < span.end);
}

/** Checks a key for put. @throws EmptyKeyError, InvalidArgumentError (not a string, lone surrogate) */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new InvalidArgumentError('key must be a string');
  if (key === '') throw new EmptyKeyError();
  // Keys are stored as UTF-8; a lone surrogate would come back as U+FFFD, a different key.
  if (LONE_SURROGATE.test(key))
    throw new InvalidArgumentError('key must be well-formed UTF-16 (no lone surrogates)');
  return key;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks a value for put. @throws InvalidArgumentError, ValueTooLargeError */
export function checkValue(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError('value must be a Uint8Array');
  if (value.byteLength > MAX_VALUE_BYTES) throw new ValueTooLargeError(value.byteLength, MAX_VALUE_BYTES);
  return value;
}

/** Checks an optional non-negative integer option (revision, limit). @throws InvalidArgumentError */
export function checkCount(name: string, n: unknown): number {
  if (n === undefined || n === null) return 0;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${String(n)}`);
  }
  return n;
}
