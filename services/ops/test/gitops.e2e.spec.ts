import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { headers as natsHeaders, type Subscription } from '@nats-io/nats-core';
import { signTestToken } from '@delivery/auth';
import { ProcessRecordStore } from '@delivery/gitops-local-runtime';
import { readRouterRecord } from '@delivery/gitops-router';
import { RELEASES_ADMIN, RELEASES_APPROVE, RELEASES_READ, RELEASES_WRITE } from '@delivery/release-scopes';
import { ContractClient, eventually, newTraceparent, type TestBus } from '@delivery/testing';
// the loopback npm registry the packaging service's own tests use (boundary rule off for e2e specs)
import { startVerdaccio, type Verdaccio } from '../../packaging/package-publishing/src/testing/verdaccio.testing';
import { createPlatform, succeededBuild, type PlatformProcesses } from './platform.fixture';

jest.setTimeout(300_000);

const run = promisify(execFile);
const SECRET = 'gitops-e2e-secret-0123456789abcdef';
const SERVICES = ['source-control/repository', 'source-control/commit', 'release/release', 'release/environment-promotion', 'release/deployment-manifest', 'gitops/gitops-sync'];
const PROJECT = 'greeter';
const APPLICATION = 'greeter';
const GITOPS_REPO = 'greeter-gitops';
const FIXTURE = path.join(__dirname, 'fixtures', 'sample-module');
const PACKAGE = { format: 'npm', name: '@sample/greeter', version: '1.0.0', feed: { kind: 'npm-registry', name: 'npm' } } as const;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// A release promoted with NO GitOps player: the real gitops-sync reads the workload.json deployment-manifest
// committed, installs the sample module's tarball from a real Verdaccio, runs it as a real process behind the local
// runtime's router, reports GitOpsSynced of that revision and RuntimeHealthReported (probes through the router),
// and those reports pass the release's http-probe gate.
describe('GitOps end to end (release → real gitops-sync → local runtime process)', () => {
  let platform: PlatformProcesses;
  let bus: TestBus;
  let events: Subscription;
  let verdaccio: Verdaccio;
  let scratch: string;
  const runtimeDir = () => path.join(scratch, 'runtime');
  const seen: Json[] = [];
  const contracts = ContractClient.load();

  beforeAll(async () => {
    [verdaccio, scratch] = await Promise.all([startVerdaccio(), mkdtemp(path.join(tmpdir(), 'e2egitops-'))]);
    platform = await createPlatform('e2egitops', SECRET);
    bus = platform.bus;
    events = bus.nc.subscribe(`${bus.names.namespace}.acme.evt.>`, {
      callback: (_error, msg) => {
        const event = msg.json<Json>();
        contracts.assertValid(event.type, event); // every event published honours its published schema
        seen.push(event);
      },
    });
  });
  afterAll(async () => {
    events?.unsubscribe();
    await platform?.close();
    // the local runtime's workloads and routers outlive gitops-sync by design: kill what its state dir records
    if (scratch) await killRuntime(runtimeDir(), ['dev1', 'staging1']);
    await Promise.all([verdaccio?.close(), scratch && rm(scratch, { recursive: true, force: true })]);
  });

  it('a release of an npm package reaches dev1 and staging1 through real GitOps sync: a process from Verdaccio answers through the router', async () => {
    // --- 1. the sample module, packed and published to the npm registry
    const npmToken = await verdaccio.addUser('platform', 'platform-secret');
    const tarballUrl = await publishToVerdaccio(verdaccio, npmToken, scratch);
    expect((await fetch(tarballUrl)).status).toBe(200); // where gitops-sync will look for it

    // --- 2. the processes: source control, the release context and gitops-sync on the local runtime
    await platform.start(SERVICES, {
      TIMER_POLL_MS: '100',
      GITOPS_RUNTIME_DIR: runtimeDir(),
      GITOPS_NPM_FEEDS: JSON.stringify({ [PACKAGE.feed.name]: verdaccio.url }),
      GITOPS_SYNC_INTERVAL_MS: '2000',
      HEALTH_REPORT_INTERVAL_MS: '1000',
    });
    const [releaseUrl, gitopsUrl] = ['release', 'gitops-sync'].map((name) => platform.urlOf(name)) as [string, string];
    const planner = await signTestToken({ sub: 'release-agent-7', tenant: 'acme', scopes: [RELEASES_WRITE, RELEASES_READ], actorKind: 'agent' }, SECRET);
    const admin = await signTestToken({ sub: 'root', tenant: 'acme', scopes: [RELEASES_ADMIN, RELEASES_READ] }, SECRET);
    const sam = await signTestToken({ sub: 'sam', tenant: 'acme', scopes: [RELEASES_APPROVE, RELEASES_READ] }, SECRET);
    const viewer = await signTestToken({ sub: 'studio', tenant: 'acme', scopes: ['devops.gitops.read'] }, SECRET);
    const find = (what: string, predicate: (e: Json) => boolean, timeoutMs = 30_000) => eventually(async () => seen.find(predicate), what, timeoutMs);
    const publish = async (envelope: Json) => {
      contracts.assertValid(envelope.type, envelope);
      const h = natsHeaders();
      h.set('Nats-Msg-Id', String(envelope.id));
      h.set('traceparent', newTraceparent(envelope.traceId));
      await bus.js.publish(contracts.subject(envelope.type, 'acme', bus.names.namespace), JSON.stringify(envelope), { headers: h });
      return envelope;
    };

    // --- 3. the GitOps repository (over the bus) and the release policy pointing at it (over REST)
    const provision = await publish(
      contracts.command('ProvisionRepository', { name: GITOPS_REPO, purpose: 'gitops', initialFiles: [{ path: 'README.md', content: '# Desired state\n' }] }, {
        tenantId: 'acme',
        projectId: PROJECT,
        traceId: randomBytes(16).toString('hex'),
        actor: { kind: 'user', id: 'root' },
      }),
    );
    const repositoryId = (await find('RepositoryProvisioned', (e) => e.type === 'RepositoryProvisioned' && e.causationId === provision.id)).payload.repositoryId as string;
    const policy = { environments: [{ match: 'dev*', autoApprove: true }, { match: 'staging*', roles: ['staff'] }, { match: '*', roles: ['staff', 'client'] }] };
    const target = { repositoryId, branch: 'main', pathTemplate: 'environments/{environment}/{application}' };
    await call(releaseUrl, 'PUT', `/projects/${PROJECT}/release-policy`, admin, { policy, gitops: target }, 200);

    // --- 4. a succeeded build, then the agent plans and submits its release
    const traceId = randomBytes(16).toString('hex');
    await publish(succeededBuild('build-1', traceId, { projectId: PROJECT, repositoryId: 'greeter-app' }));
    await find('BuildCompleted build-1', (e) => e.type === 'BuildCompleted' && e.payload.buildId === 'build-1');
    const body = {
      projectId: PROJECT,
      application: APPLICATION,
      version: PACKAGE.version,
      buildId: 'build-1',
      repositoryId: 'greeter-app',
      sourceSha: 'a'.repeat(40),
      artifacts: { packages: [PACKAGE], images: [] },
      workload: { name: APPLICATION, command: ['node', 'src/server.js'], port: 3000, healthPath: '/health', replicas: 1 },
      environments: [
        { name: 'dev1', strategy: { kind: 'rolling' }, healthGates: [{ kind: 'http-probe', path: '/health', consecutiveSuccesses: 2, intervalSeconds: 1, timeoutSeconds: 60 }] },
        // rolling: slotted strategies on the real runtime are not covered end to end yet
        { name: 'staging1', strategy: { kind: 'rolling' }, healthGates: [{ kind: 'soak', minSeconds: 1 }] },
      ],
    };
    const planned = await eventually(async () => {
      const response = await call(releaseUrl, 'POST', '/releases', planner, body);
      if (response.status === 404) return undefined; // BuildCompleted not projected yet
      if (response.status !== 201) throw new Error(`plan: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body;
    }, 'the release planned', 15_000);
    const releaseId = planned.releaseId as string;
    await call(releaseUrl, 'POST', `/releases/${releaseId}/submit`, planner, {}, 200);
    // dev1 is auto-approved; staging1 needs staff
    const approved = await call(releaseUrl, 'POST', `/releases/${releaseId}/approve`, sam, { environment: 'staging1', role: 'staff' }, 200);
    expect(approved.body.events).toEqual(expect.arrayContaining(['ReleaseApprovalRecorded', 'ReleaseApproved']));

    // --- 5. nobody plays GitOps: the release is deployed only if gitops-sync ran it and reported it healthy
    const failure = () => seen.find((e) => ['ReleaseFailed', 'PromotionFailed', 'GitOpsSyncFailed', 'DeploymentManifestRenderFailed'].includes(e.type));
    const deployed = await untilOrFailure(() => seen.find((e) => e.type === 'ReleaseDeployed' && e.payload.releaseId === releaseId), failure, 'ReleaseDeployed', 120_000, () => trailOf(seen));
    const revisions = Object.fromEntries(deployed.payload.environments.map((e: Json) => [e.environment, e.revision as string])) as Record<string, string>;
    expect(Object.keys(revisions)).toEqual(['dev1', 'staging1']);

    for (const environment of ['dev1', 'staging1']) {
      const revision = revisions[environment]!;
      // gitops-sync synced exactly the revision deployment-manifest committed, and ran it from the Verdaccio tarball
      const rendered = seen.filter((e) => e.type === 'DeploymentManifestRendered' && e.payload.releaseId === releaseId && e.payload.environment === environment);
      expect(rendered.map((e) => e.payload.revision)).toContain(revision);
      // a soak gate needs only Synced: Healthy may be reported after the promotion
      const synced = await eventually(async () => seen.find((e) => e.type === 'GitOpsSynced' && e.payload.environment === environment && e.payload.revision === revision && e.payload.health === 'Healthy'), `${environment} Healthy at ${revision}`, 15_000);
      expect(synced).toMatchObject({ source: 'gitops-sync', payload: { application: APPLICATION, repositoryId, releaseId, sync: 'Synced' } });
      expect(synced!.payload.workloads).toEqual(expect.arrayContaining([expect.objectContaining({ health: 'Healthy', replicas: 1, readyReplicas: 1 })]));

      // gitops-sync's view, and the process answering through the environment's router (router.json of its state dir);
      // every application follows the branch head, which is staging1's manifest commit (dev1's file unchanged there)
      const head = revisions.staging1;
      const view = await eventually(async () => {
        const response = await call(gitopsUrl, 'GET', `/environments/${environment}/applications`, viewer);
        return response.status === 200 && response.body.items.some((i: Json) => i.health === 'Healthy' && i.revision === head) ? response.body : undefined;
      }, `${environment} Healthy in gitops-sync`, 15_000);
      expect(view.items).toEqual([expect.objectContaining({ application: APPLICATION, projectId: PROJECT, repositoryId, sync: 'Synced', health: 'Healthy', revision: head, releaseId })]);
      const router = await readRouterRecord(path.join(runtimeDir(), environment, 'router'));
      expect(router).not.toBeNull();
      const greeting = await eventually(async () => {
        const answer = await viaRouter(`http://${router!.host}:${router!.port}`, `${APPLICATION}.${environment}.localhost`, `/greet?name=${environment}`);
        return answer.status === 200 ? answer.body : undefined;
      }, `the greeter answering through the ${environment} router`, 10_000);
      expect(greeting).toBe(`hello ${environment}`);
      expect(runtimePids(runtimeDir(), environment).length).toBe(1);
    }

    // gitops-sync's health reports (probes through the router) fed dev1's http-probe gate; staging1 soaked
    const report = seen.find((e) => e.type === 'RuntimeHealthReported' && e.source === 'gitops-sync' && e.payload.probes.some((p: Json) => p.revision === revisions.dev1 && p.ok));
    expect(report?.payload).toMatchObject({ environment: 'dev1', application: APPLICATION });
    const gates = seen.filter((e) => e.type === 'HealthGateEvaluated' && e.payload.releaseId === releaseId);
    expect(gates.map((e) => [e.payload.environment, e.payload.gate.kind, e.payload.passed])).toEqual([['dev1', 'http-probe', true], ['staging1', 'soak', true]]);
    expect(seen.filter((e) => e.type === 'DeploymentPromoted' && e.payload.releaseId === releaseId).map((e) => e.payload.environment)).toEqual(['dev1', 'staging1']);

    expect(new Set(await platform.stop())).toEqual(new Set([0]));
  });
});

// --- helpers

/** what happened, compactly, for a timeout's message (health reports folded) */
function trailOf(events: Json[]): string {
  const lines = events
    .filter((e) => e.type !== 'RuntimeHealthReported')
    .map((e) => [e.type, e.payload?.environment, typeof e.payload?.revision === 'string' ? e.payload.revision.slice(0, 8) : undefined, e.payload?.health, e.payload?.step?.weight, e.payload?.gate?.kind, e.payload?.passed].filter((x) => x !== undefined).join(' '));
  const last = events.filter((e) => e.type === 'RuntimeHealthReported').at(-1);
  return `${lines.join(' | ')} | last RuntimeHealthReported: ${JSON.stringify(last?.payload)}`;
}

/** polls for `found`, failing at once (not at the timeout) when `failed` turns up */
async function untilOrFailure(found: () => Json | undefined, failed: () => Json | undefined, what: string, timeoutMs: number, trail: () => string): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const bad = failed();
    if (bad) throw new Error(`${bad.type} while waiting for ${what}: ${JSON.stringify(bad.payload)}`);
    const good = found();
    if (good) return good;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the events so far: ${trail()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** npm pack of the fixture, npm publish of the tarball to Verdaccio; returns the tarball URL in registry layout. */
async function publishToVerdaccio(verdaccio: Verdaccio, token: string, dir: string): Promise<string> {
  const registry = new URL(verdaccio.url);
  const userconfig = path.join(dir, '.npmrc');
  await writeFile(userconfig, `//${registry.host}/:_authToken=${token}\n`);
  const npm = (args: string[]) => run('npm', [...args, '--userconfig', userconfig, '--registry', verdaccio.url], { cwd: dir, timeout: 60_000 });
  const packed = JSON.parse((await npm(['pack', FIXTURE, '--pack-destination', dir, '--json'])).stdout) as Array<{ filename: string }>;
  await npm(['publish', path.join(dir, packed[0]!.filename)]);
  return `${verdaccio.url.replace(/\/+$/, '')}/${PACKAGE.name}/-/greeter-${PACKAGE.version}.tgz`;
}

async function call(base: string, method: string, urlPath: string, token: string, body?: unknown, expectStatus?: number): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${base}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const result = { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json };
  if (expectStatus !== undefined && result.status !== expectStatus) throw new Error(`${method} ${urlPath}: expected ${expectStatus}, got ${result.status} ${text}`);
  return result;
}

/** GET through the router with the application's Host header (fetch cannot set Host). */
function viaRouter(routerUrl: string, host: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${routerUrl}${urlPath}`, { headers: { host }, agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}

function runtimePids(stateDir: string, environment: string): number[] {
  const dir = path.join(stateDir, environment, 'supervisor');
  if (!existsSync(dir)) return [];
  return new ProcessRecordStore(dir)
    .readAll()
    .map((r) => r.pid)
    .filter((pid): pid is number => pid !== null);
}

/** SIGKILL to the process groups of every recorded workload and router of these environments. */
async function killRuntime(stateDir: string, environments: string[]): Promise<void> {
  for (const environment of environments) {
    const router = await readRouterRecord(path.join(stateDir, environment, 'router'));
    for (const pid of [...runtimePids(stateDir, environment), ...(router ? [router.pid] : [])]) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone already, or not a group leader
        }
      }
    }
  }
}
