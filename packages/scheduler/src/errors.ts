/** A scheduler configuration (profile YAML, plugin names, weights) is invalid. */
export class SchedulerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulerConfigError';
  }
}
