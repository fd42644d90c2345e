// Every field of the exported TypeScript interfaces must exist in the schema table with the
// same name, so objects our own components build never come back as "unknown field".
import { join } from 'node:path';
import ts from 'typescript';
import { schemas } from './index';

const FILES = [
  'meta.ts',
  'core-v1.ts',
  'apps-v1.ts',
  'batch-v1.ts',
  'coordination-v1.ts',
  'discovery-v1.ts',
  'autoscaling-v1.ts',
  'policy-v1.ts',
  'rbac-v1.ts',
  'networking-v1.ts',
  'quota-v1.ts',
  'autoscaling-v2.ts',
  'storage-v1.ts',
  'table.ts',
];
// TypeScript-only interfaces with no wire schema of their own.
const SKIP = new Set(['TypeMeta', 'KubeObject', 'KubeList', 'WatchEvent', 'TypedList', 'ListMeta']);

describe('TypeScript interfaces vs schema table', () => {
  const dir = join(__dirname, '..');
  const program = ts.createProgram(
    FILES.map((f) => join(dir, f)),
    {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
  );
  const checker = program.getTypeChecker();
  const found: [string, string[]][] = [];
  for (const f of FILES) {
    const sf = program.getSourceFile(join(dir, f))!;
    sf.forEachChild((node) => {
      if (
        ts.isInterfaceDeclaration(node) &&
        node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      ) {
        const name = node.name.text;
        if (SKIP.has(name)) return;
        const type = checker.getTypeAtLocation(node);
        found.push([name, checker.getPropertiesOfType(type).map((p) => p.getName())]);
      }
    });
  }

  it('found the interfaces', () => {
    expect(found.length).toBeGreaterThan(150);
    const container = found.find(([n]) => n === 'Container')![1];
    expect(container).toEqual(
      expect.arrayContaining(['name', 'image', 'ports', 'livenessProbe', 'securityContext']),
    );
    expect(found.find(([n]) => n === 'Pod')![1]).toEqual(
      expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'spec', 'status']),
    );
  });

  it.each(found)('%s', (name, props) => {
    const schema = schemas[name];
    expect(schema).toBeDefined();
    const missing = props.filter((p) => !(p in schema));
    expect(missing).toEqual([]);
  });
});
