/** The logger the kubelet writes to (pino-compatible subset). */
import pino from 'pino';

/** A structured logger: (fields, message). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A pino logger to stderr at `level` (default "info"). */
export function createLogger(level = process.env.KEELSON_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { component: 'kubelet' } }, pino.destination(2));
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
