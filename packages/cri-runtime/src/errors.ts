import { status } from '@grpc/grpc-js';

/**
 * An error the CRI server answers with a specific gRPC status code. Handlers throw it; the server
 * maps `code` to the gRPC status and `message` to its details (CRI runtime.v1 has no richer error
 * model). Any other thrown error becomes INTERNAL.
 */
export class CriError extends Error {
  /**
   * @param code gRPC status code (e.g. `status.NOT_FOUND`)
   * @param message one clear sentence naming the object and what is wrong
   */
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'CriError';
  }
}

/** A sandbox, container or image id/reference that does not exist: NOT_FOUND. */
export function notFound(message: string): CriError {
  return new CriError(status.NOT_FOUND, message);
}

/** A malformed or incomplete request: INVALID_ARGUMENT. */
export function invalid(message: string): CriError {
  return new CriError(status.INVALID_ARGUMENT, message);
}

/** A request that conflicts with the object's state (e.g. name reuse, wrong state): FAILED_PRECONDITION. */
export function precondition(message: string): CriError {
  return new CriError(status.FAILED_PRECONDITION, message);
}

/** A name already taken: ALREADY_EXISTS. */
export function alreadyExists(message: string): CriError {
  return new CriError(status.ALREADY_EXISTS, message);
}

/** A blob whose content does not match its digest (registry pull or import). */
export class DigestMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
    what: string,
  ) {
    super(`${what}: digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

/** A command (runc, crun, mount, tar, ...) that exited non-zero. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `${command} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
    this.name = 'CommandError';
  }
}

/**
 * An image build that cannot proceed: a Dockerfile error (`Dockerfile:<line>: <reason>`), a
 * missing base image or context file, or a RUN step that exited non-zero.
 */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}
