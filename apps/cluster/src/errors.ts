/** A CLI failure with a one-line message for the user; the CLI prints it and exits 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
