// Example manifests from the Kubernetes documentation (testdata/docs, see its README) must pass
// the whole admission path: no unknown fields or type errors, defaults applied, no validation causes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decodeObject, encodeObject } from './codec';
import { defaultObject } from './defaults';
import { validateObject } from './validation/validate';

const dir = join(__dirname, 'testdata/docs');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('Kubernetes docs manifests', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(15));

  it.each(files)('%s', (file) => {
    const d = decodeObject(JSON.stringify(parseYaml(readFileSync(join(dir, file), 'utf8'))));
    expect(d.unknownFields).toEqual([]);
    expect(d.invalid).toEqual([]);
    const obj = d.object;
    obj.metadata.uid = '6f1c9b1e-0000-4000-8000-000000000002';
    defaultObject(obj);
    expect(validateObject(obj)).toEqual([]);
    // encoding loses nothing and is a fixed point
    const wire = encodeObject(obj);
    expect(JSON.parse(wire)).toEqual(JSON.parse(JSON.stringify(obj)));
    expect(encodeObject(decodeObject(wire).object)).toBe(wire);
  });
});
