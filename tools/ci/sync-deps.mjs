#!/usr/bin/env node
// Derives each workspace package's "dependencies" from what its src/ (non-test files) imports:
// @keelson/* at the workspace version, third-party packages at the root package.json's range.
// `--check` reports differences and exits 1 instead of writing. Usage: node tools/ci/sync-deps.mjs [--check] [dir...]
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtinModules } from 'node:module';

const root = new URL('../..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const ranges = { ...rootPkg.devDependencies, ...rootPkg.dependencies };
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function walk(dir, out = []) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.ts$/.test(e) && !/\.spec\.ts$/.test(e) && !p.includes('/testing/')) out.push(p);
  }
  return out;
}

const dirs = only.length ? only : ['packages', 'apps'].flatMap((g) => (existsSync(join(root, g)) ? readdirSync(join(root, g)).map((d) => join(g, d)) : []));
let drift = 0;
for (const dir of dirs) {
  const pkgFile = join(root, dir, 'package.json');
  if (!existsSync(pkgFile) || !existsSync(join(root, dir, 'src'))) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  const deps = {};
  for (const file of walk(join(root, dir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec || spec.startsWith('.') || builtins.has(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (name === pkg.name) continue;
      if (name.startsWith('@keelson/')) deps[name] = rootPkg.version;
      else if (ranges[name]) deps[name] = ranges[name];
      else if (name.startsWith('@types/')) continue;
      else console.log(`${dir}: imports ${name}, which the root package.json does not list`);
    }
  }
  const sorted = Object.fromEntries(Object.entries(deps).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (JSON.stringify(sorted) !== JSON.stringify(pkg.dependencies ?? {})) {
    if (check) {
      console.log(`${dir}/package.json dependencies differ from its imports: want ${JSON.stringify(sorted)}`);
      drift++;
    } else {
      pkg.dependencies = sorted;
      writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
      console.log(`${dir}: ${Object.keys(sorted).join(', ')}`);
    }
  }
}
if (drift) process.exit(1);
