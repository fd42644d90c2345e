/**
 * resource.Quantity: fixed-point decimal numbers with SI / binary suffixes, e.g. "100m" (0.1 CPU),
 * "128Mi" (134217728 bytes), "1.5" (= "1500m"), "1e3".
 *
 * Semantics follow apimachinery `pkg/api/resource/quantity.go`:
 * - parse accepts `[+-]digits[.digits]` followed by a decimal SI suffix (n u m "" k M G T P E),
 *   a binary suffix (Ki Mi Gi Ti Pi Ei) or a decimal exponent (e3, E-2, e+6);
 * - values are rounded up (away from zero) to nano precision;
 * - Keelson-specific: magnitudes of 10^1000 and above are rejected ("quantity too large");
 * - binary quantities are capped at 2^63-1; a binary value in (0, 1) becomes decimal SI;
 * - the canonical string keeps the format of the input (binary, decimal SI, exponent) with the
 *   largest suffix that keeps the mantissa an integer ("1.5" → "1500m", "0.5Gi" → "512Mi",
 *   "1024Mi" → "1Gi", "1e3" → "1e3"); binary values below 1024 or not integral print as decimal SI.
 * All arithmetic is exact (bigint).
 */
import { QuantityParseError } from './errors';

/** How a Quantity prints: "BinarySI" (Ki..Ei), "DecimalSI" (m, k, M ...), "DecimalExponent" (e3). */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

/** Upstream ErrFormatWrong. */
export const quantityFormatError =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_BY_EXP = new Map<number, string>(Object.entries(DECIMAL_SUFFIX).map(([k, v]) => [v, k]));
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const BINARY_BY_EXP = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const MAX_INT64 = (1n << 63n) - 1n;
/**
 * Keelson rejects quantities of 10^1000 or more (upstream accepts exponents up to 2^31-1); this
 * bounds the exact bigint arithmetic. Anything above 2^63 saturates upstream's Value() anyway.
 */
const MAX_MAGNITUDE = 1000;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Divides a by b (b > 0) rounding away from zero. */
function divUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  if (q * b === a) return q;
  return a < 0n ? q - 1n : q + 1n;
}

/**
 * An exact parsed Quantity: value = unscaled × 10^scale, plus the format it prints in.
 * Immutable; arithmetic returns new values.
 */
export class QuantityValue {
  /** The unscaled integer, with trailing zeros moved into scale (0 has scale 0). */
  readonly unscaled: bigint;
  /** Power of ten (≥ -9 after parsing). */
  readonly scale: number;
  readonly format: QuantityFormat;

  constructor(unscaled: bigint, scale: number, format: QuantityFormat) {
    let u = unscaled;
    let s = scale;
    if (u === 0n) s = 0;
    else
      while (u % 10n === 0n) {
        u /= 10n;
        s++;
      }
    this.unscaled = u;
    this.scale = s;
    this.format = format;
  }

  /**
   * Parses a Quantity string (apimachinery ParseQuantity).
   * @throws QuantityParseError with upstream's messages ("quantities must match the regular
   *   expression ...", "unable to parse quantity's suffix").
   */
  static parse(input: string): QuantityValue {
    if (input.length === 0) throw new QuantityParseError(quantityFormatError);
    const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(input);
    if (!m || (m[2] === '' && m[3] === undefined)) throw new QuantityParseError(quantityFormatError);
    const negative = m[1] === '-';
    const num = m[2] || '0';
    const frac = m[3] ?? '';
    const suffix = m[4];
    let format: QuantityFormat;
    let unscaled = BigInt(num + frac);
    let scale = -frac.length;
    if (suffix in DECIMAL_SUFFIX) {
      format = 'DecimalSI';
      scale += DECIMAL_SUFFIX[suffix];
    } else if (suffix in BINARY_SUFFIX) {
      format = 'BinarySI';
      unscaled *= 1n << BigInt(BINARY_SUFFIX[suffix]);
    } else if (/^[eE][+-]?[0-9]+$/.test(suffix)) {
      format = 'DecimalExponent';
      const exp = Number(suffix.slice(1));
      if (!Number.isSafeInteger(exp) || exp > 2147483647 || exp < -2147483648) {
        throw new QuantityParseError("unable to parse quantity's suffix");
      }
      scale += exp;
    } else if (/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) {
      throw new QuantityParseError("unable to parse quantity's suffix");
    } else {
      throw new QuantityParseError(quantityFormatError);
    }
    // Round up (away from zero) to nano precision.
    if (scale < -9 && unscaled !== 0n) {
      // Below 1n altogether (e.g. "1e-2147483647"): rounds up to 1n without building 10^2147483647.
      if (unscaled.toString().length + scale <= -9) unscaled = 1n;
      else unscaled = divUp(unscaled, pow10(-9 - scale));
      scale = -9;
    }
    if (unscaled !== 0n && unscaled.toString().length + scale > MAX_MAGNITUDE) {
      throw new QuantityParseError(`quantity too large: magnitude above 1e${MAX_MAGNITUDE}`);
    }
    if (format === 'BinarySI') {
      const v = new QuantityValue(unscaled, scale, format);
      if (v.cmp(new QuantityValue(MAX_INT64, 0, format)) > 0) {
        unscaled = MAX_INT64;
        scale = 0;
      } else if (unscaled !== 0n && v.cmp(new QuantityValue(1n, 0, format)) < 0) {
        format = 'DecimalSI';
      }
    }
    return new QuantityValue(negative ? -unscaled : unscaled, scale, format);
  }

  /** Builds a value from an integer number of units (bytes, cores ...). */
  static fromInteger(n: number | bigint, format: QuantityFormat = 'DecimalSI'): QuantityValue {
    return new QuantityValue(BigInt(n), 0, format);
  }

  /** Builds a value from thousandths (millicores). */
  static fromMilli(n: number | bigint, format: QuantityFormat = 'DecimalSI'): QuantityValue {
    return new QuantityValue(BigInt(n), -3, format);
  }

  /** -1, 0 or 1. */
  sign(): number {
    return this.unscaled === 0n ? 0 : this.unscaled < 0n ? -1 : 1;
  }

  isZero(): boolean {
    return this.unscaled === 0n;
  }

  /** Compares numerically: -1 if this < other, 0 if equal, 1 if greater. Format is ignored. */
  cmp(other: QuantityValue): number {
    const s = Math.min(this.scale, other.scale);
    const a = this.unscaled * pow10(this.scale - s);
    const b = other.unscaled * pow10(other.scale - s);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** this + other; keeps this format unless this is zero (then other's), as upstream Add. */
  add(other: QuantityValue): QuantityValue {
    const s = Math.min(this.scale, other.scale);
    const sum = this.unscaled * pow10(this.scale - s) + other.unscaled * pow10(other.scale - s);
    return new QuantityValue(sum, s, this.isZero() ? other.format : this.format);
  }

  /** this - other; keeps this format unless this is zero (then other's), as upstream Sub. */
  sub(other: QuantityValue): QuantityValue {
    return this.add(other.neg());
  }

  neg(): QuantityValue {
    return new QuantityValue(-this.unscaled, this.scale, this.format);
  }

  /** The value scaled to 10^scale, rounded up (away from zero) as upstream ScaledValue. */
  scaledValueBig(scale: number): bigint {
    const d = this.scale - scale;
    if (d >= 0) return this.unscaled * pow10(d);
    return divUp(this.unscaled, pow10(-d));
  }

  /** Integer value rounded up (away from zero): bytes for memory, cores for CPU. Exact up to 2^53. */
  value(): number {
    return Number(this.scaledValueBig(0));
  }

  /** Thousandths, rounded up (away from zero): millicores for CPU. Exact up to 2^53. */
  milliValue(): number {
    return Number(this.scaledValueBig(-3));
  }

  /** The approximate value as a float (for display and ratios only). */
  toNumber(): number {
    return Number(this.unscaled) * 10 ** this.scale;
  }

  /** The canonical string, as Kubernetes serializes it (Quantity.String). */
  toString(): string {
    if (this.unscaled === 0n) return '0';
    const neg = this.unscaled < 0n;
    const abs = neg ? -this.unscaled : this.unscaled;
    let format = this.format;
    if (format === 'BinarySI') {
      // Not integral, or |v| < 1024: print as decimal SI (upstream CanonicalizeBytes).
      if (this.scale < 0 || abs * pow10(this.scale) < 1024n) format = 'DecimalSI';
    }
    let body: string;
    if (format === 'BinarySI') {
      let v = abs * pow10(this.scale);
      let k = 0;
      while (k < 6 && v % 1024n === 0n) {
        v /= 1024n;
        k++;
      }
      body = `${v}${BINARY_BY_EXP[k]}`;
    } else {
      // Largest exponent that is a multiple of 3 and ≤ scale keeps the mantissa integral.
      const e = Math.floor(this.scale / 3) * 3;
      const mantissa = abs * pow10(this.scale - e);
      if (e === 0) body = `${mantissa}`;
      else if (format === 'DecimalSI' && DECIMAL_BY_EXP.has(e)) body = `${mantissa}${DECIMAL_BY_EXP.get(e)}`;
      else body = `${mantissa}e${e}`;
    }
    return neg ? `-${body}` : body;
  }
}

/** Parses a Quantity string. @throws QuantityParseError */
export function parseQuantity(s: string): QuantityValue {
  return QuantityValue.parse(s);
}

/** The canonical form of a Quantity string ("1.5" → "1500m"). @throws QuantityParseError */
export function canonicalQuantity(s: string): string {
  return QuantityValue.parse(s).toString();
}

/** Compares two Quantity strings numerically (-1, 0, 1). @throws QuantityParseError */
export function compareQuantities(a: string, b: string): number {
  return QuantityValue.parse(a).cmp(QuantityValue.parse(b));
}

/** Millicores (or thousandths) of a Quantity string, rounded up. @throws QuantityParseError */
export function quantityMilliValue(s: string): number {
  return QuantityValue.parse(s).milliValue();
}

/** Integer value (bytes, units) of a Quantity string, rounded up. @throws QuantityParseError */
export function quantityValue(s: string): number {
  return QuantityValue.parse(s).value();
}

/** a + b in canonical form, format of a (or b when a is zero). @throws QuantityParseError */
export function addQuantities(a: string, b: string): string {
  return QuantityValue.parse(a).add(QuantityValue.parse(b)).toString();
}

/** a - b in canonical form. @throws QuantityParseError */
export function subQuantities(a: string, b: string): string {
  return QuantityValue.parse(a).sub(QuantityValue.parse(b)).toString();
}

/** True when s parses as a Quantity. */
export function isQuantity(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  try {
    QuantityValue.parse(s);
    return true;
  } catch {
    return false;
  }
}
