import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Client } from 'pg';
import { pack } from 'tar-stream';
import type { Msg, Subscription } from '@nats-io/nats-core';
import type { PayloadOf } from '@delivery/contracts';
import { ProcessRecordStore } from '@delivery/gitops-local-runtime';
import { readRouterRecord } from '@delivery/gitops-router';
import { BusPublisher, createEnvelope, uuidv7 } from '@delivery/messaging';
import { createGitSandbox, type GitSandbox } from '@delivery/repository-directory/testing';
import { createTestBus, createTestDatabase, eventually, spawnCompiled } from '@delivery/testing';
import { cpuMeter, LatencyRecorder, nowMs, rate, round, stopwatch, type ScenarioResult } from './stats';
import { freePort, processCpuSeconds, stop } from './child-process';

// Issue 6, GitOps: gitops-sync (compiled, its own process, as deployed) on the embedded local runtime, a GitOps
// repository in a git sandbox, and a tiny node HTTP server shipped as an npm tarball in a file:// feed.
// (go1) commit → GitOpsSynced{revision, Healthy} for one application, minus the server's own start time;
// (go2) N applications × 3 environments in one commit → all Healthy; (go0) the same processes spawned and probed by
// a plain script. The bench plays the commit service: it commits through LocalGitProvider and publishes CommitCreated.

const TENANT = 'acme';
const PROJECT = 'web';
const SCHEMA = 'gitops_sync';
const PACKAGE = { name: 'bench-gitops-app', version: '1.0.0', feed: 'internal' } as const;
const ENVIRONMENTS = ['dev1', 'dev2', 'dev3'] as const;
const AUTHOR = { name: 'bench', email: 'bench@example.com' };

// the workload: answers /health and anything else with its pid (the local int test's server, without /fail)
const SERVER_JS = `
const http = require('http');
const server = http.createServer((req, res) => {
  if (req.url === '/health') { res.writeHead(200); return res.end('ok'); }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ pid: process.pid }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { server.close(); process.exit(0); });
`;

type GitOpsEvent = { type: string; payload: PayloadOf<'GitOpsSynced'> & { error?: { code: string; message: string } } };

export interface GitOpsBenchOptions {
  /** go1: commits measured */
  commits: number;
  /** go2/go0: applications per environment (× 3 environments) */
  apps: number;
  /** how long one commit (or the whole go2 commit) may take to become Healthy */
  stepTimeoutMs: number;
}

// go1: one application in dev1; every commit changes an env var (a new process template: stop, then start).
export async function gitopsCommitBench(options: GitOpsBenchOptions): Promise<ScenarioResult> {
  const startMs = await workloadStartMs(10);
  const env = await startGitOps('benchgitops1');
  try {
    const repo = await env.repository('bench-gitops-1', { [workloadPath('dev1', 'shop')]: workloadJson('dev1', 'shop', 0) });
    // the first deployment (install, router start) is not measured
    await env.commitAndSync(repo, { [workloadPath('dev1', 'shop')]: workloadJson('dev1', 'shop', 1) }, [['dev1', 'shop']], options.stepTimeoutMs);
    const total = new LatencyRecorder(options.commits);
    const first = new LatencyRecorder(options.commits);
    const overhead = new LatencyRecorder(options.commits);
    const cpu = cpuMeter();
    const serviceCpu = processCpuSeconds(env.pid);
    const elapsed = stopwatch();
    for (let i = 0; i < options.commits; i++) {
      const { ms, firstMs } = await env.commitAndSync(repo, { [workloadPath('dev1', 'shop')]: workloadJson('dev1', 'shop', i + 2) }, [['dev1', 'shop']], options.stepTimeoutMs);
      total.record(ms);
      first.record(firstMs);
      overhead.record(Math.max(0, ms - startMs));
    }
    const seconds = elapsed();
    const usage = cpu();
    const totals = total.summary('commit → GitOpsSynced Healthy');
    const firsts = first.summary('commit → first GitOpsSynced');
    return {
      scenario: 'go1',
      description: 'GitOps commit → GitOpsSynced Healthy (one app, local runtime), minus the workload start',
      messages: options.commits,
      seconds,
      rate: rate(options.commits, seconds),
      ...(overhead.summary('platform overhead') ? { latency: overhead.summary('platform overhead')! } : {}),
      details: {
        msP50P99Total: totals ? `${round(totals.p50Ms, 1)}/${round(totals.p99Ms, 1)}` : 'n/a',
        // the first GitOpsSynced of a revision comes right after the apply (Progressing); Healthy on a later look
        msP50P99FirstSynced: firsts ? `${round(firsts.p50Ms, 1)}/${round(firsts.p99Ms, 1)}` : 'n/a',
        msWorkloadStartMedian: round(startMs, 1),
        processCpu: usage.process,
        serviceCpu: round((processCpuSeconds(env.pid) - serviceCpu) / seconds, 2),
        machineCpu: usage.machine,
      },
    };
  } finally {
    await env.close();
  }
}

// go2: apps × 3 environments in one commit on a repository that had none; the clock from the commit to the last
// GitOpsSynced Healthy; RSS of gitops-sync and of the workload processes (routers apart) once all are Healthy.
export async function gitopsReconcileBench(options: GitOpsBenchOptions): Promise<ScenarioResult> {
  const env = await startGitOps('benchgitops2');
  try {
    const repo = await env.repository('bench-gitops-2', { 'README.md': '# gitops\n' });
    const files: Record<string, string> = {};
    const targets: Array<[string, string]> = [];
    for (const environment of ENVIRONMENTS) {
      for (let a = 0; a < options.apps; a++) {
        const application = `app-${String(a).padStart(3, '0')}`;
        files[workloadPath(environment, application)] = workloadJson(environment, application, 1);
        targets.push([environment, application]);
      }
    }
    const serviceCpu = processCpuSeconds(env.pid);
    const cpu = cpuMeter();
    const { ms, firstMs, allSyncedMs } = await env.commitAndSync(repo, files, targets, options.stepTimeoutMs, 'add');
    const usage = cpu();
    const seconds = ms / 1000;
    const workloads = ENVIRONMENTS.flatMap((e) => env.workloadPids(e));
    const routers = await env.routerPids();
    if (workloads.length !== targets.length) throw new Error(`${workloads.length} workload processes for ${targets.length} applications`);
    const serviceRss = rssMb(env.pid);
    const workloadRss = workloads.reduce((sum, pid) => sum + rssMb(pid), 0);
    return {
      scenario: 'go2',
      description: `${options.apps} apps × 3 environments in one commit → all GitOpsSynced Healthy`,
      messages: targets.length,
      seconds,
      rate: rate(targets.length, seconds),
      details: {
        applications: targets.length,
        sFirstSynced: round(firstMs / 1000, 2),
        // every application applied and reported once (Progressing or Healthy)
        sAllSynced: round(allSyncedMs / 1000, 2),
        rssMbGitopsSync: round(serviceRss, 1),
        rssMbWorkloads: round(workloadRss, 1),
        rssMbRouters: round(routers.reduce((sum, pid) => sum + rssMb(pid), 0), 1),
        rssMbTotal: round(serviceRss + workloadRss, 1),
        serviceCpuSeconds: round(processCpuSeconds(env.pid) - serviceCpu, 2),
        machineCpu: usage.machine,
      },
    };
  } finally {
    await env.close();
  }
}

// go0: the floor: the same server, unpacked once, spawned apps × 3 times (node server.js, env PORT) by this process,
// each /health polled until all answer; the clock from the first spawn to the last answer.
export async function plainSpawnBench(options: Pick<GitOpsBenchOptions, 'apps' | 'stepTimeoutMs'>): Promise<ScenarioResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-gitops-plain-'));
  writeFileSync(path.join(dir, 'server.js'), SERVER_JS);
  const count = options.apps * ENVIRONMENTS.length;
  const ports = await distinctPorts(count);
  const children: ChildProcess[] = [];
  try {
    const elapsed = stopwatch();
    const cpu = cpuMeter();
    for (const port of ports) children.push(spawnServer(dir, port));
    await Promise.all(ports.map((port) => untilHealthy(port, options.stepTimeoutMs)));
    const seconds = elapsed();
    const usage = cpu();
    const rss = children.reduce((sum, child) => sum + rssMb(child.pid), 0);
    return {
      scenario: 'go0',
      description: `plain script: spawn ${count} servers, poll each /health until all answer`,
      messages: count,
      seconds,
      rate: rate(count, seconds),
      details: { processes: count, rssMbWorkloads: round(rss, 1), processCpu: usage.process, machineCpu: usage.machine },
    };
  } finally {
    await Promise.all(children.map((child) => killChild(child)));
    rmSync(dir, { recursive: true, force: true });
  }
}

interface GitOpsRepository {
  repositoryId: string;
  locator: { tenantId: string; projectId: string; name: string };
  headSha: string;
}

interface GitOpsEnvironment {
  pid: number | undefined;
  repository(name: string, files: Record<string, string>): Promise<GitOpsRepository>;
  /** commits `files`, publishes CommitCreated; ms until every target is GitOpsSynced Healthy at the new revision, and until the first GitOpsSynced of it (any health) */
  /** …and until every target had a first GitOpsSynced of it (all applied, any health) */
  commitAndSync(repo: GitOpsRepository, files: Record<string, string>, targets: Array<[string, string]>, timeoutMs: number, action?: 'add' | 'update'): Promise<{ ms: number; firstMs: number; allSyncedMs: number }>;
  workloadPids(environment: string): number[];
  routerPids(): Promise<number[]>;
  close(): Promise<void>;
}

async function startGitOps(prefix: string): Promise<GitOpsEnvironment> {
  const root = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const feedDir = path.join(root, 'feed');
  await writePackage(feedDir);
  const stateDir = path.join(root, 'runtime');
  const bus = await createTestBus();
  const database = await createTestDatabase(prefix);
  const publisher = new BusPublisher(bus.js, bus.names);
  const pg = new Client({ connectionString: database.url, application_name: prefix });
  const sandbox: GitSandbox = await createGitSandbox();
  const service = spawnCompiled('services/gitops/gitops-sync/src/main.ts', {
    BUS_NAMESPACE: bus.names.namespace,
    DATABASE_URL: database.url,
    JWT_SECRET: 'bench-secret-0123456789abcdef0123456789',
    SERVICE_PORT: String(await freePort()),
    SERVICE_HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    GIT_DATA_DIR: sandbox.dataDir,
    GITOPS_RUNTIME_DIR: stateDir,
    GITOPS_NPM_FEEDS: JSON.stringify({ [PACKAGE.feed]: `file://${feedDir}` }),
    // only the commits trigger syncs during the measurement
    GITOPS_SYNC_INTERVAL_MS: '3600000',
    HEALTH_REPORT_INTERVAL_MS: '60000',
    // where the service's time goes: a V8 CPU profile per run, written when the service exits (see BENCHMARKS.md)
    ...(process.env.BENCH_GITOPS_CPU_PROF ? { NODE_OPTIONS: `--require ${cpuProfilePreload(root, process.env.BENCH_GITOPS_CPU_PROF)}` } : {}),
  });
  const exited = service.exited.then(({ code, signal }) => {
    throw new Error(`gitops-sync exited (code ${code}, signal ${signal})`);
  });
  exited.catch(() => undefined);
  const unlessExited = <T>(wait: Promise<T>) => Promise.race([wait, exited]);

  const listeners = new Set<(event: GitOpsEvent) => void>();
  const subscription: Subscription = bus.nc.subscribe(bus.names.eventFilter('gitops'), {
    callback: (_error: unknown, msg: Msg) => {
      const event = msg.json<GitOpsEvent>();
      for (const listener of listeners) listener(event);
    },
  });
  const workloadPids = (environment: string) =>
    new ProcessRecordStore(path.join(stateDir, environment, 'supervisor'))
      .readAll()
      .map((r) => r.pid)
      .filter((pid): pid is number => pid !== null);
  const routerPids = async () => {
    const records = await Promise.all(ENVIRONMENTS.map((e) => readRouterRecord(path.join(stateDir, e, 'router')).catch(() => null)));
    return records.flatMap((r) => (r ? [r.pid] : []));
  };

  const close = async () => {
    subscription.unsubscribe();
    await stop(service);
    // the runtime's processes outlive the service (adoptable): end every workload and router it recorded
    const pids = [...ENVIRONMENTS.flatMap((e) => workloadPids(e)), ...(await routerPids())];
    for (const pid of pids) killGroup(pid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const pid of pids) killGroup(pid, 'SIGKILL');
    await pg.end().catch(() => undefined);
    await bus.close();
    await database.drop();
    await sandbox.close();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    await pg.connect();
    await unlessExited(eventually(async () => ((await pg.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'gitops_applications'`, [SCHEMA])).rowCount ? true : undefined), 'gitops-sync migrated', 60_000));
  } catch (error) {
    await close();
    throw error;
  }

  return {
    pid: service.process.pid,
    workloadPids,
    routerPids,
    close,
    // as the local int test's harness: created through the git provider, announced by RepositoryProvisioned
    async repository(name, files) {
      const locator = { tenantId: TENANT, projectId: PROJECT, name };
      const initialFiles = Object.entries(files).map(([file, content]) => ({ action: 'add' as const, path: file, content }));
      const info = await sandbox.git.createRepository(locator, { defaultBranch: 'main', initialFiles, author: AUTHOR });
      const repositoryId = uuidv7();
      const payload = { repositoryId, name, defaultBranch: 'main', purpose: 'gitops' as const, provider: 'local' as const, cloneUrl: info.cloneUrl, headSha: info.headSha };
      await publisher.publish(createEnvelope('RepositoryProvisioned', payload, { source: 'repository', tenantId: TENANT, projectId: PROJECT }));
      await unlessExited(eventually(async () => ((await pg.query(`SELECT 1 FROM ${SCHEMA}.repositories WHERE repository_id = $1`, [repositoryId])).rowCount ? true : undefined), `repository ${name} known to gitops-sync`, 30_000));
      return { repositoryId, locator, headSha: info.headSha };
    },
    async commitAndSync(repo, files, targets, timeoutMs, action = 'update') {
      const waiting = new Set(targets.map(([e, a]) => `${e}/${a}`));
      let revision: string | undefined;
      let listener: ((event: GitOpsEvent) => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      let replay = (): void => undefined;
      let firstAt: number | undefined;
      let allSyncedAt: number | undefined;
      const unreported = new Set(waiting);
      const done = new Promise<number>((resolve, reject) => {
        const seen: GitOpsEvent[] = [];
        const check = (event: GitOpsEvent) => {
          if (event.payload.revision !== revision) return;
          const key = `${event.payload.environment}/${event.payload.application}`;
          if (!waiting.has(key)) return;
          firstAt ??= nowMs();
          if (unreported.delete(key) && unreported.size === 0) allSyncedAt = nowMs();
          if (event.type === 'GitOpsSyncFailed') return reject(new Error(`${key}: GitOpsSyncFailed ${event.payload.error?.code}: ${event.payload.error?.message}`));
          if (event.type === 'GitOpsSynced' && event.payload.health === 'Healthy') waiting.delete(key);
          if (waiting.size === 0) resolve(nowMs());
        };
        // events that arrive before the commit call returns its sha are replayed once it is known
        listener = (event) => (revision === undefined ? seen.push(event) : check(event));
        listeners.add(listener);
        timer = setTimeout(() => reject(new Error(`${waiting.size} of ${targets.length} applications not Healthy within ${timeoutMs} ms (BENCH_GITOPS_STEP_TIMEOUT_MS)`)), timeoutMs);
        replay = () => seen.splice(0).forEach(check);
      });
      const started = nowMs();
      try {
        const changes = Object.entries(files).map(([file, content]) => ({ action, path: file, content }));
        const result = await sandbox.git.commit(repo.locator, { branch: 'main', changes, message: 'bench: workload', author: AUTHOR });
        revision = result.sha;
        replay();
        const payload = { repositoryId: repo.repositoryId, branch: 'main', sha: result.sha, parentSha: result.parentSha, message: 'bench: workload', files: changes.map((c) => ({ path: c.path, action: c.action })) };
        await publisher.publish(createEnvelope('CommitCreated', payload, { source: 'commit', tenantId: TENANT, projectId: PROJECT }));
        const finished = await unlessExited(done);
        repo.headSha = result.sha;
        return { ms: finished - started, firstMs: (firstAt ?? finished) - started, allSyncedMs: (allSyncedAt ?? finished) - started };
      } finally {
        clearTimeout(timer);
        if (listener) listeners.delete(listener);
      }
    },
  };
}

// node 20 refuses --cpu-prof in NODE_OPTIONS (and spawnCompiled fixes the execArgv): a preload that profiles through
// the inspector instead, from the start to the exit (an in-process session answers synchronously, even on 'exit')
function cpuProfilePreload(root: string, outDir: string): string {
  const file = path.join(root, 'cpu-profile.preload.js');
  const out = path.resolve(outDir);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    file,
    `const inspector = require('node:inspector');
const fs = require('node:fs');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
process.on('exit', () => session.post('Profiler.stop', (error, result) => {
  if (!error) fs.writeFileSync(${JSON.stringify(out)} + '/gitops-sync-' + process.pid + '.cpuprofile', JSON.stringify(result.profile));
}));
`,
  );
  return file;
}

/** environments/<env>/<app>/workload.json: the layout the release context writes */
function workloadPath(environment: string, application: string): string {
  return `environments/${environment}/${application}/workload.json`;
}

// gitops-sync's domain fixture rolling-npm.workload.json, filled in: the bench package, run with this machine's node
function workloadJson(environment: string, application: string, generation: number): string {
  const pkg = { feed: { kind: 'npm-registry', name: PACKAGE.feed }, format: 'npm', name: PACKAGE.name, version: PACKAGE.version };
  const doc = {
    application,
    artifacts: { images: [], packages: [pkg] },
    command: [process.execPath, 'server.js'],
    env: { LOG_LEVEL: 'info', BENCH_GENERATION: String(generation) },
    environment,
    healthPath: '/health',
    name: 'web',
    port: 8080,
    releaseId: '0192f3a4-5b6c-7d8e-9f01-23456789abcd',
    replicas: 1,
    revisionLabel: PACKAGE.version,
    runtime: { kind: 'npm-package', package: pkg },
    slot: null,
    slots: [],
    strategy: { kind: 'rolling' },
    version: PACKAGE.version,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** `<feed>/<name>/-/<name>-<version>.tgz`, as `npm pack` lays a package out (everything under package/) */
async function writePackage(feedDir: string): Promise<void> {
  const p = pack();
  p.entry({ name: 'package/package.json', mode: 0o644 }, JSON.stringify({ name: PACKAGE.name, version: PACKAGE.version, main: 'server.js' }));
  p.entry({ name: 'package/server.js', mode: 0o644 }, SERVER_JS);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  const file = path.join(feedDir, PACKAGE.name, '-', `${PACKAGE.name}-${PACKAGE.version}.tgz`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, gzipSync(Buffer.concat(chunks)));
}

/** the workload's own start: node server.js spawned directly until /health answers, median of `runs` */
async function workloadStartMs(runs: number): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-gitops-start-'));
  writeFileSync(path.join(dir, 'server.js'), SERVER_JS);
  const samples: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const port = await freePort();
      const started = nowMs();
      const child = spawnServer(dir, port);
      try {
        await untilHealthy(port, 30_000);
        samples.push(nowMs() - started);
      } finally {
        await killChild(child);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? 0;
}

function spawnServer(cwd: string, port: number): ChildProcess {
  const child = spawn(process.execPath, ['server.js'], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(port) }, stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

// polled every 10 ms: the floor should not be padded by a coarse poll
async function untilHealthy(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) });
      await response.text();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`127.0.0.1:${port}/health did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // gone already, or not a group leader
    }
  }
}

/** VmRSS of a process from /proc, in MB (0 when it is gone) */
function rssMb(pid: number | undefined): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
