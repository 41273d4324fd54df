// One Jest config for every tier; the tier is in the file name (*.unit|int|e2e.spec.ts).
const { compilerOptions } = require('./tsconfig.base.json');
const fs = require('node:fs');
const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcrc.$schema;

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/{contracts,libs,services,deploy,tools}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': ['@swc/jest', swcrc] },
  moduleNameMapper,
  testTimeout: 60_000,
  globalSetup: '<rootDir>/libs/platform/testing/src/jest.global-setup.js',
};
