/**
 * The result of a plugin call, as the Kubernetes scheduler framework returns it instead of
 * throwing (kube-scheduler framework/interface.go: Code and Status).
 */

/** Status codes of the scheduling framework. */
export enum Code {
  Success = 0,
  /** An internal error; the pod is retried with backoff. */
  Error = 1,
  /** The pod does not fit now; preemption may help. */
  Unschedulable = 2,
  /** The pod does not fit and preemption cannot help on this node. */
  UnschedulableAndUnresolvable = 3,
  /** Permit: wait before binding. */
  Wait = 4,
  /** This plugin does not apply (PreFilter/PreScore): its Filter/Score are skipped. */
  Skip = 5,
  /** PreEnqueue: the pod stays out of the active queue. */
  Pending = 6,
}

/** A plugin's verdict with human-readable reasons (used in FailedScheduling messages). */
export class Status {
  constructor(
    readonly code: Code,
    readonly reasons: string[] = [],
    /** The plugin that produced it (set by the framework). */
    public plugin = '',
    /** The error behind a Code.Error status, kept so callers can branch on its kind (e.g. an ApiError's code). */
    readonly cause?: unknown,
  ) {}

  static success(): Status {
    return SUCCESS;
  }
  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons);
  }
  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons);
  }
  /** An internal error; `cause` is the error object, if any (see {@link Status.cause}). */
  static error(message: string, cause?: unknown): Status {
    return new Status(Code.Error, [message], '', cause);
  }
  static skip(): Status {
    return new Status(Code.Skip);
  }

  isSuccess(): boolean {
    return this.code === Code.Success;
  }
  isRejected(): boolean {
    return (
      this.code === Code.Unschedulable ||
      this.code === Code.UnschedulableAndUnresolvable ||
      this.code === Code.Pending
    );
  }
  message(): string {
    return this.reasons.join(', ');
  }
  withPlugin(name: string): Status {
    return this.code === Code.Success ? this : new Status(this.code, this.reasons, name, this.cause);
  }
}

const SUCCESS = new Status(Code.Success);

/** Merges statuses: the first non-success wins, reasons are combined. */
export function isOk(s: Status | undefined): boolean {
  return !s || s.code === Code.Success;
}
