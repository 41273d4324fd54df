import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signTestToken } from '@delivery/auth';
import { RELEASES_ADMIN, RELEASES_APPROVE, RELEASES_READ } from '@delivery/release-scopes';
import { ContractClient, eventually } from '@delivery/testing';
// the loopback npm registry the packaging service's own tests use (boundary rule off for e2e specs)
import { startVerdaccio, type Verdaccio } from '../../packaging/package-publishing/src/testing/verdaccio.testing';
import { createPlatform, filesOf, sampleModule, type Json, type PlatformProcesses } from './platform.fixture';
import { call, killRuntime, routerUrlOf, runtimeProcesses, trailOf, untilOrFailure, viaRouter } from './runtime.fixture';

jest.setTimeout(900_000);

const SECRET = 'product-e2e-secret-0123456789abcdef';
const SERVICES = [
  'source-control/repository',
  'source-control/branch',
  'source-control/commit',
  'source-control/pull-request',
  'pipelines/pipeline-generator',
  'pipelines/pipeline-execution',
  'pipelines/build-result',
  'packaging/package-publishing',
  'release/release',
  'release/environment-promotion',
  'release/deployment-manifest',
  'gitops/gitops-sync',
];
const TENANT = 'acme';
const PROJECT = 'greeter';
const APP = 'greeter';
const ENVIRONMENTS = ['dev1', 'staging1', 'prod1'];
const FIXTURE = path.join(__dirname, 'fixtures', 'sample-module');
const CHECK = 'pipeline/azure-pipelines.yml';
const PROBE = { kind: 'http-probe', path: '/health', consecutiveSuccesses: 2, intervalSeconds: 1, timeoutSeconds: 90 } as const;
// dev rolling, staging blue-green, prod a canary whose every step is gated by probes and by the 5xx rate the
// prod router counts for the canary's revision under the traffic this test sends
const PATH = [
  { name: 'dev1', strategy: { kind: 'rolling' }, healthGates: [PROBE] },
  { name: 'staging1', strategy: { kind: 'blue-green' }, healthGates: [PROBE] },
  { name: 'prod1', strategy: { kind: 'canary', steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }] }, healthGates: [PROBE, { kind: 'error-rate', maxErrorRate: 0.1, minRequests: 8, windowSeconds: 60 }] },
];

// The product's first complete story, as real processes on real NATS, Postgres, git, Verdaccio and the local
// runtime, driven over the bus by an agent and through REST by the people who approve:
//   change → pull request (checks from its pipeline run, a review) → merge → pipeline run of the merge → build with
//   the module's real tests → npm package → PlanRelease → approvals → dev1 (rolling) → staging1 (blue-green) →
//   prod1 (canary 10 → 50 → 100 under live traffic) → ReleaseDeployed,
// three times: 1.0.0 is the first deployment (a first canary has nothing to shift from and lands whole), 1.0.1 goes
// through the canary, and 1.0.2, whose /greet answers 500, fails its canary's error-rate gate: the release context
// reverts prod1's desired state in Git, gitops-sync rejects the reverted revision, 1.0.1 serves all traffic again,
// and the release ends ReleaseFailed. Each story's traceId joins it whole in the lineage.
describe('the product end to end: commit to running process, canary and rollback through Git', () => {
  let platform: PlatformProcesses;
  let verdaccio: Verdaccio;
  let scratch: string;
  const seen: Json[] = [];
  const contracts = ContractClient.load();
  const runtimeDir = () => path.join(scratch, 'runtime');
  let traffic: Traffic | undefined;

  beforeAll(async () => {
    [verdaccio, scratch] = await Promise.all([startVerdaccio(), mkdtemp(path.join(tmpdir(), 'e2eproduct-'))]);
    platform = await createPlatform('e2eproduct', SECRET);
    platform.onEvents(`${TENANT}.evt.>`, (event) => seen.push(event));
  });
  afterAll(async () => {
    await traffic?.stop();
    await platform?.close();
    // the local runtime's workloads and routers outlive gitops-sync by design: kill what its state dir records
    if (scratch) await killRuntime(runtimeDir(), ENVIRONMENTS);
    await Promise.all([verdaccio?.close(), scratch && rm(scratch, { recursive: true, force: true })]);
  });

  // --- the people and the agent
  const tokens = {} as Record<'admin' | 'sam' | 'cleo' | 'viewer' | 'lineage', string>;
  const urls = {} as Record<'release' | 'gitops' | 'ops', string>;
  let appRepo: string;
  let gitopsRepo: string;

  /** the agent: a command over the bus on the story's trace, answered by the first event of `types` it caused */
  const send = (traceId: string, type: string, payload: Json, actor: Json = { kind: 'agent', id: 'coder-7' }) =>
    platform.publish(contracts.command(type, payload, { tenantId: TENANT, projectId: PROJECT, traceId, actor: actor as { kind: string; id: string } }));
  const answer = (command: Json, type: string, timeoutMs = 60_000) =>
    eventually(async () => {
      const failure = seen.find((e) => e.causationId === command.id && /Failed|Rejected/.test(e.type));
      if (failure) throw new Error(`${command.type} refused: ${failure.type} ${JSON.stringify(failure.payload)}`);
      return seen.find((e) => e.causationId === command.id && e.type === type)?.payload as Json | undefined;
    }, `${type} for ${command.type}`, timeoutMs);

  /**
   * One change the way an agent ships it: a branch, a commit (and the pipeline regenerated when the version moves),
   * a pull request whose required check comes from its pipeline run and which a person reviews, the merge, a
   * pipeline run of the merge commit, and the package it built published to the npm feed.
   */
  async function shipChange(traceId: string, branch: string, version: string, changes: Json[]): Promise<{ build: Json; pkg: Json; mergeSha: string }> {
    await answer(await send(traceId, 'CreateBranch', { repositoryId: appRepo, name: branch, from: { branch: 'main' } }), 'BranchCreated');
    await answer(await send(traceId, 'CreateCommit', { repositoryId: appRepo, branch, message: `greeter ${version}`, changes }), 'CommitCreated');
    if (version !== '1.0.0') await answer(await send(traceId, 'GeneratePipeline', { repositoryId: appRepo, branch, module: sampleModule(version) }), 'PipelineGenerated');
    const opened = await answer(await send(traceId, 'OpenPullRequest', { repositoryId: appRepo, sourceBranch: branch, targetBranch: 'main', title: `greeter ${version}`, deleteSourceBranchOnMerge: true }), 'PullRequestOpened');
    const { pullRequestId } = opened;
    const prRun = await answer(await send(traceId, 'RunPipeline', { repositoryId: appRepo, branch, pullRequestId, reason: 'pull-request' }), 'PipelineRunStarted');
    const prFinished = await eventually(async () => seen.find((e) => e.type === 'PipelineRunFinished' && e.payload.runId === prRun.runId)?.payload, `the run of ${branch}`, 180_000);
    if (prFinished.result !== 'Succeeded') throw new Error(`the pull request's run ${prFinished.result}: ${JSON.stringify(prFinished)}`);
    // the check passed; the policy's verdict passes once a person other than the author approved
    await answer(await send(traceId, 'ReviewPullRequest', { pullRequestId, decision: 'approve' }, { kind: 'user', id: 'reviewer-1' }), 'PullRequestReviewed');
    await eventually(async () => seen.find((e) => e.type === 'PullRequestChecksCompleted' && e.payload.pullRequestId === pullRequestId && e.payload.verdict === 'passed'), `the verdict on ${branch}`, 30_000);
    const { mergeSha } = await answer(await send(traceId, 'MergePullRequest', { pullRequestId, strategy: 'squash' }), 'PullRequestMerged');

    const run = await answer(await send(traceId, 'RunPipeline', { repositoryId: appRepo, branch: 'main', sha: mergeSha, reason: 'merge' }), 'PipelineRunStarted', 120_000);
    const built = await eventually(async () => seen.find((e) => ['BuildCompleted', 'BuildResultIngestionFailed'].includes(e.type) && e.payload.runId === run.runId), `the build of ${version}`, 240_000);
    expect(built).toMatchObject({ type: 'BuildCompleted', traceId, payload: { status: 'Succeeded', sha: mergeSha, tests: { total: 4, passed: 3, failed: 0, skipped: 1 } } });
    const build = built.payload as Json;
    const artifact = (build.artifacts as Json[]).find((a) => a.kind === 'npm-package');
    const pkg = await answer(await send(traceId, 'PublishPackage', { buildId: build.buildId, format: 'npm', artifact, name: '@sample/greeter', version, feed: { kind: 'npm-registry', name: 'npm' } }), 'PackagePublished');
    return { build, pkg, mergeSha };
  }

  /** PlanRelease and SubmitRelease from the agent over the bus; the approvals the policy asks for from people, over REST. */
  async function release(traceId: string, shipped: { build: Json; pkg: Json; mergeSha: string }): Promise<string> {
    const { build, pkg, mergeSha } = shipped;
    const plan = await send(traceId, 'PlanRelease', {
      application: APP,
      version: pkg.version,
      buildId: build.buildId,
      repositoryId: appRepo,
      sourceSha: mergeSha,
      artifacts: { packages: [{ format: 'npm', name: pkg.name, version: pkg.version, feed: pkg.feed, integrity: pkg.integrity }], images: [] },
      workload: { name: APP, command: ['node', 'src/server.js'], port: 3000, healthPath: '/health', replicas: 2 },
      environments: PATH,
    }, { kind: 'agent', id: 'release-agent-2' });
    const { releaseId } = await answer(plan, 'ReleasePlanned');
    await answer(await send(traceId, 'SubmitRelease', { releaseId }, { kind: 'agent', id: 'release-agent-2' }), 'ReleaseSubmitted');
    // dev1 is auto-approved; staging1 needs staff, prod1 staff and client (two different people)
    await call(urls.release, 'POST', `/releases/${releaseId}/approve`, tokens.sam, { environment: 'staging1', role: 'staff' }, 200);
    await call(urls.release, 'POST', `/releases/${releaseId}/approve`, tokens.sam, { environment: 'prod1', role: 'staff' }, 200);
    await call(urls.release, 'POST', `/releases/${releaseId}/approve`, tokens.cleo, { environment: 'prod1', role: 'client' }, 200);
    return releaseId as string;
  }

  const ofRelease = (releaseId: string, type: string) => seen.filter((e) => e.type === type && e.payload.releaseId === releaseId);
  const outcome = (releaseId: string, timeoutMs: number) =>
    untilOrFailure(() => seen.find((e) => ['ReleaseDeployed', 'ReleaseFailed'].includes(e.type) && e.payload.releaseId === releaseId), () => undefined, `the outcome of ${releaseId}`, timeoutMs, () => trailOf(seen.filter((e) => e.payload?.releaseId === releaseId || e.type.startsWith('GitOps'))));
  const lineageOf = (traceId: string, last: string) =>
    eventually(async () => {
      const response = await fetch(`${urls.ops}/lineage/${traceId}`, { headers: { authorization: `Bearer ${tokens.lineage}` } });
      const entries = response.status === 200 ? (((await response.json()) as Json).entries as Json[]) : [];
      return entries.some((e) => e.type === last) ? entries.map((e) => e.type as string) : undefined;
    }, `the lineage of ${traceId} up to ${last}`, 60_000);
  const expectInOrder = (types: string[], steps: string[]) => {
    let cursor = -1;
    for (const step of steps) {
      const at = types.indexOf(step, cursor + 1);
      expect({ step, found: at > cursor }).toEqual({ step, found: true });
      cursor = at;
    }
  };

  it('1.0.0 goes from a merged change through its pipeline and package to dev1, staging1 and prod1, running as processes behind each router', async () => {
    const npmToken = await verdaccio.addUser('platform', 'platform-secret');
    await platform.start(SERVICES, {
      TIMER_POLL_MS: '100',
      ARTIFACT_DIR: path.join(scratch, 'artifacts'),
      RUNNER_WORK_DIR: path.join(scratch, 'runs'),
      PACKAGE_FEEDS: JSON.stringify({ npm: { kind: 'npm-registry', url: verdaccio.url, token: npmToken } }),
      GITOPS_RUNTIME_DIR: runtimeDir(),
      GITOPS_NPM_FEEDS: JSON.stringify({ npm: verdaccio.url }),
      GITOPS_SYNC_INTERVAL_MS: '2000',
      HEALTH_REPORT_INTERVAL_MS: '1000',
    });
    urls.release = platform.urlOf('release');
    urls.gitops = platform.urlOf('gitops-sync');
    urls.ops = platform.urlOf('ops');
    const sign = (sub: string, scopes: string[]) => signTestToken({ sub, tenant: TENANT, scopes }, SECRET);
    Object.assign(tokens, {
      admin: await sign('root', [RELEASES_ADMIN, RELEASES_READ]),
      sam: await sign('sam', [RELEASES_APPROVE, RELEASES_READ]), // staff
      cleo: await sign('cleo', [RELEASES_APPROVE, RELEASES_READ]), // client
      viewer: await sign('studio', ['devops.gitops.read']),
      lineage: await sign('studio', ['devops.lineage.read']),
    });

    // --- the two repositories, the generated pipeline, the protected main branch, the release policy
    const setup = randomBytes(16).toString('hex');
    appRepo = (await answer(await send(setup, 'ProvisionRepository', { name: 'greeter', purpose: 'application', initialFiles: await filesOf(FIXTURE) }), 'RepositoryProvisioned')).repositoryId;
    gitopsRepo = (await answer(await send(setup, 'ProvisionRepository', { name: 'greeter-gitops', purpose: 'gitops', initialFiles: [{ path: 'README.md', content: '# Desired state\n' }] }), 'RepositoryProvisioned')).repositoryId;
    // the generator learns the repository from RepositoryProvisioned: retried until it knows it
    await eventually(async () => {
      const command = await send(setup, 'GeneratePipeline', { repositoryId: appRepo, branch: 'main', module: sampleModule('1.0.0') });
      const event = await eventually(async () => seen.find((e) => e.causationId === command.id), 'the generator to answer', 60_000);
      if (event.type === 'PipelineGenerated') return event;
      if (event.payload.error?.code === 'repository.not-found') return undefined;
      throw new Error(`GeneratePipeline: ${JSON.stringify(event.payload)}`);
    }, 'the pipeline generated', 60_000);
    // from now on main changes only through reviewed pull requests whose pipeline passed
    await answer(await send(setup, 'SetBranchPolicy', { repositoryId: appRepo, branch: 'main', policy: { protected: true, requiredChecks: [CHECK], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['squash'] } }), 'BranchPolicySet');
    const policy = { environments: [{ match: 'dev*', autoApprove: true }, { match: 'staging*', roles: ['staff'] }, { match: '*', roles: ['staff', 'client'] }] };
    await call(urls.release, 'PUT', `/projects/${PROJECT}/release-policy`, tokens.admin, { policy, gitops: { repositoryId: gitopsRepo, branch: 'main', pathTemplate: 'environments/{environment}/{application}' } }, 200);

    // --- 1.0.0: a /version endpoint, shipped and released
    const traceId = randomBytes(16).toString('hex');
    const server = await readFile(path.join(FIXTURE, 'src', 'server.js'), 'utf8');
    const withVersion = server.replace("if (url.pathname === '/health')", "if (url.pathname === '/version') return res.end(require('../package.json').version);\n    if (url.pathname === '/health')");
    expect(withVersion).not.toBe(server);
    const shipped = await shipChange(traceId, 'feature/version', '1.0.0', [{ action: 'update', path: 'src/server.js', content: withVersion }]);
    const releaseId = await release(traceId, shipped);
    const deployed = await outcome(releaseId, 240_000);
    expect(deployed.type).toBe('ReleaseDeployed');

    // each environment runs 1.0.0 from the Verdaccio tarball as 2 processes, answering through its router
    for (const environment of ENVIRONMENTS) {
      const processes = runtimeProcesses(runtimeDir(), environment);
      expect(processes.map((p) => [p.spec.version, p.pid !== null])).toEqual([['1.0.0', true], ['1.0.0', true]]);
      const router = await routerUrlOf(runtimeDir(), environment);
      expect(await viaRouter(router, `${APP}.${environment}.localhost`, `/greet?name=${environment}`)).toEqual({ status: 200, body: `hello ${environment}` });
    }
    // the first blue-green release lands in blue, the first canary in stable: nothing to shift traffic from yet
    expect(runtimeProcesses(runtimeDir(), 'staging1').map((p) => p.workload)).toEqual([`${APP}--${APP}-blue`, `${APP}--${APP}-blue`]);
    expect(runtimeProcesses(runtimeDir(), 'prod1').map((p) => p.workload)).toEqual([`${APP}--${APP}-stable`, `${APP}--${APP}-stable`]);
    const view = await call(urls.gitops, 'GET', '/environments/prod1/applications', tokens.viewer, undefined, 200);
    expect(view.body.items).toEqual([expect.objectContaining({ application: APP, sync: 'Synced', health: 'Healthy', releaseId })]);

    // one trace, from the change to the running deployment
    const types = await lineageOf(traceId, 'ReleaseDeployed');
    expectInOrder(types, [
      'CreateBranch', 'BranchCreated', 'CreateCommit', 'CommitCreated', 'OpenPullRequest', 'PullRequestOpened', 'RunPipeline', 'PipelineRunStarted',
      'PullRequestChecksCompleted', 'PullRequestMerged', 'PipelineRunFinished', 'BuildCompleted', 'PackagePublished', 'ReleasePlanned', 'ReleaseApproved',
      'DeploymentManifestRendered', 'GitOpsSynced', 'HealthGateEvaluated', 'DeploymentPromoted', 'ReleaseDeployed',
    ]);
  });

  it('1.0.1 goes through the prod canary 10 → 50 → 100 under live traffic, each step gated by probes and the 5xx rate', async () => {
    traffic = startTraffic(await routerUrlOf(runtimeDir(), 'prod1'), `${APP}.prod1.localhost`);
    const traceId = randomBytes(16).toString('hex');
    const shipped = await shipChange(traceId, 'release/1.0.1', '1.0.1', [{ action: 'update', path: 'package.json', content: await bumped('1.0.1') }]);
    const releaseId = await release(traceId, shipped);
    const deployed = await outcome(releaseId, 300_000);
    expect(deployed.type).toBe('ReleaseDeployed');

    const canary = ofRelease(releaseId, 'HealthGateEvaluated').filter((e) => e.payload.environment === 'prod1');
    expect(canary.map((e) => `${e.payload.step?.weight} ${e.payload.gate.kind} ${e.payload.passed}`).sort()).toEqual([
      '10 error-rate true', '10 http-probe true', '100 error-rate true', '100 http-probe true', '50 error-rate true', '50 http-probe true',
    ]);
    // the canary took real requests through the router at each step
    for (const gate of canary.filter((e) => e.payload.gate.kind === 'error-rate')) expect(gate.payload.observed.requests).toBeGreaterThanOrEqual(8);
    // users saw no error while traffic moved, and now every request reaches 1.0.1
    expect(traffic.failures()).toEqual([]);
    expect(await versionsServed(await routerUrlOf(runtimeDir(), 'prod1'), 20)).toEqual(['1.0.1']);
    expectInOrder(await lineageOf(traceId, 'ReleaseDeployed'), ['PullRequestMerged', 'BuildCompleted', 'PackagePublished', 'ReleasePlanned', 'HealthGateEvaluated', 'DeploymentPromoted', 'ReleaseDeployed']);
  });

  it('1.0.2, whose /greet answers 500, fails its prod canary: reverted in Git, 1.0.1 serves all traffic again, ReleaseFailed', async () => {
    const traceId = randomBytes(16).toString('hex');
    const server = await readFile(path.join(FIXTURE, 'src', 'server.js'), 'utf8');
    const broken = server.replace("if (url.pathname === '/health')", "if (url.pathname === '/version') return res.end(require('../package.json').version);\n    if (url.pathname === '/greet') return void ((res.statusCode = 500), res.end('greeter broke'));\n    if (url.pathname === '/health')");
    const shipped = await shipChange(traceId, 'release/1.0.2', '1.0.2', [
      { action: 'update', path: 'package.json', content: await bumped('1.0.2') },
      { action: 'update', path: 'src/server.js', content: broken },
    ]);
    const before = traffic!.failures().length;
    const releaseId = await release(traceId, shipped);
    const failed = await outcome(releaseId, 300_000);
    expect(failed.type).toBe('ReleaseFailed');

    // dev1 and staging1 passed (their probes hit /health); the prod canary's first step failed on the 5xx rate
    expect(ofRelease(releaseId, 'DeploymentPromoted').map((e) => e.payload.environment)).toEqual(['dev1', 'staging1']);
    const gate = ofRelease(releaseId, 'HealthGateEvaluated').find((e) => e.payload.environment === 'prod1' && !e.payload.passed);
    if (gate?.payload.step?.weight !== 10) {
      const from = seen.findIndex((e) => e.type === 'ReleasePlanned' && e.payload.releaseId === releaseId);
      console.log(seen.slice(from).filter((e) => (e.type === 'RuntimeHealthReported' || e.type === 'HealthGateEvaluated' || e.type === 'GitOpsSynced' || e.type === 'DeploymentManifestRendered') && e.payload.environment === 'prod1').map((e) => `${e.occurredAt} ${e.type} ${JSON.stringify(e.payload)}`).join('\n'));
    }
    expect(gate?.payload).toMatchObject({ step: { weight: 10 }, gate: { kind: 'error-rate' }, observed: { errorRate: expect.any(Number) } });
    expect(gate!.payload.observed.errorRate).toBeGreaterThan(0.1);
    const rolledBack = ofRelease(releaseId, 'DeploymentRolledBack');
    expect(rolledBack.map((e) => e.payload.environment)).toEqual(['prod1']);
    // gitops-sync rejected the reverted revision and went back: 1.0.1 alone runs and serves in prod1
    await eventually(async () => seen.find((e) => e.type === 'GitOpsRevisionRejected' && e.payload.environment === 'prod1'), 'the reverted revision rejected', 30_000);
    await eventually(async () => (runtimeProcesses(runtimeDir(), 'prod1').every((p) => p.spec.version === '1.0.1') ? true : undefined), 'prod1 back on 1.0.1 alone', 60_000);
    expect(await versionsServed(await routerUrlOf(runtimeDir(), 'prod1'), 40)).toEqual(['1.0.1']);
    // the users who were sent to the canary saw its 500s; nobody else did
    expect(traffic!.failures().slice(before).every((f) => f.status === 500 && f.body === 'greeter broke')).toBe(true);
    // and says so once the rollback's rollout settled
    const settled = await eventually(async () => {
      const view = await call(urls.gitops, 'GET', '/environments/prod1/applications', tokens.viewer, undefined, 200);
      return view.body.items[0]?.health === 'Healthy' ? view.body.items : undefined;
    }, 'prod1 Healthy again in the GitOps view', 60_000);
    expect(settled).toEqual([expect.objectContaining({ application: APP, sync: 'Synced', health: 'Healthy' })]);

    expectInOrder(await lineageOf(traceId, 'ReleaseFailed'), ['PullRequestMerged', 'BuildCompleted', 'PackagePublished', 'ReleasePlanned', 'DeploymentPromoted', 'HealthGateEvaluated', 'DeploymentRolledBack', 'ReleaseFailed']);
    await traffic!.stop();
    expect(new Set(await platform.stop())).toEqual(new Set([0]));
  });
});

/** the fixture's package.json at another version */
async function bumped(version: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(FIXTURE, 'package.json'), 'utf8')) as Json;
  return `${JSON.stringify({ ...manifest, version }, null, 2)}\n`;
}

/** the versions prod answers /version with, over `n` requests through the router (each a new user) */
async function versionsServed(routerUrl: string, n: number): Promise<string[]> {
  const answers = await Promise.all(Array.from({ length: n }, () => viaRouter(routerUrl, `${APP}.prod1.localhost`, '/version')));
  return [...new Set(answers.map((a) => (a.status === 200 ? a.body : `HTTP ${a.status}`)))].sort();
}

interface Traffic {
  failures(): Array<{ status: number; body: string }>;
  stop(): Promise<void>;
}

/** Users of prod: GET /greet through the router every 25 ms, each as a new user (the router picks their bucket). */
function startTraffic(routerUrl: string, host: string): Traffic {
  const failures: Array<{ status: number; body: string }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const answer = await viaRouter(routerUrl, host, '/greet?name=prod').catch((error: Error) => ({ status: 0, body: error.message }));
      if (answer.status !== 200) failures.push(answer);
      await sleep(25);
    }
  })();
  return {
    failures: () => [...failures],
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
