#!/usr/bin/env node
// node tools/complete-lockfile.js [package-lock.json]
// npm 11's `npm ci` fails ("Missing: @swc/core-darwin-arm64@ from lock file") unless the lock file lists every
// platform binary of packages such as @swc/core and unrs-resolver. `npm install` on this machine drops the ones its
// registry mirror does not serve (darwin, win32, …). This puts them back, with os/cpu set so npm never fetches them
// on another platform. Idempotent; only needed after the lock file was regenerated from scratch.
const fs = require('node:fs');
const path = require('node:path');

const file = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'package-lock.json'));
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
const PLATFORM_PACKAGE = /(?:^|\/)[a-z-]*?(?:core|binding)-([a-z0-9]+)-([a-z0-9]+)/;
const added = [];

for (const entry of Object.values({ ...packages })) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    const match = PLATFORM_PACKAGE.exec(dep);
    if (packages[key] || !match) continue;
    const [, os, cpu] = match;
    // npm's own field order: version, cpu, dev, optional, os.
    const record = { version, cpu: [os === 'wasm32' ? 'wasm32' : cpu] };
    if (entry.dev) record.dev = true;
    record.optional = true;
    if (os !== 'wasm32') record.os = [os];
    packages[key] = record;
    added.push(`${dep}@${version}`);
  }
}

if (added.length) {
  // npm's order: the root first, then locale order (`_` before `-`).
  const [rootKey, ...rest] = Object.keys(packages);
  lock.packages = Object.fromEntries([[rootKey, packages[rootKey]], ...rest.sort((a, b) => a.localeCompare(b, 'en')).map((k) => [k, packages[k]])]);
  fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(added.length ? `added ${added.length} platform entries:\n  ${added.join('\n  ')}` : 'lock file already lists every platform binary');
