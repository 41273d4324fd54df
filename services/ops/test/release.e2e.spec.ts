import { randomBytes, randomUUID } from 'node:crypto';
import { signTestToken } from '@delivery/auth';
import { LocalGitProvider, type RepositoryLocator } from '@delivery/git-provider';
import { RELEASES_ADMIN, RELEASES_APPROVE, RELEASES_READ, RELEASES_WRITE } from '@delivery/release-scopes';
import { ContractClient, eventually } from '@delivery/testing';
import { createPlatform, succeededBuild, type Json, type PlatformProcesses } from './platform.fixture';

jest.setTimeout(240_000);

const SECRET = 'release-e2e-secret-0123456789abcdef';
const SERVICES = ['source-control/repository', 'source-control/commit', 'release/release', 'release/environment-promotion', 'release/deployment-manifest'];
const PROJECT = 'shop';
const GITOPS_REPO = 'shop-gitops';
const SCOPES = { read: RELEASES_READ, write: RELEASES_WRITE, approve: RELEASES_APPROVE, admin: RELEASES_ADMIN };

// The release context as six real processes (repository, commit, release, environment-promotion,
// deployment-manifest and ops) on real NATS, Postgres and git. The test plays build-result (BuildCompleted) and
// GitOps sync (GitOpsSynced and RuntimeHealthReported for every revision the manifests service commits), an agent
// plans a release over REST and people approve it. Release 1 goes dev1 → staging1 → prod1; release 2 fails its
// prod canary on 5xx traffic and is rolled back in Git to release 1's bytes.
describe('release end to end (real processes, real NATS, Postgres and git)', () => {
  let platform: PlatformProcesses;
  let gitopsTimer: NodeJS.Timeout | undefined;
  const seen: Json[] = [];
  const contracts = ContractClient.load();
  let gitops: GitOpsPlayer;

  beforeAll(async () => {
    platform = await createPlatform('e2erel', SECRET);
    gitops = new GitOpsPlayer(new LocalGitProvider({ dataDir: platform.dataDir }));
    platform.onEvents('acme.evt.>', (event) => {
      seen.push(event);
      if (event.type === 'DeploymentManifestRendered') gitops.rendered(event).catch((error: unknown) => gitops.errors.push(error));
      if (event.type === 'DeploymentPromoted' || event.type === 'PromotionFailed') gitops.settled(event.payload.environment);
      if (event.type === 'DeploymentRolledBack') gitops.rolledBack(event).catch((error: unknown) => gitops.errors.push(error));
    });
  });
  afterAll(async () => {
    if (gitopsTimer) clearInterval(gitopsTimer);
    await platform?.close();
  });

  it('an agent releases a build through dev, staging and prod with approvals and GitOps; a bad canary rolls back in Git', async () => {
    // --- 1. the processes
    await platform.start(SERVICES, { TIMER_POLL_MS: '100' });
    const [releaseUrl, commitUrl, opsUrl] = ['release', 'commit', 'ops'].map((name) => platform.urlOf(name)) as [string, string, string];

    const token = (sub: string, scopes: string[], actorKind?: 'agent' | 'user') => signTestToken({ sub, tenant: 'acme', scopes, ...(actorKind ? { actorKind } : {}) }, SECRET);
    const planner = await token('release-agent-7', [SCOPES.write, SCOPES.read, SCOPES.approve], 'agent');
    const admin = await token('root', [SCOPES.admin, SCOPES.read]);
    const sam = await token('sam', [SCOPES.approve, SCOPES.read]); // staff
    const cleo = await token('cleo', [SCOPES.approve, SCOPES.read]); // client
    const rest = restClient(releaseUrl);

    const publish = (envelope: Json) => platform.publish(envelope);
    const find = (what: string, predicate: (e: Json) => boolean, timeoutMs = 30_000) =>
      eventually(async () => seen.find(predicate), what, timeoutMs);

    // --- 2. a GitOps repository (over the bus) and the project's release policy (over REST)
    const traceId = randomBytes(16).toString('hex');
    const provision = await publish(
      contracts.command('ProvisionRepository', { name: GITOPS_REPO, purpose: 'gitops', initialFiles: [{ path: 'README.md', content: '# Desired state\n' }] }, {
        tenantId: 'acme',
        projectId: PROJECT,
        traceId: randomBytes(16).toString('hex'),
        actor: { kind: 'user', id: 'root' },
      }),
    );
    const repositoryId = (await find('RepositoryProvisioned', (e) => e.type === 'RepositoryProvisioned' && e.causationId === provision.id)).payload.repositoryId as string;
    gitops.repositoryId = repositoryId;
    gitops.locator = { tenantId: 'acme', projectId: PROJECT, name: GITOPS_REPO };
    gitops.publish = publish;
    gitopsTimer = setInterval(() => gitops.reportHealth().catch((error: unknown) => gitops.errors.push(error)), 300);

    const policy = {
      environments: [
        { match: 'dev*', autoApprove: true },
        { match: 'staging*', roles: ['staff'] },
        { match: 'prod*', roles: ['staff', 'client'] },
        { match: '*', roles: ['staff'] },
      ],
    };
    const target = { repositoryId, branch: 'main', pathTemplate: 'environments/{environment}/{application}' };
    await rest.put(`/projects/${PROJECT}/release-policy`, admin, { policy, gitops: target }).expect(200);
    expect((await rest.get(`/projects/${PROJECT}/release-policy`, planner).expect(200)).body).toMatchObject({ stored: true, gitops: target });

    // --- 3. build-result reports a succeeded build on trace T
    await publish(succeededBuild('build-1', traceId, { projectId: PROJECT, repositoryId: 'shop-app' }));

    // --- 4. the agent plans and submits the release of that build
    const releaseId = await planAndSubmit(rest, planner, 'build-1', '1.0.0', find);
    const submitted = await find('ReleaseSubmitted', (e) => e.type === 'ReleaseSubmitted' && e.payload.releaseId === releaseId);
    expect(submitted.payload.requiredApprovals).toEqual([
      { environment: 'dev1', roles: [], rule: 'dev*/auto', autoApprove: true },
      { environment: 'staging1', roles: ['staff'], rule: 'staging*/staff', autoApprove: false },
      { environment: 'prod1', roles: ['staff', 'client'], rule: 'prod*/staff+client', autoApprove: false },
    ]);
    const inbox = (await rest.get('/approvals?status=pending', sam).expect(200)).body.items as Json[];
    expect(inbox).toEqual(expect.arrayContaining([expect.objectContaining({ releaseId, environment: 'staging1' }), expect.objectContaining({ releaseId, environment: 'prod1' })]));

    // --- 6. approvals: the planner may not approve; staff for staging; staff and client (distinct people) for prod
    const refused = await rest.post(`/releases/${releaseId}/approve`, planner, { environment: 'staging1', role: 'staff' }).expect(403);
    expect(refused.body).toMatchObject({ code: 'release.approver-is-planner', message: expect.stringContaining('agent "release-agent-7" planned this release and cannot approve it') });
    expect((await rest.post(`/releases/${releaseId}/approve`, sam, { environment: 'staging1', role: 'staff' }).expect(200)).body.events).toEqual(expect.arrayContaining(['ReleaseApprovalRecorded', 'ReleaseApproved']));
    expect((await rest.post(`/releases/${releaseId}/approve`, sam, { environment: 'prod1', role: 'staff' }).expect(200)).body.events).toEqual(['ReleaseApprovalRecorded']);
    expect((await rest.post(`/releases/${releaseId}/approve`, sam, { environment: 'prod1', role: 'staff', comment: 'still fine' }).expect(200)).body.events).toEqual([]);
    expect((await rest.post(`/releases/${releaseId}/approve`, cleo, { environment: 'prod1', role: 'client' }).expect(200)).body.events).toEqual(expect.arrayContaining(['ReleaseApprovalRecorded', 'ReleaseApproved']));

    // --- 5 and 7. GitOps sync follows every render; the release reaches prod
    const deployed = await find('ReleaseDeployed', (e) => e.type === 'ReleaseDeployed' && e.payload.releaseId === releaseId, 60_000);
    expect(gitops.errors).toEqual([]);
    expect(deployed.payload.environments.map((e: Json) => e.environment)).toEqual(['dev1', 'staging1', 'prod1']);
    const view = (await rest.get(`/releases/${releaseId}`, planner).expect(200)).body;
    expect(view).toMatchObject({ releaseId, status: 'deployed', application: 'shop', version: '1.0.0', traceId });
    const timeline = view.timeline as Json[];
    expect(inOrder(timeline.map((e) => e.type), [
      'ReleasePlanned', 'ReleaseSubmitted', 'ReleaseApproved', 'ReleasePromotionStarted', 'ReleaseEnvironmentPromoted',
      'ReleasePromotionStarted', 'ReleaseEnvironmentPromoted', 'ReleasePromotionStarted', 'ReleaseEnvironmentPromoted', 'ReleaseDeployed',
    ])).toBe(true);
    expect(timeline.every((e) => e.traceId === traceId)).toBe(true);
    expect(timeline.find((e) => e.type === 'ReleasePlanned')!.actor).toEqual({ kind: 'agent', id: 'release-agent-7' });
    // every event of the release context about it continues T; a refusal answers its request, in the request's trace
    expect(ofRelease(seen, releaseId).filter((e) => e.traceId !== traceId).map((e) => e.type)).toEqual([]);
    const refusal = seen.find((e) => e.type === 'ReleaseCommandRejected' && e.payload.releaseId === releaseId);
    expect(refusal?.payload).toMatchObject({ command: 'ApproveRelease', error: { code: 'release.approver-is-planner' } });

    // each gate passed where it belongs: probes in dev, the soak in staging, the error rate in prod
    const gates = (environment: string) => seen.filter((e) => e.type === 'HealthGateEvaluated' && e.payload.releaseId === releaseId && e.payload.environment === environment);
    expect(gates('dev1').map((e) => [e.payload.gate.kind, e.payload.passed])).toEqual([['http-probe', true]]);
    expect(gates('staging1').map((e) => [e.payload.gate.kind, e.payload.passed])).toEqual([['soak', true]]);
    expect(gates('prod1').map((e) => [e.payload.gate.kind, e.payload.passed])).toEqual([['error-rate', true]]);

    // the GitOps repository: one manifest commit per environment, with lineage trailers, at the promoted revisions
    const commits = (await gitops.git.log(gitops.locator, 'main', { limit: 100 })).reverse();
    const ofRelease1 = commits.filter((c) => c.trailers['Release-Id'] === releaseId);
    expect(ofRelease1.map((c) => c.trailers.Environment)).toEqual(['dev1', 'staging1', 'prod1']);
    expect(ofRelease1.map((c) => c.sha)).toEqual(deployed.payload.environments.map((e: Json) => e.revision));
    for (const environment of ['dev1', 'staging1', 'prod1']) {
      const workload = await gitops.workload(commits.at(-1)!.sha, `environments/${environment}/shop`);
      expect(workload).toMatchObject({ environment, releaseId, version: '1.0.0' });
    }
    // the first release in an environment has nothing to shift traffic from: the canary lands at once, all in stable
    // (the canary slot scaled to zero with the same release)
    expect((await gitops.workload(ofRelease1[2]!.sha, 'environments/prod1/shop')).slots).toEqual([
      { slot: 'stable', weight: 100, replicas: 2, revision: null, releaseId, version: '1.0.0' },
      { slot: 'canary', weight: 0, replicas: 0, revision: null, releaseId, version: '1.0.0' },
    ]);
    const prodAfterRelease1 = await gitops.snapshot('environments/prod1/shop');
    // the commit service serves the same commit, trailers and all, over REST
    const readCommits = await signTestToken({ sub: 'studio', tenant: 'acme', scopes: ['devops.repositories.read'] }, SECRET);
    const prodCommit = await fetchJson(`${commitUrl}/repositories/${repositoryId}/commits/${ofRelease1[2]!.sha}`, readCommits);
    expect(prodCommit.trailers).toMatchObject({ 'Release-Id': releaseId, Environment: 'prod1', Application: 'shop', Version: '1.0.0', 'Trace-Id': traceId });

    // the lineage of T: the build, the release events, the promotion and the manifest commits, joined by trace
    const lineageToken = await signTestToken({ sub: 'studio', tenant: 'acme', scopes: ['devops.lineage.read'] }, SECRET);
    const story = await eventually(async () => {
      const entries = (await fetchJson(`${opsUrl}/lineage/${traceId}`, lineageToken)).entries as Json[];
      return entries.some((e) => e.type === 'ReleaseDeployed') && entries.filter((e) => e.type === 'CommitCreated').length >= 3 ? entries : undefined;
    }, 'the lineage of the release', 30_000);
    expect(inOrder(story.map((e) => e.type), [
      'BuildCompleted', 'ReleasePlanned', 'ReleaseSubmitted', 'ReleasePromotionStarted', 'PromoteDeployment', 'RenderManifest', 'CreateCommit',
      'CommitCreated', 'DeploymentManifestRendered', 'HealthGateEvaluated', 'DeploymentPromoted', 'ReleaseEnvironmentPromoted', 'ReleaseDeployed',
    ])).toBe(true);
    const committed = story.filter((e) => e.type === 'CommitCreated' && e.payload.repositoryId === repositoryId).map((e) => e.payload.sha);
    expect(committed).toEqual(expect.arrayContaining(timeline.filter((e) => e.type === 'ReleaseEnvironmentPromoted').map((e) => e.payload.revision)));

    // --- 8. release 2: the prod canary serves 5xx at 10 %, the promotion fails and Git goes back to release 1
    const trace2 = randomBytes(16).toString('hex');
    await publish(succeededBuild('build-2', trace2, { projectId: PROJECT, repositoryId: 'shop-app' }));
    const release2 = await planAndSubmit(rest, planner, 'build-2', '2.0.0', find);
    gitops.failing = { releaseId: release2, environment: 'prod1' };
    await rest.post(`/releases/${release2}/approve`, sam, { environment: 'staging1', role: 'staff' }).expect(200);
    await rest.post(`/releases/${release2}/approve`, sam, { environment: 'prod1', role: 'staff' }).expect(200);
    await rest.post(`/releases/${release2}/approve`, cleo, { environment: 'prod1', role: 'client' }).expect(200);

    const failed = await find('ReleaseFailed', (e) => e.type === 'ReleaseFailed' && e.payload.releaseId === release2, 60_000);
    expect(gitops.errors).toEqual([]);
    expect(failed.payload).toMatchObject({ environment: 'prod1', rolledBack: true, error: { code: 'health-gate.error-rate' } });
    const byRelease2 = (type: string) => seen.filter((e) => e.type === type && e.payload.releaseId === release2);
    const [promotionFailed] = byRelease2('PromotionFailed');
    expect(promotionFailed?.payload).toMatchObject({ environment: 'prod1', stage: 'health-gate', failedGate: { passed: false, gate: { kind: 'error-rate' } } });
    const shifted = byRelease2('TrafficShifted').filter((e) => e.payload.environment === 'prod1');
    expect(shifted.map((e) => e.payload.step)).toEqual([{ index: 0, weight: 10 }]); // never reached 50
    const [rolledBack] = byRelease2('DeploymentRolledBack');
    expect(rolledBack?.payload).toMatchObject({ environment: 'prod1', fromRevision: promotionFailed!.payload.revision });
    expect(byRelease2('DeploymentPromoted').map((e) => e.payload.environment)).toEqual(['dev1', 'staging1']);

    // in Git: the 10 % canary commit, then its revert, which is the head; prod1 holds release 1's bytes again
    const after = await gitops.git.log(gitops.locator, 'main', { limit: 100 });
    const canary = after.find((c) => c.sha === promotionFailed!.payload.revision)!;
    expect(canary.trailers).toMatchObject({ 'Release-Id': release2, Environment: 'prod1' });
    expect((await gitops.workload(canary.sha, 'environments/prod1/shop')).slots).toEqual([
      { slot: 'stable', weight: 90, replicas: 1, revision: ofRelease1[2]!.sha, releaseId, version: '1.0.0' },
      { slot: 'canary', weight: 10, replicas: 1, revision: null, releaseId: release2, version: '2.0.0' },
    ]);
    expect(after[0]).toMatchObject({ sha: rolledBack!.payload.revertSha, trailers: expect.objectContaining({ 'Release-Id': release2 }) });
    expect(after[0]!.message).toContain(`This reverts commit ${canary.sha}.`);
    expect(await gitops.snapshot('environments/prod1/shop')).toEqual(prodAfterRelease1);
    // dev1 and staging1 keep release 2
    expect(await gitops.workload(after[0]!.sha, 'environments/staging1/shop')).toMatchObject({ releaseId: release2, version: '2.0.0' });
    const view2 = (await rest.get(`/releases/${release2}`, planner).expect(200)).body;
    expect(view2).toMatchObject({ status: 'failed', traceId: trace2 });
    expect(ofRelease(seen, release2).filter((e) => e.traceId !== trace2).map((e) => e.type)).toEqual([]);

    // --- and a retry once the cause is fixed: now prod has a baseline, so the canary walks 10 → 50 → 100 in Git
    const reverted = after[0]!.sha;
    gitops.failing = undefined;
    await rest.post(`/releases/${release2}/retry`, planner, { reason: 'the failing flag is switched off' }).expect(200);
    const deployed2 = await find('ReleaseDeployed of release 2', (e) => e.type === 'ReleaseDeployed' && e.payload.releaseId === release2, 60_000);
    expect(gitops.errors).toEqual([]);
    const retried = (await gitops.git.log(gitops.locator, 'main', { base: reverted, limit: 100 })).reverse();
    expect(retried.map((c) => [c.trailers['Release-Id'], c.trailers.Environment])).toEqual([[release2, 'prod1'], [release2, 'prod1'], [release2, 'prod1']]);
    const canaryWeights: string[][] = [];
    for (const commit of retried) canaryWeights.push((await gitops.workload(commit.sha, 'environments/prod1/shop')).slots.map((s: Json) => `${s.slot}:${s.weight}`));
    expect(canaryWeights).toEqual([['stable:90', 'canary:10'], ['stable:50', 'canary:50'], ['stable:0', 'canary:100']]);
    expect(deployed2.payload.environments.find((e: Json) => e.environment === 'prod1').revision).toBe(retried[2]!.sha);
    const attempt2 = byRelease2('TrafficShifted').filter((e) => e.payload.environment === 'prod1').slice(1);
    expect(attempt2.map((e) => e.payload.step.weight)).toEqual([10, 50, 100]);
    expect((await rest.get(`/releases/${release2}`, planner).expect(200)).body.timeline.map((e: Json) => e.type)).toEqual(
      expect.arrayContaining(['ReleaseFailed', 'ReleaseRetried', 'ReleaseDeployed']),
    );

    clearInterval(gitopsTimer);
    expect(new Set(await platform.stop())).toEqual(new Set([0]));
  });
});

// --- helpers

/** GitOps sync as the test plays it: reads what each render committed and reports it synced, then its health. */
class GitOpsPlayer {
  constructor(readonly git: LocalGitProvider) {}
  locator!: RepositoryLocator;
  repositoryId = '';
  publish!: (envelope: Json) => Promise<Json>;
  /** the release and environment whose new revision serves 5xx */
  failing: { releaseId: string; environment: string } | undefined;
  errors: unknown[] = [];
  /** per environment being promoted: the revision it runs and what that revision's workload.json says */
  private readonly running = new Map<string, { revision: string; workload: Json }>();

  /** the promotion there is over: no one reads its health now (fewer messages on a busy machine) */
  settled(environment: string): void {
    this.running.delete(environment);
  }

  async rendered(event: Json): Promise<void> {
    const { environment, application, revision } = event.payload;
    this.running.set(environment, { revision, workload: await this.sync(environment, application, revision) });
  }

  /** a revert is one more commit to apply: the environment serves the previous release again */
  async rolledBack(event: Json): Promise<void> {
    const { environment, revertSha } = event.payload;
    await this.sync(environment, 'shop', revertSha);
  }

  private async sync(environment: string, application: string, revision: string): Promise<Json> {
    const workload = await this.workload(revision, `environments/${environment}/${application}`);
    // the slot without a pinned revision is the one this revision fills
    const weights = (workload.slots as Json[]).map((s) => ({ slot: s.slot, weight: s.weight, ...(s.revision ? { revision: s.revision } : s.releaseId === workload.releaseId ? { revision } : {}) }));
    await this.publish(
      gitopsEvent('GitOpsSynced', {
        environment,
        application,
        repositoryId: this.repositoryId,
        revision,
        releaseId: workload.releaseId,
        sync: 'Synced',
        health: 'Healthy',
        workloads: [{ name: workload.name, health: 'Healthy', replicas: workload.replicas, readyReplicas: workload.replicas, restarts: 0 }],
        ...(weights.length > 0 ? { weights } : {}),
        durationMs: 40,
      }),
    );
    return workload;
  }

  /** every tick: probes and traffic of the revision each environment runs (a promotion counts only its own) */
  async reportHealth(): Promise<void> {
    for (const [environment, { revision, workload }] of this.running) {
      const bad = this.failing?.releaseId === workload.releaseId && this.failing?.environment === environment;
      const now = new Date();
      const weight = (workload.slots as Json[]).find((s) => s.releaseId === workload.releaseId)?.weight ?? 100;
      await this.publish(
        gitopsEvent('RuntimeHealthReported', {
          environment,
          application: workload.application,
          windowStart: new Date(now.getTime() - 250).toISOString(),
          windowEnd: now.toISOString(),
          health: bad ? 'Degraded' : 'Healthy',
          probes: [{ revision, path: '/health', status: bad ? 503 : 200, ok: !bad, latencyMs: 3 }],
          traffic: [{ revision, weight, requests: 100, errors5xx: bad ? 40 : 0, p50Ms: 12, p99Ms: 80 }],
        }),
      );
    }
  }

  async workload(revision: string, directory: string): Promise<Json> {
    const bytes = await this.git.readFile(this.locator, revision, `${directory}/workload.json`);
    if (!bytes) throw new Error(`no ${directory}/workload.json at ${revision}`);
    return JSON.parse(bytes.toString('utf8')) as Json;
  }

  /** every file of a directory at the head of main, path → content */
  async snapshot(directory: string): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    for (const path of await this.git.listFiles(this.locator, 'main', directory)) files[path] = (await this.git.readFile(this.locator, 'main', path))!.toString('utf8');
    return files;
  }
}

function gitopsEvent(type: string, payload: Json): Json {
  // GitOps sync reconciles on its own schedule: its reports start their own traces
  return envelope(type, payload, { source: 'gitops-sync', traceId: randomBytes(16).toString('hex'), actor: { kind: 'service', id: 'gitops-sync' } });
}

function envelope(type: string, payload: Json, meta: { source: string; traceId: string; actor: Json }): Json {
  const id = randomUUID();
  return { id, type, schemaVersion: 1, kind: 'event', source: meta.source, tenantId: 'acme', projectId: PROJECT, traceId: meta.traceId, causationId: null, correlationId: id, actor: meta.actor, occurredAt: new Date().toISOString(), payload };
}

/** The agent's plan: dev1 rolling with probes, staging1 blue-green with a soak, prod1 canary 10/50/100 on the error rate. */
async function planAndSubmit(rest: ReturnType<typeof restClient>, token: string, buildId: string, version: string, find: (what: string, p: (e: Json) => boolean) => Promise<Json>): Promise<string> {
  // the release service learns builds from BuildCompleted: plan once it knows this one
  await find(`BuildCompleted ${buildId}`, (e) => e.type === 'BuildCompleted' && e.payload.buildId === buildId);
  const body = {
    projectId: PROJECT,
    application: 'shop',
    version,
    buildId,
    repositoryId: 'shop-app',
    sourceSha: 'a'.repeat(40),
    artifacts: { packages: [], images: [{ registry: 'registry.local:5000', repository: 'shop/api', tag: version, digest: `sha256:${randomBytes(32).toString('hex')}` }] },
    workload: { name: 'shop', command: ['node', 'server.js'], port: 8080, healthPath: '/health', replicas: 2 },
    environments: [
      { name: 'dev1', strategy: { kind: 'rolling' }, healthGates: [{ kind: 'http-probe', path: '/health', consecutiveSuccesses: 2, intervalSeconds: 1, timeoutSeconds: 60 }] },
      { name: 'staging1', strategy: { kind: 'blue-green' }, healthGates: [{ kind: 'soak', minSeconds: 1 }] },
      { name: 'prod1', strategy: { kind: 'canary', steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }] }, healthGates: [{ kind: 'error-rate', maxErrorRate: 0.05, minRequests: 50, windowSeconds: 60 }] },
    ],
  };
  const planned = await eventually(async () => {
    const response = await rest.post('/releases', token, body).send();
    if (response.status === 404) return undefined; // BuildCompleted not projected yet
    if (response.status !== 201) throw new Error(`plan: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as Json;
  }, `release of ${buildId} planned`, 15_000);
  await rest.post(`/releases/${planned.releaseId}/submit`, token, {}).expect(200);
  return planned.releaseId as string;
}

/** fetch with supertest-like .expect(status) for the few REST calls of the story */
function restClient(base: string) {
  const call = (method: string, path: string, token: string, body?: unknown) => {
    const response = fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then(async (r) => ({ status: r.status, body: (await r.text().then((t) => (t ? JSON.parse(t) : undefined))) as Json }));
    return {
      send: () => response,
      expect: async (status: number) => {
        const r = await response;
        if (r.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
        return r;
      },
    };
  };
  return {
    get: (path: string, token: string) => call('GET', path, token),
    post: (path: string, token: string, body: unknown) => call('POST', path, token, body),
    put: (path: string, token: string, body: unknown) => call('PUT', path, token, body),
  };
}

async function fetchJson(url: string, token: string): Promise<Json> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Json;
}

/** the release context's events about a release (GitOps reports name it too, in traces of their own; refusals answer requests) */
function ofRelease(events: Json[], releaseId: string): Json[] {
  const sources = ['release', 'environment-promotion', 'deployment-manifest'];
  return events.filter((e) => e.payload?.releaseId === releaseId && sources.includes(e.source) && e.type !== 'ReleaseCommandRejected');
}

/** whether `steps` occur in `types` in this order (other types may come between) */
function inOrder(types: string[], steps: string[]): boolean {
  let cursor = -1;
  for (const step of steps) {
    cursor = types.indexOf(step, cursor + 1);
    if (cursor < 0) return false;
  }
  return true;
}
