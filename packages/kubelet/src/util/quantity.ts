/**
 * resource.Quantity parsing, enough for the kubelet (Kubernetes apimachinery resource.Quantity
 * serialization: decimal SI suffixes n u m k M G T P E, binary Ki Mi Gi Ti Pi Ei, exponents e3).
 */
import { PodConfigError } from '../errors';

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity as a float (e.g. "100m" → 0.1, "1Gi" → 1073741824). Throws on bad input. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q.trim());
  if (!m) throw new PodConfigError('InvalidQuantity', `invalid quantity "${q}"`);
  const base = Number(m[1]);
  if (Number.isNaN(base)) throw new PodConfigError('InvalidQuantity', `invalid quantity "${q}"`);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? '']!;
}

/** CPU quantity in millicores, rounded up ("250m" → 250, "1" → 1000). */
export function milliCpu(q: string | number): number {
  return Math.ceil(Math.round(parseQuantity(q) * 1e6) / 1e3);
}

/** A quantity in whole units, rounded up (bytes for memory: "128Mi" → 134217728). */
export function wholeUnits(q: string | number): number {
  return Math.ceil(parseQuantity(q) - 1e-9);
}
