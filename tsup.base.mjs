// Shared tsup settings: every package builds ESM + CJS + .d.ts from src/index.ts, and its bins
// (src/bin/*.ts) as CJS executables.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** @param {string} dir package directory */
export function packageConfig(dir) {
  const binDir = join(dir, 'src/bin');
  const bins = existsSync(binDir)
    ? readdirSync(binDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts')).map((f) => `src/bin/${f}`)
    : [];
  const configs = [
    {
      entry: ['src/index.ts'],
      format: ['esm', 'cjs'],
      dts: true,
      clean: true,
      sourcemap: true,
      target: 'node20',
      outDir: 'dist',
    },
  ];
  if (bins.length) {
    configs.push({
      entry: bins,
      format: ['cjs'],
      outDir: 'dist/bin',
      target: 'node20',
      sourcemap: true,
      banner: { js: '#!/usr/bin/env node' },
    });
  }
  return configs;
}
