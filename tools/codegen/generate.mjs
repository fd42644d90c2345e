#!/usr/bin/env node
// `npm run codegen`: generates TypeScript from proto/ with ts-proto through buf (both from npm, no
// network needed). Each proto directory lands in the package that owns it (see `targets`).
// `--check` generates into a temporary directory and fails if the checked-in output differs.
import { spawnSync } from 'node:child_process';
import {
  mkdtempSync,
  rmSync,
  mkdirSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';

const root = new URL('../..', import.meta.url).pathname;
const check = process.argv.includes('--check');

/** proto directory (under proto/) → output directory (under the repo root). */
const targets = [
  { path: 'keelson/apiserver', out: 'packages/api/src/generated' },
  // CRI carries nanosecond timestamps in int64 fields (created_at, started_at, ...), beyond
  // Number.MAX_SAFE_INTEGER: decoding them as numbers throws, so CRI int64s are bigints.
  { path: 'runtime', out: 'packages/api/src/generated', opts: ['forceLong=bigint'] },
  { path: 'keelson/store', out: 'packages/store/src/generated' },
];

const plugin = join(root, 'node_modules/.bin/protoc-gen-ts_proto');
const opts = [
  'outputServices=grpc-js',
  'esModuleInterop=true',
  'env=node',
  'forceLong=number',
  'useOptionals=messages',
  'oneof=unions-value',
  'snakeToCamel=true',
  'useDate=false',
].join(',');

/** Base plugin options with a target's `key=value` options replacing those of the same key. */
function withOverrides(base, extra) {
  const keys = new Set(extra.map((o) => o.split('=')[0]));
  return [...base.filter((o) => !keys.has(o.split('=')[0])), ...extra];
}

function files(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p).map((f) => join(e, f)));
    else out.push(e);
  }
  return out.sort();
}

const scratch = mkdtempSync(join(tmpdir(), 'keelson-codegen-'));
let stale = 0;
try {
  for (const t of targets) {
    if (!existsSync(join(root, 'proto', t.path))) continue;
    const gen = join(scratch, t.out);
    mkdirSync(gen, { recursive: true });
    const template = JSON.stringify({
      version: 'v2',
      plugins: [{ local: plugin, out: gen, opt: withOverrides(opts.split(','), t.opts ?? []) }],
    });
    const r = spawnSync(
      join(root, 'node_modules/.bin/buf'),
      ['generate', join(root, 'proto'), '--template', template, '--path', join(root, 'proto', t.path)],
      { stdio: 'inherit', cwd: root },
    );
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  for (const out of new Set(targets.map((t) => t.out))) {
    const gen = join(scratch, out);
    const dest = join(root, out);
    if (check) {
      const a = files(gen);
      const b = files(dest);
      const differ =
        a.join('\n') !== b.join('\n') ||
        a.some((f) => readFileSync(join(gen, f), 'utf8') !== readFileSync(join(dest, f), 'utf8'));
      if (differ) {
        console.log(`${relative(root, dest)} is not current: run npm run codegen`);
        stale++;
      }
    } else if (existsSync(gen)) {
      rmSync(dest, { recursive: true, force: true });
      cpSync(gen, dest, { recursive: true });
      console.log(`generated ${relative(root, dest)}`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (stale) process.exit(1);
