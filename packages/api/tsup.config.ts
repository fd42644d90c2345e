import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageConfig } from '../../tsup.base.mjs';

// Besides the index, build the subpath exports `@keelson/api/cri` and `@keelson/api/generated/*`
// (the generated gRPC/protobuf code stays out of the index so importing the object model stays light).
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return f.endsWith('.ts') && !f.endsWith('.spec.ts') ? [p] : [];
  });
}

const configs = packageConfig(__dirname);
const entry: Record<string, string> = { index: 'src/index.ts', cri: 'src/cri.ts' };
for (const f of tsFiles(join(__dirname, 'src/generated'))) {
  const rel = relative(join(__dirname, 'src'), f).replace(/\.ts$/, '');
  entry[rel] = `src/${rel}.ts`;
}
configs[0].entry = entry as never;

export default configs;
