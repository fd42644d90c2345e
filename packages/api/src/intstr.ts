/**
 * intstr.IntOrString helpers (apimachinery `pkg/util/intstr`).
 */
import { IntOrStringError } from './errors';
import type { IntOrString } from './meta';

/**
 * Resolves an IntOrString against a total, as upstream GetScaledValueFromIntOrPercent:
 * a number is returned as is; "25%" is 25% of total, rounded up (ceil) when roundUp, else down.
 * Integer arithmetic only, so 33% of 3 is exactly 0.99 → 1 (up) or 0 (down).
 * @throws IntOrStringError "nil value for IntOrString" for undefined/null;
 *   "invalid value for IntOrString: invalid type: string is not a percentage" for "5";
 *   `invalid value for IntOrString: invalid value "x%": ...` for a bad percentage.
 */
export function intOrPercent(value: IntOrString | undefined | null, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) throw new IntOrStringError('nil value for IntOrString');
  if (typeof value === 'number') return value;
  if (!value.endsWith('%')) {
    throw new IntOrStringError('invalid value for IntOrString: invalid type: string is not a percentage');
  }
  const digits = value.slice(0, -1);
  if (!/^[+-]?[0-9]+$/.test(digits)) {
    throw new IntOrStringError(
      `invalid value for IntOrString: invalid value ${JSON.stringify(value)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: invalid syntax`,
    );
  }
  const pct = BigInt(digits);
  const product = pct * BigInt(total);
  let q = product / 100n;
  const exact = q * 100n === product;
  if (!exact) {
    // BigInt division truncates toward zero; adjust to ceil/floor.
    if (roundUp && product > 0n) q += 1n;
    if (!roundUp && product < 0n) q -= 1n;
  }
  return Number(q);
}

/** Upstream IntValue(): the int, or the string parsed as an int (0 when it isn't one). */
export function intOrStringValue(value: IntOrString): number {
  if (typeof value === 'number') return value;
  const n = Number.parseInt(value, 10);
  return Number.isNaN(n) ? 0 : n;
}
