// Cross-checks the hand-written schema tables against the OpenAPI-generated models shipped in
// @kubernetes/client-node (a root devDependency): every field we declare must exist there under the
// same JSON name with a compatible type. Catches typos in field names and wrong wire types.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { schemas, typePackages } from './index';
import type { FieldSchema } from './types';

const modelsDir = join(__dirname, '../../../../node_modules/@kubernetes/client-node/dist/gen/models');

// Our type name → client-node model class (when it isn't simply V1<Name>).
const CLASS: Record<string, string> = {
  EndpointSlicePort: 'DiscoveryV1EndpointPort',
  EndpointPort: 'CoreV1EndpointPort',
  Event: 'CoreV1EventList', // handled below
  EventSeries: 'CoreV1EventSeries',
  ResourceClaim: 'CoreV1ResourceClaim',
  ManagedFieldsEntry: 'V1ManagedFieldsEntry',
  Table: '',
  TableRow: '',
  TableRowCondition: '',
  TableColumnDefinition: '',
  Status: 'V1Status',
};

interface Attr {
  baseName: string;
  type: string;
  format: string;
}

function modelAttrs(cls: string): Attr[] | undefined {
  const file = join(modelsDir, `${cls}.js`);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const m = new RegExp(`${cls}\\.attributeTypeMap = (\\[[\\s\\S]*?\\]);`).exec(text);
  return m ? (JSON.parse(m[1]) as Attr[]) : undefined;
}

function compatible(ours: FieldSchema, theirs: Attr): boolean {
  const t = theirs.type;
  switch (ours.type) {
    case 'string':
      return t === 'string';
    case 'integer':
      return t === 'number';
    case 'number':
      return t === 'number';
    case 'boolean':
      return t === 'boolean';
    case 'time':
      return t === 'Date' || t === 'string' || t === 'V1MicroTime';
    case 'intOrString':
      return t === 'IntOrString' || t === 'any' || t === 'string';
    case 'quantity':
      return t === 'string';
    case 'map':
      return t.startsWith('{ [key: string]: ');
    case 'array':
      return t.startsWith('Array<');
    case 'object':
      return !t.startsWith('Array<') && !['string', 'number', 'boolean'].includes(t);
    case 'any':
      return true;
  }
}

const available = existsSync(modelsDir);
(available ? describe : describe.skip)('schema vs @kubernetes/client-node models', () => {
  if (!available) console.log('skipped: @kubernetes/client-node is not installed');
  const names = Object.keys(schemas).filter((n) => CLASS[n] !== '');
  it.each(names)('%s', (name) => {
    const version = typePackages[name]?.endsWith('.v2') ? 'V2' : 'V1';
    const cls = name === 'Event' ? 'CoreV1Event' : (CLASS[name] ?? `${version}${name}`);
    const attrs = modelAttrs(cls);
    if (!attrs) return; // types client-node doesn't model (newer or Keelson-only)
    const byName = new Map(attrs.map((a) => [a.baseName, a]));
    const problems: string[] = [];
    for (const [field, fs] of Object.entries(schemas[name])) {
      const theirs = byName.get(field);
      if (!theirs) {
        if (fs.type !== 'any') problems.push(`${field}: not in ${cls}`);
        continue;
      }
      if (!compatible(fs, theirs)) problems.push(`${field}: ours ${fs.type}, theirs ${theirs.type}`);
    }
    expect(problems).toEqual([]);
  });
});
