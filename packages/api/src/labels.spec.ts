import { LabelSelectorParseError } from './errors';
import {
  formatLabelSelector,
  labelSelectorFromStructured,
  labelsMatch,
  parseLabelSelector,
  selectorFromSet,
} from './labels';

describe('parseLabelSelector', () => {
  it('parses equality- and set-based requirements and prints them canonically (sorted by key)', () => {
    const s = parseLabelSelector('a=b,c!=d,e in (y,x),f notin (z),g,!h');
    expect(s.toString()).toBe('a=b,c!=d,e in (x,y),f notin (z),g,!h');
    expect(s.requirements.map((r) => r.operator)).toEqual(['=', '!=', 'in', 'notin', 'exists', '!']);
  });

  it('matches as upstream', () => {
    const s = parseLabelSelector('a=b,c!=d,e in (x,y),f notin (z),g,!h');
    expect(s.matches({ a: 'b', e: 'x', g: '' })).toBe(true);
    expect(s.matches({ a: 'b', e: 'x', g: '', c: 'd' })).toBe(false);
    expect(s.matches({ a: 'b', e: 'w', g: '' })).toBe(false);
    expect(s.matches({ a: 'b', e: 'x', g: '', f: 'z' })).toBe(false);
    expect(s.matches({ a: 'b', e: 'x', g: '', h: '1' })).toBe(false);
    expect(s.matches({ a: 'b', e: 'x' })).toBe(false);
    expect(parseLabelSelector('x>5').matches({ x: '6' })).toBe(true);
    expect(parseLabelSelector('x<5').matches({ x: '6' })).toBe(false);
    expect(parseLabelSelector('x==').matches({ x: '' })).toBe(true);
  });

  it('handles keywords as values and empty values like upstream', () => {
    expect(parseLabelSelector('x in (foo,,baz),y,z notin ()').toString()).toBe(
      'x in (,baz,foo),y,z notin ()',
    );
    expect(parseLabelSelector('x in (in)').matches({ x: 'in' })).toBe(true);
    expect(parseLabelSelector('example.com/app=web').matches({ 'example.com/app': 'web' })).toBe(true);
  });

  it('an empty string matches everything', () => {
    const s = parseLabelSelector('');
    expect(s.empty()).toBe(true);
    expect(s.matches(undefined)).toBe(true);
  });

  it.each([
    ['x=a,', "found '', expected: identifier after ','"],
    ['x=a b', "found 'b', expected: ',' or 'end of string'"],
    [',x=a', "found ',', expected: !, identifier, or 'end of string'"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['x ! a', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ['x=>a', "unable to parse requirement: found '>', expected: identifier"],
    [
      'x>a',
      "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
    ],
  ])('rejects %j', (input, message) => {
    expect(() => parseLabelSelector(input)).toThrow(new LabelSelectorParseError(message));
  });

  it('reports invalid keys with the qualified-name message', () => {
    expect(() => parseLabelSelector('a@b=c')).toThrow(
      "unable to parse requirement: <nil>: Invalid value: \"a@b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  });
});

describe('labelSelectorFromStructured', () => {
  it('nil matches nothing, empty matches everything', () => {
    expect(labelSelectorFromStructured(undefined).matches({ a: 'b' })).toBe(false);
    expect(labelSelectorFromStructured({}).matches({ a: 'b' })).toBe(true);
    expect(labelSelectorFromStructured({ matchLabels: {}, matchExpressions: [] }).empty()).toBe(true);
  });

  it('converts matchLabels and matchExpressions', () => {
    const s = labelSelectorFromStructured({
      matchLabels: { app: 'nginx' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['frontend', 'cache'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'track', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(s.toString()).toBe('app=nginx,env notin (dev),!legacy,tier in (cache,frontend),track');
    expect(s.matches({ app: 'nginx', tier: 'cache', track: 'x' })).toBe(true);
    expect(s.matches({ app: 'nginx', tier: 'cache', track: 'x', legacy: '1' })).toBe(false);
  });

  it('rejects unknown operators and empty In values', () => {
    expect(() => labelSelectorFromStructured({ matchExpressions: [{ key: 'a', operator: 'Foo' }] })).toThrow(
      '"Foo" is not a valid label selector operator',
    );
    expect(() =>
      labelSelectorFromStructured({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    ).toThrow("values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty");
  });

  it('formats like metav1.FormatLabelSelector', () => {
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector({ matchLabels: { app: 'web' } })).toBe('app=web');
  });
});

describe('set selectors', () => {
  it('selectorFromSet and labelsMatch', () => {
    expect(selectorFromSet({ b: '2', a: '1' }).toString()).toBe('a=1,b=2');
    expect(selectorFromSet({}).matches({ x: 'y' })).toBe(true);
    expect(labelsMatch({ app: 'web' }, { app: 'web', pod: 'x' })).toBe(true);
    expect(labelsMatch({ app: 'web' }, { app: 'db' })).toBe(false);
    expect(labelsMatch(undefined, undefined)).toBe(true);
  });
});
