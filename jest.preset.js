// Shared jest settings for every package: TypeScript through swc, @keelson/* resolved to sources,
// and a JSON report per package that tools/ci/test.mjs sums into one "N passed, N failed" line.
const path = require('node:path');

const root = __dirname;

/** @param {string} dir the package directory (pass __dirname) */
module.exports = function preset(dir) {
  const name = path.basename(dir);
  return {
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    transform: {
      '^.+\\.(t|j)s$': [
        '@swc/jest',
        { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
      ],
    },
    moduleNameMapper: {
      '^@keelson/([^/]+)$': `${root}/packages/$1/src/index.ts`,
      '^@keelson/([^/]+)/(.+)$': `${root}/packages/$1/src/$2`,
    },
    testTimeout: 30000,
    reporters: [
      'default',
      [`${root}/tools/ci/jest-json-reporter.js`, { outputFile: `${root}/reports/jest/${name}.json` }],
    ],
  };
};
