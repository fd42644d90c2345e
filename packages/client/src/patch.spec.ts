import { applyMergePatch, applyPatchOfType } from './patch';

describe('patches', () => {
  it('merge patch follows RFC 7386', () => {
    expect(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } })).toEqual({
      a: 'z',
      c: { d: 'e' },
    });
    expect(applyMergePatch({ a: [1, 2] }, { a: [3] })).toEqual({ a: [3] });
    expect(applyMergePatch({ a: 1 }, { b: { c: null } })).toEqual({ a: 1, b: {} });
  });
  it('apply patches may be YAML text; bad patches are 400', () => {
    expect(
      applyPatchOfType({ metadata: { name: 'x' } }, 'apply', 'metadata:\n  labels:\n    a: b\n'),
    ).toEqual({ metadata: { name: 'x', labels: { a: 'b' } } });
    expect(() => applyPatchOfType({}, 'merge', '{nope')).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => applyPatchOfType({}, 'json', { op: 'add' })).toThrow(expect.objectContaining({ code: 400 }));
  });
});
