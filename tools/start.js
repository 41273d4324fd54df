#!/usr/bin/env node
// npm start [-- --no-build] [--json] [--only ops,release]
// The whole platform on this machine (DESIGN §8): local NATS and Postgres, one incremental build, the NATS topology
// provisioned, then every service and worker entry point as a supervised child process with its port and env.
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { ensureInfra, listening } = require('./infra');
const { startLocalRegistries } = require('./local-registries');
const { resolveDevSecret } = require('./dev-secret');

const root = path.resolve(__dirname, '..');
const dataDir = path.join(root, '.data');
const stateFile = path.join(dataDir, 'start.json');
const register = path.join(root, 'tools', 'register.js');
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const say = (message) => console.log(`${paint('1', '[start]')} ${message}`);

const USAGE = `usage: npm start [-- --no-build] [--json] [--only name,name]
  --no-build   skip tsc (use what dist/ holds)
  --json       print the services' pino lines unchanged (default: lightly prettified)
  --only       start only these services/workers (names as in the table, e.g. ops,release,release-worker)`;

function parseArgs(argv) {
  const options = { build: true, json: process.env.LOG_FORMAT === 'json', only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') continue;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--json') options.json = true;
    else if (arg === '--only') options.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg.startsWith('--only=')) options.only = arg.slice(7).split(',').filter(Boolean);
    else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`unknown argument ${arg}\n${USAGE}`);
      process.exit(2);
    }
  }
  return options;
}

// services/ops/src/main.ts and services/<context>/<service>/src/main.ts (+ main.worker.ts next to it).
// Discovered from the sources so that a service deleted from the tree never runs from a stale dist/.
function discoverEntries() {
  const found = [];
  const visit = (dir, depth) => {
    const src = path.join(dir, 'src');
    if (fs.existsSync(path.join(src, 'main.ts'))) {
      const service = path.basename(dir);
      found.push({ name: service, service, kind: 'service', source: path.join(src, 'main.ts') });
      if (fs.existsSync(path.join(src, 'main.worker.ts'))) {
        found.push({ name: `${service}-worker`, service, kind: 'worker', source: path.join(src, 'main.worker.ts') });
      }
      return;
    }
    if (depth === 0) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) visit(path.join(dir, entry.name), depth - 1);
    }
  };
  visit(path.join(root, 'services'), 2);
  for (const entry of found) {
    entry.compiled = path.join(root, 'dist', path.relative(root, entry.source)).replace(/\.ts$/, '.js');
  }
  return found;
}

function assignPorts(entries) {
  const map = JSON.parse(fs.readFileSync(path.join(root, 'deploy', 'local', 'ports.json'), 'utf8'));
  const base = Number(process.env.PORT_BASE ?? map.base);
  if (!Number.isInteger(base) || base < 1 || base > 65000) throw new Error(`PORT_BASE=${process.env.PORT_BASE}: not a port number`);
  const unlisted = [...new Set(entries.map((e) => e.service).filter((s) => !(s in map.services)))].sort();
  for (const entry of entries) {
    const offset = entry.service in map.services ? map.services[entry.service] : map.unlistedFrom + unlisted.indexOf(entry.service);
    entry.port = base + offset + (entry.kind === 'worker' ? map.workerOffset : 0);
  }
  return base;
}

function run(command, args, { capture = false, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    if (capture) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve(output) : reject(new Error(`${path.basename(args[0] ?? command)} exited with ${signal ?? code}${output ? `:\n${output.trim()}` : ''}`))));
  });
}

async function timed(label, fn) {
  const started = Date.now();
  const result = await fn();
  say(`${label} ${paint('2', `(${((Date.now() - started) / 1000).toFixed(1)}s)`)}`);
  return result;
}

// ---- log lines -------------------------------------------------------------------------------------------
const LEVEL_COLORS = { trace: '90', debug: '36', info: '32', warn: '33', error: '31', fatal: '35' };
const PREFIX_COLORS = ['36', '33', '35', '32', '34', '96', '93', '95', '92', '94'];
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'err']);

function prettyLine(line) {
  if (!line.startsWith('{')) return line;
  let record;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (!record || typeof record !== 'object' || !('level' in record)) return line;
  const date = new Date(record.time ?? Date.now());
  const time = Number.isNaN(date.getTime()) ? '' : `${date.toTimeString().slice(0, 8)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
  const level = String(record.level);
  let out = `${paint('2', time)} ${paint(LEVEL_COLORS[level] ?? '0', level.toUpperCase().padEnd(5))} ${record.msg ?? ''}`;
  const extras = Object.entries(record)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  if (extras) out += `  ${paint('2', extras.length > 600 ? `${extras.slice(0, 600)}…` : extras)}`;
  if (record.err) out += `\n${record.err.stack ?? record.err.message ?? JSON.stringify(record.err)}`;
  return out;
}

// ---- supervised children -----------------------------------------------------------------------------------
class Supervisor {
  constructor(options) {
    this.options = options;
    this.slots = [];
    this.stopping = false;
    this.width = 8;
  }

  add(entry, env, index) {
    const slot = { entry, env, child: undefined, restarts: 0, failures: 0, timer: undefined, ready: false, prefixColor: PREFIX_COLORS[index % PREFIX_COLORS.length] };
    this.slots.push(slot);
    this.width = Math.max(this.width, entry.name.length);
    return slot;
  }

  spawn(slot) {
    const { entry } = slot;
    const child = spawn(process.execPath, ['--enable-source-maps', '-r', register, entry.compiled], {
      cwd: root,
      env: slot.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal Ctrl+C reaches only us (we drain children in order), and a final SIGKILL
      // of the group also takes whatever the service itself spawned (pipeline steps, local runtime apps).
      detached: true,
    });
    slot.child = child;
    slot.startedAt = Date.now();
    const prefix = paint(slot.prefixColor, `${entry.name.padEnd(this.width)} │`);
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        const text = this.options.json ? line : prettyLine(line);
        process.stdout.write(text.split('\n').map((l) => `${prefix} ${l}\n`).join(''));
      });
    }
    child.on('error', (error) => say(`${entry.name}: could not start: ${error.message}`));
    child.on('exit', (code, signal) => this.exited(slot, child, code, signal));
    writeState(this);
  }

  exited(slot, child, code, signal) {
    if (slot.child !== child) return;
    slot.child = undefined;
    slot.ready = false;
    writeState(this);
    if (this.stopping) return;
    const ranFor = Date.now() - slot.startedAt;
    // A child that stayed up a while is not crash-looping: start its backoff over.
    slot.failures = ranFor > 60_000 ? 1 : slot.failures + 1;
    const delay = Math.min(30_000, 1000 * 2 ** (slot.failures - 1));
    slot.restarts++;
    say(
      paint('31', `${slot.entry.name} exited unexpectedly (${signal ?? `code ${code}`}) after ${(ranFor / 1000).toFixed(1)}s; `) +
        `restarting in ${delay / 1000}s (restart #${slot.restarts})`,
    );
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (!this.stopping) this.spawn(slot);
    }, delay);
  }

  /** Resolves true once the slot answers /health/ready with 200 (across restarts), false at the deadline. */
  async waitReady(slot, deadline) {
    while (Date.now() < deadline && !this.stopping) {
      if (slot.child && (await probe(`http://127.0.0.1:${slot.entry.port}/health/ready`)) === 200) {
        slot.ready = true;
        return true;
      }
      await sleep(250);
    }
    return false;
  }

  async stop(graceMs) {
    this.stopping = true;
    for (const slot of this.slots) clearTimeout(slot.timer);
    const alive = this.slots.filter((s) => s.child);
    if (alive.length) say(`stopping ${alive.length} process(es): SIGTERM, up to ${graceMs / 1000}s to drain`);
    const exits = alive.map((slot) => new Promise((resolve) => slot.child.once('exit', resolve)));
    for (const slot of alive) signalChild(slot.child.pid, 'SIGTERM', false);
    const timedOut = await Promise.race([Promise.all(exits).then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      const stuck = this.slots.filter((s) => s.child);
      say(`still running after the grace period, killing: ${stuck.map((s) => s.entry.name).join(', ')}`);
      for (const slot of stuck) signalChild(slot.child.pid, 'SIGKILL', true);
      await Promise.race([Promise.all(exits), sleep(2000)]);
    }
    // Anything a service spawned and left behind in its process group goes too.
    for (const slot of alive) signalChild(slot.child?.pid ?? slot.lastPid, 'SIGKILL', true);
  }

  kill() {
    for (const slot of this.slots) if (slot.child) signalChild(slot.child.pid, 'SIGKILL', true);
  }
}

function signalChild(pid, signal, group) {
  if (!pid) return;
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // already gone
  }
}

function probe(url) {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- state: a second `npm start` finds the first; a hard-killed run's orphans are cleaned up ---------------
function writeState(supervisor) {
  const children = supervisor.slots
    .filter((s) => s.child)
    .map((s) => {
      s.lastPid = s.child.pid;
      return { name: s.entry.name, pid: s.child.pid, entry: s.entry.compiled, url: `http://127.0.0.1:${s.entry.port}` };
    });
  fs.writeFileSync(stateFile, JSON.stringify({ pid: process.pid, startedAt: supervisor.startedAt, children }, null, 2));
}

function commandLine(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

async function checkPreviousRun() {
  let state;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch {
    return;
  }
  if (state.pid !== process.pid && commandLine(state.pid)?.includes('tools/start.js')) {
    say(`already running (pid ${state.pid}); its processes:`);
    for (const c of state.children ?? []) console.log(`  ${c.name.padEnd(28)} ${c.url}`);
    say(`stop it with: kill -INT ${state.pid}`);
    process.exit(0);
  }
  // The previous supervisor died without draining (SIGKILL, crash): stop its children, but only processes that
  // are still running the recorded entry point (a pid may have been reused since).
  const orphans = (state.children ?? []).filter((c) => commandLine(c.pid)?.includes(c.entry));
  if (!orphans.length) return;
  say(`stopping ${orphans.length} process(es) left over from a previous run: ${orphans.map((c) => c.name).join(', ')}`);
  for (const c of orphans) signalChild(c.pid, 'SIGTERM', false);
  for (let i = 0; i < 60 && orphans.some((c) => commandLine(c.pid)?.includes(c.entry)); i++) await sleep(250);
  for (const c of orphans) if (commandLine(c.pid)?.includes(c.entry)) signalChild(c.pid, 'SIGKILL', true);
}

// ---- main -----------------------------------------------------------------------------------------------
async function main() {
  const options = parseArgs(process.argv.slice(2));
  const startedAt = Date.now();
  fs.mkdirSync(dataDir, { recursive: true });
  await checkPreviousRun();

  const env = {
    ...process.env,
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    BUS_NAMESPACE: process.env.BUS_NAMESPACE ?? 'devops',
  };
  // The start table is the readable view; JSON lines are what we prettify.
  delete env.LOG_PRETTY;

  await timed('NATS and PostgreSQL are up', () => ensureInfra((m) => say(m)));
  if (options.build) {
    await timed('built (tsc -p tsconfig.build.json)', () =>
      run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']).catch(() => {
        throw new Error('the build failed (errors above); fix them, or run what dist/ holds with `npm start -- --no-build`');
      }),
    );
  }
  const provisionCli = path.join(root, 'dist', 'deploy', 'nats', 'src', 'provision.cli.js');
  if (!fs.existsSync(provisionCli)) throw new Error(`${path.relative(root, provisionCli)} is missing: run without --no-build`);
  const provisioned = await timed('NATS streams and consumers provisioned', () =>
    run(process.execPath, ['-r', register, provisionCli], { capture: true, env: { ...env, NATS_REPLICAS: process.env.NATS_REPLICAS ?? '1' } }),
  );
  // Applying repairs what it reports as drift (on a first run: everything is "missing"); the summary says it all.
  say(`  ${provisioned.trim().split('\n').pop()}`);

  const registries = await timed('package feed and container registry up', () => startLocalRegistries({ dataDir, log: (m) => say(`  ${m}`) }));
  Object.assign(env, registries.env);

  if (!process.env.JWKS_URL) {
    const { secret, source } = resolveDevSecret({ create: true });
    env.JWT_SECRET = secret;
    say(`JWT_SECRET from ${source}`);
  }

  let entries = discoverEntries();
  if (options.only) {
    const unknown = options.only.filter((n) => !entries.some((e) => e.name === n));
    if (unknown.length) throw new Error(`--only: no entry point called ${unknown.join(', ')} (found: ${entries.map((e) => e.name).join(', ') || 'none'})`);
    entries = entries.filter((e) => options.only.includes(e.name));
  }
  if (!entries.length) throw new Error('no service entry point found (services/ops/src/main.ts or services/<context>/<service>/src/main.ts)');
  const missing = entries.filter((e) => !fs.existsSync(e.compiled));
  if (missing.length) throw new Error(`not compiled: ${missing.map((e) => path.relative(root, e.compiled)).join(', ')}; run without --no-build`);
  const base = assignPorts(entries);
  for (const entry of entries) {
    if (await listening(entry.port)) throw new Error(`port ${entry.port} (${entry.name}) is already in use; stop what holds it or set PORT_BASE (now ${base})`);
  }

  const supervisor = new Supervisor(options);
  supervisor.startedAt = new Date(startedAt).toISOString();
  // No URL wiring needed: each service announces its base URL in the NATS KV service registry, which ops reads.
  entries.forEach((entry, index) => supervisor.add(entry, { ...env, SERVICE_PORT: String(entry.port) }, index));

  const graceMs = Number(process.env.SHUTDOWN_GRACE_MS ?? 10_000) + 5_000;
  let firstSignalAt = 0;
  const shutdown = (signal) => {
    // npm forwards the terminal's SIGINT that we also receive directly: only a signal a moment later means "now".
    if (firstSignalAt && Date.now() - firstSignalAt < 1000) return;
    if (firstSignalAt) {
      say(`${signal} again: killing everything now`);
      supervisor.kill();
      registries.stop();
      process.exit(1);
    }
    firstSignalAt = Date.now();
    say(`${signal}: shutting down (again to kill at once)`);
    void supervisor.stop(graceMs).then(() => {
      registries.stop();
      fs.rmSync(stateFile, { force: true });
      say('all processes stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));

  // A few at a time: on two cores, 25 Nest boots at once would starve each other past any readiness deadline.
  const readyTimeoutMs = Number(process.env.READY_TIMEOUT_MS ?? 120_000);
  const concurrency = Math.max(1, Number(process.env.START_CONCURRENCY ?? 4));
  say(`starting ${entries.length} process(es): ${entries.map((e) => e.name).join(', ')}`);
  const queue = [...supervisor.slots];
  const results = new Map();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let slot = queue.shift(); slot; slot = queue.shift()) {
        supervisor.spawn(slot);
        results.set(slot, await supervisor.waitReady(slot, Date.now() + readyTimeoutMs));
      }
    }),
  );
  if (supervisor.stopping) return;
  printTable(supervisor.slots, results, startedAt);
}

function printTable(slots, results, startedAt) {
  const rows = slots.map((slot) => {
    const url = `http://127.0.0.1:${slot.entry.port}`;
    return [slot.entry.name, slot.entry.kind, url, slot.entry.kind === 'service' ? `${url}/docs` : `${url}/metrics`, results.get(slot) ? 'ready' : 'NOT READY'];
  });
  const header = ['name', 'kind', 'url', 'docs / metrics', 'status'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `  ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd();
  const notReady = rows.filter((r) => r[4] !== 'ready').length;
  const ops = slots.find((s) => s.entry.name === 'ops');
  console.log('');
  console.log(paint('1', line(header)));
  for (const row of rows) console.log(row[4] === 'ready' ? line(row) : paint('31', line(row)));
  console.log('');
  if (ops) {
    const url = `http://127.0.0.1:${ops.entry.port}`;
    console.log(`  ${paint('1', 'Entry point')} (Studio, operators): ${url}  — /api/<service>/…, /lineage/<traceId>, /dead-letters, /docs/combined.json`);
  }
  console.log(`  Dev token:  export TOKEN=$(node tools/dev-token.js --tenant acme)`);
  if (ops) console.log(`              curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${ops.entry.port}/dead-letters`);
  console.log(`  Stop:       Ctrl+C (SIGTERM to every process, then they drain)`);
  console.log('');
  say(
    notReady
      ? paint('31', `${rows.length - notReady} of ${rows.length} ready; not ready: ${rows.filter((r) => r[4] !== 'ready').map((r) => r[0]).join(', ')} (see their log lines above; still supervised)`)
      : `all ${rows.length} process(es) ready in ${((Date.now() - startedAt) / 1000).toFixed(1)}s`,
  );
}

main().catch((error) => {
  console.error(`${paint('31', '[start] failed:')} ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
