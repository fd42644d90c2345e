// What kubectl sends must decode without unknown fields or type errors, default, validate cleanly
// and re-encode in kubectl's own field order (testdata/kubectl-create, see testdata/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeObject, encodeObject } from './codec';
import { defaultObject } from './defaults';
import { validateObject } from './validation/validate';
import { resourceForKind } from './resources';

const dir = join(__dirname, 'testdata/kubectl-create');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, dropNulls(x)]),
    );
  }
  return v;
}

describe('objects produced by kubectl create --dry-run=client', () => {
  it.each(files)('%s', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const d = decodeObject(text);
    expect(d.unknownFields).toEqual([]);
    expect(d.invalid).toEqual([]);
    // re-encoding keeps kubectl's key order (minus nulls)
    expect(encodeObject(d.object)).toBe(JSON.stringify(dropNulls(JSON.parse(text))));
    const obj = d.object;
    if (resourceForKind(obj.apiVersion!, obj.kind!)?.namespaced) obj.metadata.namespace = 'default';
    obj.metadata.uid = '6f1c9b1e-0000-4000-8000-000000000001';
    defaultObject(obj);
    expect(validateObject(obj)).toEqual([]);
    // an update that changes nothing is valid too
    expect(validateObject(JSON.parse(JSON.stringify(obj)), obj)).toEqual([]);
  });
});
