/** Errors raised by the kubelet. */

/** Base class of every kubelet error. */
export class KubeletError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A CRI call failed; `code` is the gRPC status code (e.g. 5 NOT_FOUND, 12 UNIMPLEMENTED) when known. */
export class CriError extends KubeletError {
  constructor(
    readonly method: string,
    message: string,
    readonly code?: number,
  ) {
    super(`CRI ${method}: ${message}`);
  }
}

/** A CNI plugin failed (CNI spec 1.0.0 "Error" result: code, msg, details). */
export class CniError extends KubeletError {
  constructor(
    readonly plugin: string,
    readonly command: string,
    message: string,
    readonly code?: number,
  ) {
    super(`CNI ${plugin} ${command}: ${message}`);
  }
}

/** A pod could not be converted into runtime configuration (e.g. a missing ConfigMap key). */
export class PodConfigError extends KubeletError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Bad command-line flags or options. */
export class ConfigError extends KubeletError {}
