#!/usr/bin/env node
// Runs a TypeScript entry point from the compiled tree: `node tools/run.js path/to/file.ts [args…]`.
// Compiles first (incremental, a no-op when nothing changed) so the CLI never runs stale code.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node tools/run.js <file.ts> [args…]');
  process.exit(2);
}
if (process.env.SKIP_BUILD !== '1') {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
const compiled = path.join(root, 'dist', path.relative(root, path.resolve(entry))).replace(/\.ts$/, '.js');
require('./register');
process.argv = [process.argv[0], compiled, ...args];
require(compiled);
