import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { LocalRuntimeAdapter, ProcessRecordStore } from '@delivery/gitops-local-runtime';
import { readRouterRecord } from '@delivery/gitops-router';
import { createEnvelope, uuidv7 } from '@delivery/messaging';
import { createGitSandbox, repositoryKnown, type GitSandbox } from '@delivery/repository-directory/testing';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, type ServiceFixture } from '@delivery/testing';
import { fixtureDoc } from './domain/gitops.test-fixture';
import { npmTarballUrl } from './domain/npm-feeds';
import { gitopsSyncService } from './gitops-sync.service';

// gitops-sync on the LOCAL runtime: real NATS, Postgres, git, and real processes behind the environment's router.
// The npm package is written to a file feed laid out like an npm registry (GITOPS_NPM_FEEDS: internal → file://…).

export const PACKAGE = { name: 'shop-app', version: '1.0.0', feed: 'internal' } as const;

// answers /health, /fail with 500 and anything else with its pid
const SERVER_JS = `
const http = require('http');
const server = http.createServer((req, res) => {
  if (req.url === '/fail') { res.writeHead(500); return res.end('failing on purpose'); }
  if (req.url === '/health') { res.writeHead(200); return res.end('ok'); }
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

export async function startLocalHarness(options: { intervalMs: number; healthReportIntervalMs: number }): Promise<LocalHarness> {
  const root = mkdtempSync(path.join(tmpdir(), 'gitops-local-'));
  const feedDir = path.join(root, 'feed');
  await writePackage(feedDir);
  const stateDir = path.join(root, 'runtime');
  // a 2 s restart backoff: long enough for gitops-sync to see the workload down, short enough for the test
  const runtime = new LocalRuntimeAdapter({ stateDir, drainMs: 100, tableRefreshMs: 200, supervisor: { readinessPeriodMs: 200, backoffBaseMs: 2_000, gracePeriodMs: 2_000 } });
  const sandbox = await createGitSandbox();
  const fx = await createServiceFixture('gitopslocal');
  const sync = await fx.start(gitopsSyncService({ runtime, intervalMs: options.intervalMs, jitter: 0, settleMs: 300, healthReportIntervalMs: options.healthReportIntervalMs, npmFeeds: { [PACKAGE.feed]: `file://${feedDir}` } }));
  const pids = (environment: string) =>
    new ProcessRecordStore(path.join(stateDir, environment, 'supervisor'))
      .readAll()
      .map((r) => r.pid)
      .filter((pid): pid is number => pid !== null);
  return {
    fx,
    sandbox,
    runtime,
    stateDir,
    sync,
    pids,
    async gitops(name, files) {
      const locator = { tenantId: 'acme', projectId: 'web', name };
      const initialFiles = Object.entries(files).map(([file, content]) => ({ action: 'add' as const, path: file, content }));
      const info = await sandbox.git.createRepository(locator, { defaultBranch: 'main', initialFiles, author: { name: 'seed', email: 'seed@example.com' } });
      const repositoryId = uuidv7();
      const payload = { repositoryId, name, defaultBranch: 'main', purpose: 'gitops' as const, provider: 'local' as const, cloneUrl: info.cloneUrl, headSha: info.headSha };
      await fx.publisher.publish(createEnvelope('RepositoryProvisioned', payload, { source: 'repository', tenantId: 'acme', projectId: 'web' }));
      await repositoryKnown(sync, repositoryId);
      return { repositoryId, headSha: info.headSha };
    },
    async close() {
      await fx.close();
      const environments = ['dev1', 'dev2', 'dev3'];
      const leftovers = environments.flatMap((env) => pids(env));
      const routers = await Promise.all(environments.map((env) => readRouterRecord(path.join(stateDir, env, 'router'))));
      await runtime.stopAll();
      // never leave processes behind, even when stopAll could not reach one
      for (const pid of [...leftovers, ...routers.flatMap((r) => (r ? [r.pid] : []))]) killGroup(pid);
      await sandbox.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
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
