#!/usr/bin/env node
// `npm test`: runs every project's tests through nx, one project at a time (the tests share the
// machine's cgroups, netns and nft), then prints the sum as one plain line: "N passed, N failed".
// Extra arguments go to nx (e.g. `npm test -- --projects=@keelson/store`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const reports = join(root, 'reports/jest');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

const args = [
  'nx',
  'run-many',
  '-t',
  'test',
  '--parallel=1',
  '--outputStyle=stream',
  '--nxBail=false',
  ...process.argv.slice(2),
];
const run = spawnSync('npx', args, { stdio: 'inherit', cwd: root });

let passed = 0;
let failed = 0;
let skipped = 0;
const failedSuites = [];
for (const file of readdirSync(reports)) {
  const r = JSON.parse(readFileSync(join(reports, file), 'utf8'));
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  failedSuites.push(...r.failedSuites);
}
// A project whose jest crashed before reporting counts as one failure.
if (run.status !== 0 && failed === 0) failed = 1;
if (failedSuites.length) console.log(`failing suites:\n  ${failedSuites.join('\n  ')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
