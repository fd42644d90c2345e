/** Go-style durations ("40s", "5m", "1h30m", "500ms") to milliseconds. */
import { InvalidArgumentError } from '../errors';

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go time.Duration string (a bare number means seconds). Throws InvalidArgumentError. */
export function parseDuration(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of v.matchAll(re)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== v.length || consumed === 0)
    throw new InvalidArgumentError(`invalid duration "${v}" (e.g. 40s, 5m, 1h30m)`);
  return total;
}
