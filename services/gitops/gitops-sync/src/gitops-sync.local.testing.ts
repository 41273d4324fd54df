import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { Client } from 'pg';
import type { RepositoryLocator } from '@delivery/git-provider';
import { LocalRuntimeAdapter, ProcessRecordStore, type ProcessRecord } from '@delivery/gitops-local-runtime';
import { readRouterRecord } from '@delivery/gitops-router';
import { createEnvelope, uuidv7 } from '@delivery/messaging';
import { createGitSandbox, repositoryKnown, type GitSandbox } from '@delivery/repository-directory/testing';
import { openServiceRegistry, type RunningService } from '@delivery/service-kit';
import { buildOnce, createServiceFixture, eventually, spawnCompiled, TEST_JWT_SECRET, type Child, type ServiceFixture } from '@delivery/testing';
import { fixtureDoc } from './domain/gitops.test-fixture';
import { npmTarballUrl } from './domain/npm-feeds';
import { gitopsSyncService } from './gitops-sync.service';

// gitops-sync on the LOCAL runtime: real NATS, Postgres, git, and real processes behind the environment's router.
// The npm package is written to a file feed laid out like an npm registry (GITOPS_NPM_FEEDS: internal → file://…).

export const PACKAGE = { name: 'shop-app', version: '1.0.0', feed: 'internal' } as const;

// answers /health (503 until READY_AFTER_MS after its start, always with NEVER_READY=1), /fail with 500 and
// anything else with its pid
const SERVER_JS = `
const http = require('http');
const startedAt = Date.now();
const ready = () => process.env.NEVER_READY !== '1' && Date.now() - startedAt >= Number(process.env.READY_AFTER_MS || 0);
const server = http.createServer((req, res) => {
  if (req.url === '/fail') { res.writeHead(500); return res.end('failing on purpose'); }
  if (req.url === '/health') { res.writeHead(ready() ? 200 : 503); return res.end(ready() ? 'ok' : 'not ready'); }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ pid: process.pid, path: req.url }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { server.close(); process.exit(0); });
`;

export interface LocalHarness {
  fx: ServiceFixture;
  sandbox: GitSandbox;
  runtime: LocalRuntimeAdapter;
  stateDir: string;
  sync: RunningService;
  gitops(name: string, files: Record<string, string>): Promise<{ repositoryId: string; headSha: string }>;
  /** pids of the environment's supervised processes, from the supervisor's state files */
  pids(environment: string): number[];
  close(): Promise<void>;
}

export async function startLocalHarness(options: { intervalMs: number; healthReportIntervalMs: number; progressDeadlineSeconds?: number }): Promise<LocalHarness> {
  const dirs = await runtimeDirs();
  // a 2 s restart backoff: long enough for gitops-sync to see the workload down, short enough for the test
  const runtime = new LocalRuntimeAdapter({ stateDir: dirs.stateDir, drainMs: 100, tableRefreshMs: 200, supervisor: { readinessPeriodMs: 200, backoffBaseMs: 2_000, gracePeriodMs: 2_000 } });
  const sandbox = await createGitSandbox();
  const fx = await createServiceFixture('gitopslocal');
  const settings = { intervalMs: options.intervalMs, jitter: 0, settleMs: 300, healthReportIntervalMs: options.healthReportIntervalMs, npmFeeds: dirs.npmFeeds };
  const sync = await fx.start(gitopsSyncService({ runtime, ...settings, ...(options.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: options.progressDeadlineSeconds } : {}) }));
  return {
    fx,
    sandbox,
    runtime,
    stateDir: dirs.stateDir,
    sync,
    pids: (environment) => supervisedPids(dirs.stateDir, environment),
    async gitops(name, files) {
      const repo = await provisionGitOps(fx, sandbox, name, files);
      await repositoryKnown(sync, repo.repositoryId);
      return repo;
    },
    async close() {
      await fx.close();
      const leftovers = await runtimePids(dirs.stateDir);
      await runtime.stopAll();
      // never leave processes behind, even when stopAll could not reach one
      for (const pid of leftovers) killGroup(pid);
      await sandbox.close();
      rmSync(dirs.root, { recursive: true, force: true });
    },
  };
}

/**
 * gitops-sync as a real child process (compiled, from dist/, like production) on the embedded local runtime, so
 * that it can be SIGKILLed: the runtime's state dir, the bus namespace, the database and the git data dir outlive
 * it, and the next process started with spawn() takes over from them.
 */
export interface SyncProcessHarness {
  fx: ServiceFixture;
  sandbox: GitSandbox;
  stateDir: string;
  /** starts a gitops-sync process and resolves once it is registered (its consumers and timers run) */
  spawn(): Promise<Child>;
  /** a GitOps repository the running gitops-sync process knows */
  gitops(name: string, files: Record<string, string>): Promise<{ repositoryId: string; headSha: string; locator: RepositoryLocator }>;
  /** the supervisor's records of the environment's replicas (pid, specHash, port …) */
  records(environment: string): ProcessRecord[];
  close(): Promise<void>;
}

export async function startSyncProcessHarness(settings: { intervalMs: number; healthReportIntervalMs: number }): Promise<SyncProcessHarness> {
  buildOnce();
  const dirs = await runtimeDirs();
  const sandbox = await createGitSandbox();
  const fx = await createServiceFixture('gitopsproc');
  const registry = await openServiceRegistry(fx.bus.nc, fx.bus.names);
  const env = {
    BUS_NAMESPACE: fx.bus.names.namespace,
    DATABASE_URL: fx.db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    GIT_DATA_DIR: sandbox.dataDir,
    SERVICE_PORT: '0',
    LOG_LEVEL: 'warn',
    RETRY_INITIAL_MS: '100',
    // the embedded local runtime, whatever the machine's KUBECONFIG says
    KUBECONFIG: '',
    GITOPS_RUNTIME_DIR: dirs.stateDir,
    GITOPS_NPM_FEEDS: JSON.stringify(dirs.npmFeeds),
    GITOPS_SYNC_INTERVAL_MS: String(settings.intervalMs),
    GITOPS_SETTLE_MS: '300',
    HEALTH_REPORT_INTERVAL_MS: String(settings.healthReportIntervalMs),
  };
  const children: Child[] = [];
  const pg = new Client({ connectionString: fx.db.url });
  await pg.connect();
  return {
    fx,
    sandbox,
    stateDir: dirs.stateDir,
    async spawn() {
      const before = await registration(registry);
      const child = spawnCompiled('services/gitops/gitops-sync/src/main.ts', env);
      children.push(child);
      // an entry left by a killed predecessor lives on until its TTL: wait for this process' own
      const registered = eventually(async () => {
        const found = await registration(registry);
        return found && found.startedAt !== before?.startedAt ? found : undefined;
      }, 'the gitops-sync process registered', 60_000);
      const died = child.exited.then(({ code, signal }) => Promise.reject(new Error(`gitops-sync exited before it registered (code ${code}, signal ${signal})`)));
      died.catch(() => undefined); // settles at teardown too: never an unhandled rejection
      await Promise.race([registered, died]);
      return child;
    },
    async gitops(name, files) {
      const repo = await provisionGitOps(fx, sandbox, name, files);
      // what repositoryKnown checks for an in-process service, read from the process' schema
      await eventually(async () => ((await pg.query('SELECT 1 FROM gitops_sync.repositories WHERE repository_id = $1', [repo.repositoryId])).rowCount ? true : undefined), `repository ${repo.repositoryId} projected`);
      return repo;
    },
    records: (environment) => new ProcessRecordStore(path.join(dirs.stateDir, environment, 'supervisor')).readAll(),
    async close() {
      // the service stops; the processes it runs stay up (as in production) and are killed below
      for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGTERM');
      await Promise.all(children.map((c) => c.exited));
      for (const pid of await runtimePids(dirs.stateDir)) killGroup(pid);
      await pg.end();
      await fx.close();
      await sandbox.close();
      rmSync(dirs.root, { recursive: true, force: true });
    },
  };
}

interface RuntimeDirs {
  root: string;
  /** the local runtime's state dir (GITOPS_RUNTIME_DIR) */
  stateDir: string;
  /** GITOPS_NPM_FEEDS: the test package's file feed */
  npmFeeds: Record<string, string>;
}

async function runtimeDirs(): Promise<RuntimeDirs> {
  const root = mkdtempSync(path.join(tmpdir(), 'gitops-local-'));
  const feedDir = path.join(root, 'feed');
  await writePackage(feedDir);
  return { root, stateDir: path.join(root, 'runtime'), npmFeeds: { [PACKAGE.feed]: `file://${feedDir}` } };
}

/** a GitOps repository made like the repository service makes it, announced by RepositoryProvisioned */
async function provisionGitOps(fx: ServiceFixture, sandbox: GitSandbox, name: string, files: Record<string, string>): Promise<{ repositoryId: string; headSha: string; locator: RepositoryLocator }> {
  const locator = { tenantId: 'acme', projectId: 'web', name };
  const initialFiles = Object.entries(files).map(([file, content]) => ({ action: 'add' as const, path: file, content }));
  const info = await sandbox.git.createRepository(locator, { defaultBranch: 'main', initialFiles, author: { name: 'seed', email: 'seed@example.com' } });
  const repositoryId = uuidv7();
  const payload = { repositoryId, name, defaultBranch: 'main', purpose: 'gitops' as const, provider: 'local' as const, cloneUrl: info.cloneUrl, headSha: info.headSha };
  await fx.publisher.publish(createEnvelope('RepositoryProvisioned', payload, { source: 'repository', tenantId: 'acme', projectId: 'web' }));
  return { repositoryId, headSha: info.headSha, locator };
}

function supervisedPids(stateDir: string, environment: string): number[] {
  return new ProcessRecordStore(path.join(stateDir, environment, 'supervisor'))
    .readAll()
    .map((r) => r.pid)
    .filter((pid): pid is number => pid !== null);
}

/** every workload and router pid recorded under the state dir, whatever the environment */
async function runtimePids(stateDir: string): Promise<number[]> {
  const environments = existsSync(stateDir) ? readdirSync(stateDir) : [];
  const routers = await Promise.all(environments.map((env) => readRouterRecord(path.join(stateDir, env, 'router'))));
  return [...environments.flatMap((env) => supervisedPids(stateDir, env)), ...routers.flatMap((r) => (r ? [r.pid] : []))];
}

async function registration(registry: Awaited<ReturnType<typeof openServiceRegistry>>): Promise<{ url: string; startedAt: string } | null> {
  const entry = await registry.get('gitops-sync');
  return entry && entry.length > 0 ? (entry.json() as { url: string; startedAt: string }) : null;
}

/** The rolling fixture of the domain, run from the test package with the machine's node. */
export function localWorkload(environment: string, overrides: Record<string, unknown> = {}): string {
  const doc = fixtureDoc('rolling-npm');
  const pkg = { feed: { kind: 'npm-registry', name: PACKAGE.feed }, format: 'npm', name: PACKAGE.name, version: PACKAGE.version };
  return `${JSON.stringify({ ...doc, environment, version: PACKAGE.version, replicas: 1, command: [process.execPath, 'server.js'], runtime: { kind: 'npm-package', package: pkg }, ...overrides }, null, 2)}\n`;
}

/** `<feed>/<name>/-/<name>-<version>.tgz`, as `npm pack` lays a package out (everything under package/). */
async function writePackage(feedDir: string): Promise<void> {
  const p = pack();
  p.entry({ name: 'package/package.json', mode: 0o644 }, JSON.stringify({ name: PACKAGE.name, version: PACKAGE.version, main: 'server.js' }));
  p.entry({ name: 'package/server.js', mode: 0o644 }, SERVER_JS);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  const file = new URL(npmTarballUrl(`file://${feedDir}`, PACKAGE.name, PACKAGE.version)).pathname;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, gzipSync(Buffer.concat(chunks)));
}

export interface Answer {
  status: number;
  body: string;
}

/** GET through the environment's router with the application's Host header. */
export function viaRouter(routerUrl: string, environment: string, urlPath: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${routerUrl}${urlPath}`, { headers: { host: `shop.${environment}.localhost` }, agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}

/** pids of the live processes whose working directory is under `dir` (zombies have none): what really runs from there */
export function processesUnder(dir: string): number[] {
  const root = realpathSync(dir);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === root || cwd.startsWith(`${root}/`)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, a zombie, or not ours to read
    }
  }
  return pids.sort((a, b) => a - b);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // gone already, or not a group leader
    }
  }
}
