/**
 * intstr.IntOrString scaling (k8s.io/apimachinery/pkg/util/intstr GetScaledValueFromIntOrPercent).
 */
import { InvalidArgumentError } from '../errors';

/**
 * Resolves an int-or-percent against `total`: numbers (or digit strings) as is; "N%" as
 * N*total/100 rounded up or down. Throws InvalidArgumentError for anything else.
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new InvalidArgumentError(
      `invalid value for IntOrString: invalid type: string is not a percentage: ${JSON.stringify(v)}`,
    );
  }
  const pct = Number(m[1]);
  return roundUp ? Math.ceil((pct * total) / 100) : Math.floor((pct * total) / 100);
}
