#!/usr/bin/env node
// `npm run bench`: makes sure NATS and Postgres are up, then runs bench/src/main.ts exactly as tools/run.js does
// (compile with tsconfig.build.json, run the compiled file with the @delivery/* aliases). See BENCHMARKS.md.
const path = require('node:path');
const { ensureInfra } = require('./infra');

ensureInfra().then(
  () => {
    process.argv = [process.argv[0], path.join(__dirname, 'run.js'), path.join(__dirname, '..', 'bench', 'src', 'main.ts'), ...process.argv.slice(2)];
    require('./run');
  },
  (error) => {
    console.error(`[bench] ${error.message}`);
    process.exit(1);
  },
);
