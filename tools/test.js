#!/usr/bin/env node
// npm test [-- <jest args>]: every tier, in the order that fails fastest on what breaks most.
//   infra → build (type check; crash tests spawn the compiled code) → lint → contracts stale check → jest
// Stops at the first failing step with its exit code; ends with one line of per-step timings.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ensureInfra } = require('./infra');

const root = path.resolve(__dirname, '..');
const JEST_RESULTS = path.join(root, '.data', 'jest-results.json');
// `node tools/test.js -- x` and `npm test -- x` both land here; jest gets everything after our own `--`.
const jestArgs = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));

// Local binaries, run with this node: no npx lookup, no shebang or PATH assumptions.
const bin = (name) => fs.realpathSync(path.join(root, 'node_modules', '.bin', name));

function run(args, { env, quiet = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', (error) => {
      console.error(error.message);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + (require('node:os').constants.signals[signal] ?? 1) : 1));
    });
  });
}

const steps = [
  ['infra', async () => (await ensureInfra((m) => console.log(`[infra] ${m}`)), 0)],
  ['build', () => run([bin('tsc'), '-p', 'tsconfig.build.json'])],
  [
    'lint',
    async () => {
      // The module-boundary rule reads Nx's project graph; computing it first surfaces a broken graph as such.
      const graph = await run([bin('nx'), 'show', 'projects'], { quiet: true, env: { NX_DAEMON: 'false' } });
      return graph || run([bin('eslint'), '--max-warnings=0', '.']);
    },
  ],
  // dist/ is fresh from the build step: check the generated contracts without compiling again.
  ['contracts', () => run([path.join(root, 'tools', 'run.js'), 'contracts/src/generate.ts', '--check'], { env: { SKIP_BUILD: '1' } })],
  // DIST_FRESH: the build step just compiled dist/; tests that spawn compiled code need not compile it again.
  ['jest', () => run([bin('jest'), '--ci', '--maxWorkers=2', '--json', `--outputFile=${JEST_RESULTS}`, ...jestArgs], { env: { DIST_FRESH: '1' } })],
];

// The plain closing line CI reads ("N passed, N failed, N skipped"), from Jest's own JSON results.
function countsLine() {
  try {
    const r = JSON.parse(fs.readFileSync(JEST_RESULTS, 'utf8'));
    return `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
  } catch {
    return undefined;
  }
}

async function main() {
  fs.mkdirSync(path.dirname(JEST_RESULTS), { recursive: true });
  fs.rmSync(JEST_RESULTS, { force: true });
  const timings = [];
  const started = Date.now();
  const summary = () => `${timings.map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)}s`).join(' · ')} · total ${((Date.now() - started) / 1000).toFixed(1)}s`;
  for (const [name, step] of steps) {
    console.log(process.stdout.isTTY ? `\n\x1b[1m▶ ${name}\x1b[0m` : `\n▶ ${name}`);
    const t0 = Date.now();
    let code;
    try {
      code = await step();
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      code = 1;
    }
    timings.push([name, Date.now() - t0]);
    if (name === 'jest' && countsLine()) console.log(`\n${countsLine()}`);
    if (code !== 0) {
      console.error(`\ntest: FAILED at ${name} (exit ${code}) — ${summary()}`);
      process.exit(code);
    }
  }
  console.log(`\ntest: passed — ${summary()}`);
}

void main();
