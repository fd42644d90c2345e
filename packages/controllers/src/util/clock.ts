/**
 * metav1.Time helpers. Time itself (Clock, realClock, FakeClock) comes from @keelson/client.
 */

/** RFC 3339 (second precision, like metav1.Time) for an epoch-ms time. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parses a metav1.Time; undefined for missing/invalid. */
export function parseTime(t: string | undefined | null): number | undefined {
  if (!t) return undefined;
  const v = Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
}
