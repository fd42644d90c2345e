import fc from 'fast-check';
import {
  QuantityValue,
  addQuantities,
  canonicalQuantity,
  compareQuantities,
  parseQuantity,
  quantityMilliValue,
  quantityValue,
  subQuantities,
} from './quantity';
import { QuantityParseError } from './errors';

// Expected values from apimachinery quantity_test.go (TestQuantityParse / TestQuantityString /
// TestQuantityParseEmit) and the Kubernetes docs ("Resource units in Kubernetes").
describe('Quantity parse', () => {
  const cases: [string, bigint, number, string][] = [
    // input, unscaled, scale, format
    ['0', 0n, 0, 'DecimalSI'],
    ['0Ki', 0n, 0, 'BinarySI'],
    ['1Ki', 1024n, 0, 'BinarySI'],
    ['7Mi', 7n * 1024n * 1024n, 0, 'BinarySI'],
    ['3Ei', 3n << 60n, 0, 'BinarySI'],
    ['5n', 5n, -9, 'DecimalSI'],
    ['4u', 4n, -6, 'DecimalSI'],
    ['3m', 3n, -3, 'DecimalSI'],
    ['50k', 5n, 4, 'DecimalSI'],
    ['1E', 1n, 18, 'DecimalSI'],
    ['1E-3', 1n, -3, 'DecimalExponent'],
    ['1e3', 1n, 3, 'DecimalExponent'],
    ['1.3E+6', 13n, 5, 'DecimalExponent'],
    ['100.035k', 100035n, 0, 'DecimalSI'],
    ['0.0005k', 5n, -1, 'DecimalSI'],
    ['7.123456M', 7123456n, 0, 'DecimalSI'],
    ['3.001n', 4n, -9, 'DecimalSI'],
    ['1.1E-9', 2n, -9, 'DecimalExponent'],
    ['0.0000000005', 1n, -9, 'DecimalSI'],
    ['0.00000012345', 124n, -9, 'DecimalSI'],
    ['9Ei', (1n << 63n) - 1n, 0, 'BinarySI'],
    ['100.035Ki', 10243584n, -2, 'BinarySI'],
    ['0.5Mi', 524288n, 0, 'BinarySI'],
    ['0.000000000001Ki', 2n, -9, 'DecimalSI'],
    ['.001', 1n, -3, 'DecimalSI'],
    ['1.', 1n, 0, 'DecimalSI'],
    ['1.G', 1n, 9, 'DecimalSI'],
  ];
  it.each(cases)('%s', (input, unscaled, scale, format) => {
    const q = parseQuantity(input);
    expect(q.cmp(new QuantityValue(unscaled, scale, 'DecimalSI'))).toBe(0);
    expect(q.format).toBe(format);
    const neg = parseQuantity('-' + input);
    expect(neg.cmp(new QuantityValue(-unscaled, scale, 'DecimalSI'))).toBe(0);
    expect(parseQuantity('+' + input).cmp(q)).toBe(0);
  });

  it('handles extreme exponents without building huge numbers', () => {
    expect(canonicalQuantity('1e-2147483647')).toBe('1e-9');
    expect(canonicalQuantity('-1e-2147483647')).toBe('-1e-9');
    expect(canonicalQuantity('1e999')).toBe('1e999');
    expect(() => parseQuantity('1e2147483647')).toThrow('quantity too large');
    expect(() => parseQuantity('1e2147483648')).toThrow(QuantityParseError);
  });

  it.each(['', '1.1.M', '1+1.0M', '0.1mi', '0.1am', 'aoeu', '.5i', '1i', '-3.01i', '-3.01e-', ' 1', '1 '])(
    'rejects %j',
    (input) => {
      expect(() => parseQuantity(input)).toThrow(QuantityParseError);
    },
  );
});

describe('Quantity canonical form', () => {
  const cases: [string, string][] = [
    ['1Ki', '1Ki'],
    ['1024Mi', '1Gi'],
    ['1000M', '1G'],
    ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'],
    ['.000000001Ki', '1024n'],
    ['.000000000001Ki', '2n'],
    ['1500m', '1500m'],
    ['1.5', '1500m'],
    ['0.5Gi', '512Mi'],
    ['1e3', '1e3'],
    ['1.5Gi', '1536Mi'],
    ['300Mi', '300Mi'],
    ['307200Ki', '300Mi'],
    ['1001Gi', '1001Gi'],
    ['1024Gi', '1Ti'],
    ['0.001T', '1G'],
    ['1080m', '1080m'],
    ['1.08', '1080m'],
    ['1000E', '1e21'],
    ['1025', '1025'],
    ['0.001e12', '1e9'],
    ['0.001e0', '1e-3'],
    ['1000e-12', '1e-9'],
    ['00', '0'],
    ['1000u', '1m'],
    ['0.1', '100m'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['123Mi', '123Mi'],
    ['129M', '129M'],
    ['1000', '1k'],
    ['2048', '2048'],
  ];
  it.each(cases)('%s → %s', (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
    if (expected !== '0') expect(canonicalQuantity('-' + input)).toBe('-' + expected);
  });

  it('prints binary values below 1024 or fractional as decimal SI', () => {
    expect(new QuantityValue(5n, 0, 'BinarySI').toString()).toBe('5');
    expect(new QuantityValue(500n, -3, 'BinarySI').toString()).toBe('500m');
    expect(new QuantityValue(1000n, 0, 'BinarySI').toString()).toBe('1k');
    expect(new QuantityValue(1234567n, -3, 'BinarySI').toString()).toBe('1234567m');
  });

  it('canonical form round-trips and is a fixed point (property)', () => {
    const suffixes = ['', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'Ki', 'Mi', 'Gi', 'Ti', 'e3', 'e-3', 'E6'];
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom(...suffixes),
        (neg, digits, fracLen, suffix) => {
          const s = digits.toString().padStart(fracLen + 1, '0');
          const text = `${neg ? '-' : ''}${fracLen ? s.slice(0, -fracLen) + '.' + s.slice(-fracLen) : s}${suffix}`;
          const q = parseQuantity(text);
          const canon = q.toString();
          const again = parseQuantity(canon);
          expect(again.cmp(q)).toBe(0);
          expect(again.toString()).toBe(canon);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('Quantity arithmetic properties', () => {
  const q = fc
    .tuple(
      fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
      fc.integer({ min: -9, max: 12 }),
      fc.constantFrom('DecimalSI', 'BinarySI', 'DecimalExponent'),
    )
    .map(([u, s, f]) => new QuantityValue(u, s, f as 'DecimalSI'));
  it('(a + b) - b = a, a + b = b + a, cmp is antisymmetric and agrees with sub', () => {
    fc.assert(
      fc.property(q, q, (a, b) => {
        expect(a.add(b).sub(b).cmp(a)).toBe(0);
        expect(a.add(b).cmp(b.add(a))).toBe(0);
        expect(a.cmp(b) + b.cmp(a)).toBe(0);
        expect(a.sub(b).sign()).toBe(a.cmp(b));
        // Binary quantities above 2^63-1 saturate on parse (upstream maxAllowed), so round-trip below that.
        const lim = new QuantityValue(1n << 62n, 0, 'DecimalSI');
        if (a.cmp(lim) < 0 && a.cmp(lim.neg()) > 0) expect(parseQuantity(a.toString()).cmp(a)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('Quantity values and arithmetic', () => {
  it('milliValue and value round up like upstream', () => {
    expect(quantityMilliValue('100m')).toBe(100);
    expect(quantityMilliValue('0.5')).toBe(500);
    expect(quantityMilliValue('2')).toBe(2000);
    expect(quantityMilliValue('1n')).toBe(1);
    expect(quantityValue('128Mi')).toBe(134217728);
    expect(quantityValue('1G')).toBe(1_000_000_000);
    expect(quantityValue('1.5')).toBe(2);
    expect(quantityValue('-1.5')).toBe(-2);
    expect(quantityValue('1e3')).toBe(1000);
  });

  it('compares across formats', () => {
    expect(compareQuantities('0', '0')).toBe(0);
    expect(compareQuantities('100m', '50m')).toBe(1);
    expect(compareQuantities('50m', '100m')).toBe(-1);
    expect(compareQuantities('10000T', '100Gi')).toBe(1);
    expect(compareQuantities('1Gi', '1073741824')).toBe(0);
    expect(compareQuantities('1k', '1e3')).toBe(0);
  });

  it('adds and subtracts exactly, keeping the suffix across zero', () => {
    expect(addQuantities('100m', '0')).toBe('100m');
    expect(addQuantities('0', '100m')).toBe('100m');
    expect(addQuantities('0', '1Gi')).toBe('1Gi');
    expect(subQuantities('0', '1Gi')).toBe('-1Gi');
    expect(addQuantities('0.1', '0.2')).toBe('300m');
    expect(addQuantities('1Gi', '512Mi')).toBe('1536Mi');
    expect(subQuantities('1', '250m')).toBe('750m');
    expect(new QuantityValue(901n, -2, 'DecimalSI').neg().toString()).toBe('-9010m');
  });
});
