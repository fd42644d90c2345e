import { intOrPercent, intOrStringValue } from './intstr';
import { IntOrStringError } from './errors';

describe('intOrPercent (GetScaledValueFromIntOrPercent)', () => {
  it.each([
    [5, 10, true, 5],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['25%', 4, true, 1],
    ['25%', 4, false, 1],
    ['0%', 7, true, 0],
    ['100%', 7, false, 7],
    ['33%', 3, true, 1],
    ['33%', 3, false, 0],
    ['10%', 0, true, 0],
  ] as const)('%j of %d (roundUp=%s) = %d', (v, total, up, want) => {
    expect(intOrPercent(v, total, up)).toBe(want);
  });

  it('rejects strings that are not percentages, with upstream messages', () => {
    expect(() => intOrPercent('5', 10, true)).toThrow(
      'invalid value for IntOrString: invalid type: string is not a percentage',
    );
    expect(() => intOrPercent('x%', 10, true)).toThrow(IntOrStringError);
    expect(() => intOrPercent(undefined, 10, true)).toThrow('nil value for IntOrString');
  });

  it('IntValue parses numeric strings', () => {
    expect(intOrStringValue('8080')).toBe(8080);
    expect(intOrStringValue('http')).toBe(0);
    expect(intOrStringValue(3)).toBe(3);
  });
});
