/** Errors of @keelson/controllers. */

/** A flag, option or spec value the controllers cannot interpret. */
export class InvalidArgumentError extends Error {
  override name = 'InvalidArgumentError';
}

/** A sync failed for a reason worth retrying (rate-limited requeue of its key). */
export class SyncError extends Error {
  override name = 'SyncError';
}
