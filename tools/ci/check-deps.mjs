#!/usr/bin/env node
// Enforces DESIGN.md's dependency direction. Each project declares its nx tags in package.json
// ("nx": { "tags": ["type:..."] }); a project may import only the @keelson packages its tag allows.
// Prints one line per violation and exits 1 if there is any.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** Which @keelson packages each project may depend on (DESIGN.md, "Dependency direction"). */
const allowed = {
  '@keelson/api': [],
  '@keelson/raft': [],
  '@keelson/store': ['@keelson/raft'],
  '@keelson/apiserver': ['@keelson/api', '@keelson/store'],
  '@keelson/client': ['@keelson/api'],
  '@keelson/scheduler': ['@keelson/api', '@keelson/client'],
  '@keelson/controllers': ['@keelson/api', '@keelson/client'],
  '@keelson/kubelet': ['@keelson/api', '@keelson/client'],
  '@keelson/cri-runtime': ['@keelson/api'],
  '@keelson/kube-proxy': ['@keelson/api', '@keelson/client'],
  '@keelson/dns': ['@keelson/api', '@keelson/client'],
  '@keelson/cluster': '*',
  '@keelson/tools': '*',
};

function walk(dir, out = []) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === 'node_modules' || e === 'dist') continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|cts|js|mjs)$/.test(e)) out.push(p);
  }
  return out;
}

let violations = 0;
for (const group of ['packages', 'apps']) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  for (const dir of readdirSync(base)) {
    const pkgFile = join(base, dir, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    const may = allowed[pkg.name];
    if (may === undefined) {
      console.log(`${pkg.name}: not listed in tools/ci/check-deps.mjs`);
      violations++;
      continue;
    }
    if (may === '*') continue;
    const src = join(base, dir, 'src');
    if (!existsSync(src)) continue;
    for (const file of walk(src)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](@keelson\/[^/'"]+)/g)) {
        const dep = m[1];
        if (dep !== pkg.name && !may.includes(dep)) {
          console.log(`${file.slice(root.length)}: ${pkg.name} must not import ${dep}`);
          violations++;
        }
      }
    }
  }
}
if (violations) process.exit(1);
console.log('dependency direction ok');
