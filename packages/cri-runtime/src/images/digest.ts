import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DigestMismatchError } from '../errors';

/** `sha256:<hex>` of a buffer. */
export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** `sha256:<hex>` of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** Throws {@link DigestMismatchError} unless `actual === expected`. */
export function checkDigest(expected: string, actual: string, what: string): void {
  if (expected !== actual) throw new DigestMismatchError(expected, actual, what);
}

/** Validates the `sha256:<64 hex>` form (the only algorithm accepted). */
export function isDigest(s: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(s);
}
