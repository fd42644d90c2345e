/** Structured logs (pino), one file per component under the data dir's logs/. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

/** A logger writing JSON lines to `file` (created with its directory). */
export function componentLogger(component: string, file: string): Logger {
  mkdirSync(dirname(file), { recursive: true });
  return pino(
    { name: component, level: process.env.KEELSON_LOG_LEVEL ?? 'info' },
    pino.destination({ dest: file, sync: false, mkdir: true }),
  );
}
