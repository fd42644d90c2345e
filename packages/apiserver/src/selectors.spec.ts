import { fieldMatcher, labelMatcher, parseFieldSelector, parseLabelSelector } from './selectors';
import { ApiError } from './errors';

describe('label selectors', () => {
  const m = (sel: string, labels: Record<string, string>) => labelMatcher(parseLabelSelector(sel))(labels);
  it('matches equality, set-based, existence and numeric requirements', () => {
    expect(m('', {})).toBe(true);
    expect(m('a=b', { a: 'b' })).toBe(true);
    expect(m('a==b', { a: 'c' })).toBe(false);
    expect(m('a!=b', {})).toBe(true);
    expect(m('env in (prod, staging),tier notin (db)', { env: 'prod', tier: 'web' })).toBe(true);
    expect(m('env in (prod)', { env: 'dev' })).toBe(false);
    expect(m('a,!b', { a: '' })).toBe(true);
    expect(m('!b', { b: 'x' })).toBe(false);
    expect(m('n>3', { n: '4' })).toBe(true);
    expect(m('n<3', { n: '4' })).toBe(false);
    expect(m('example.com/key=v', { 'example.com/key': 'v' })).toBe(true);
  });
  it('rejects malformed selectors with 400', () => {
    for (const bad of ['a in (b', 'a=b=c', '=x', 'n>x', 'a b', '-bad=1', 'k=' + 'v'.repeat(64)]) {
      expect(() => parseLabelSelector(bad)).toThrow(ApiError);
    }
  });
});

describe('field selectors', () => {
  it('parses =, ==, != and escaped commas', () => {
    expect(parseFieldSelector('a=b,c==d,e!=f')).toEqual([
      { field: 'a', op: '=', value: 'b' },
      { field: 'c', op: '=', value: 'd' },
      { field: 'e', op: '!=', value: 'f' },
    ]);
    const m = fieldMatcher(parseFieldSelector('spec.nodeName=,status.phase!=Failed'));
    expect(m({ 'spec.nodeName': '', 'status.phase': 'Pending' })).toBe(true);
    expect(m({ 'spec.nodeName': 'n1', 'status.phase': 'Pending' })).toBe(false);
    expect(() => parseFieldSelector('justafield')).toThrow(ApiError);
  });
});
