import { createEnvelope, uuidv7 } from '@delivery/messaging';
import { newTraceId } from '@delivery/observability';
import { GITOPS_WRITE } from './gitops.scopes';
import { eventually } from '@delivery/testing';
import { gitopsEvents, markReady, shopWorkload, startGitOpsHarness, type GitOpsHarness } from './gitops-sync.testing';
import { workloadPath } from './sync/gitops.layout';

// SyncGitOps, commits, reverts and the interval against real NATS, Postgres and git, with the Kubernetes adapter
// on the fake API server. Each test has its own repository and environment (= namespace).
describe('gitops-sync', () => {
  let h: GitOpsHarness;

  beforeAll(async () => {
    // the interval stays out of the way: every sync here comes from a command, a commit, a merge or a settle wake;
    // two connections, so that a few triggers at once hold all of the service's pool
    h = await startGitOpsHarness({ intervalMs: 600_000, healthReportIntervalMs: 500, dbPoolSize: 2 });
  });
  afterAll(() => h.close());

  const seed = async (environment: string, content = shopWorkload({ environment })) => h.gitops(`gitops-${environment}`, { [workloadPath({ environment, application: 'shop' })]: content });
  /** a repository synced once by SyncGitOps */
  const syncedRepo = async (environment: string) => {
    const repo = await seed(environment);
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment });
    await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === environment && e.payload.revision === repo.headSha);
    return repo;
  };
  const deployment = (environment: string) => h.fake.object('deployments', environment, 'shop-api');
  const labelsOf = (environment: string) => (deployment(environment)?.metadata.labels ?? {}) as Record<string, string>;
  const annotationsOf = (environment: string) => (deployment(environment)?.metadata.annotations ?? {}) as Record<string, string>;

  it('applies workload.json on SyncGitOps and reports Synced/Healthy once the Deployment is ready', async () => {
    const repo = await seed('dev1');
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: 'dev1' });
    const [first] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev1' && e.payload.revision === repo.headSha);
    expect(first!.payload).toMatchObject({ application: 'shop', repositoryId: repo.repositoryId, sync: 'Synced', releaseId: '0192f3a4-5b6c-7d8e-9f01-23456789abcd' });
    expect(first!.payload.health).not.toBe('Healthy');
    expect(h.fake.names('deployments', 'dev1')).toEqual(['shop-api']);
    expect(labelsOf('dev1')['delivery/revision']).toBe(repo.headSha);

    markReady(h.fake, 'dev1', 'shop-api');
    const [healthy] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev1' && e.payload.health === 'Healthy');
    expect(healthy!.payload).toMatchObject({ sync: 'Synced', health: 'Healthy', revision: repo.headSha });
    expect(healthy!.payload.workloads).toEqual([expect.objectContaining({ name: 'shop-api', health: 'Healthy', replicas: 2, readyReplicas: 2 })]);
  });

  it('syncs every application when more triggers come at once than the service has connections (their applications have a pool of their own)', async () => {
    const environments = ['dev21', 'dev22', 'dev23', 'dev24', 'dev25'];
    const repos = await Promise.all(environments.map((environment) => seed(environment)));
    // each SyncGitOps holds a connection for its inbox claim while its applications are reconciled in theirs
    await Promise.all(environments.map((environment, i) => h.fx.send('SyncGitOps', { repositoryId: repos[i]!.repositoryId, environment })));
    for (const [i, environment] of environments.entries()) {
      await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === environment && e.payload.revision === repos[i]!.headSha, 1, 30_000);
    }
    expect(environments.map((environment) => h.fake.names('deployments', environment))).toEqual(environments.map(() => ['shop-api']));
  });

  it('reports RuntimeHealthReported on Kubernetes from the Deployments, with no probes and no traffic (no router here)', async () => {
    await syncedRepo('dev6');
    markReady(h.fake, 'dev6', 'shop-api');
    const [report] = await gitopsEvents(h.fx, 'RuntimeHealthReported', (e) => e.payload.environment === 'dev6' && e.payload.health === 'Healthy', 1, 20_000);
    expect(report!.payload).toMatchObject({ application: 'shop', probes: [], traffic: [] });
    expect(Date.parse(report!.payload.windowEnd)).toBeGreaterThan(Date.parse(report!.payload.windowStart));
    expect(report!.tenantId).toBe('acme');
  });

  it('answers an invalid workload.json with GitOpsSyncFailed and its reason, and applies nothing', async () => {
    const repo = await seed('dev2', shopWorkload({ environment: 'dev2', replicas: -1 }));
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: 'dev2' });
    const [failed] = await gitopsEvents(h.fx, 'GitOpsSyncFailed', (e) => e.payload.environment === 'dev2');
    expect(failed!.payload).toMatchObject({ application: 'shop', revision: repo.headSha, sync: 'OutOfSync', attempt: 1, error: { code: 'gitops.invalid-workload', retryable: false } });
    expect(failed!.payload.error.details).toEqual([{ subject: 'replicas', message: 'must be an integer 0–50' }]);
    expect(h.fake.names('deployments', 'dev2')).toEqual([]);
    expect(h.fake.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/namespaces/dev2/'))).toEqual([]);
  });

  it('re-syncs to the new revision when a commit lands on the GitOps branch (CommitCreated)', async () => {
    const repo = await syncedRepo('dev3');
    const before = annotationsOf('dev3')['delivery/spec-hash'];

    const next = shopWorkload({ environment: 'dev3', version: '1.5.0' }, `sha256:${'b'.repeat(64)}`);
    await h.fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'deploy shop 1.5.0 to dev3', changes: [{ action: 'update', path: workloadPath({ environment: 'dev3', application: 'shop' }), content: next }] });
    const [synced] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev3' && e.payload.revision !== repo.headSha);
    const head = await h.sandbox.git.resolveBranch({ tenantId: 'acme', projectId: 'web', name: 'gitops-dev3' }, 'main');
    expect(synced!.payload.revision).toBe(head);
    expect(labelsOf('dev3')['delivery/revision']).toBe(head);
    expect(annotationsOf('dev3')['delivery/spec-hash']).not.toBe(before);
    expect(JSON.stringify(deployment('dev3')?.spec)).toContain('b'.repeat(64));
  });

  it('rejects a reverted revision (GitOpsRevisionRejected, under the revert trace) and applies the previous one at once', async () => {
    const repo = await syncedRepo('dev4');
    const hashA = annotationsOf('dev4')['delivery/spec-hash'];
    const locator = { tenantId: 'acme', projectId: 'web', name: 'gitops-dev4' };

    const next = shopWorkload({ environment: 'dev4', version: '1.5.0' }, `sha256:${'c'.repeat(64)}`);
    await h.fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'deploy shop 1.5.0 to dev4', changes: [{ action: 'update', path: workloadPath({ environment: 'dev4', application: 'shop' }), content: next }] });
    const [atB] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev4' && e.payload.revision !== repo.headSha);
    const revisionB = atB!.payload.revision;
    expect(annotationsOf('dev4')['delivery/spec-hash']).not.toBe(hashA);

    const traceId = newTraceId();
    await h.fx.send('RevertCommit', { repositoryId: repo.repositoryId, branch: 'main', sha: revisionB }, { traceId });
    const [rejected] = await gitopsEvents(h.fx, 'GitOpsRevisionRejected', (e) => e.payload.environment === 'dev4');
    expect(rejected!.payload).toMatchObject({ application: 'shop', revision: revisionB, rolledBackTo: repo.headSha });
    expect(rejected!.traceId).toBe(traceId);
    const revert = await h.sandbox.git.resolveBranch(locator, 'main');
    const [atRevert] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev4' && e.payload.revision === revert);
    expect(atRevert!.payload.sync).toBe('Synced');
    expect(atRevert!.traceId).toBe(traceId);
    expect(annotationsOf('dev4')['delivery/spec-hash']).toBe(hashA);
    expect(JSON.stringify(deployment('dev4')?.spec)).toContain('a'.repeat(64));

    // a person syncing the rejected revision by hand is refused
    const writer = await h.fx.token({ scopes: [GITOPS_WRITE] });
    const refused = await h.fx.http(h.sync).post('/environments/dev4/sync').set('Authorization', `Bearer ${writer}`).send({ repositoryId: repo.repositoryId, revision: revisionB });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain('gitops.revision-rejected');
    expect(labelsOf('dev4')['delivery/revision']).toBe(revert);
  });

  it('prunes a workload Git no longer names only for an application whose sync.json opts in', async () => {
    const policy = (environment: string) => workloadPath({ environment, application: 'shop' }).replace('workload.json', 'sync.json');
    const pruning = await h.gitops('gitops-dev8', { [workloadPath({ environment: 'dev8', application: 'shop' })]: shopWorkload({ environment: 'dev8' }), [policy('dev8')]: '{ "prune": true }\n' });
    const reporting = await seed('dev9');
    for (const [repo, environment] of [[pruning, 'dev8'], [reporting, 'dev9']] as const) {
      await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment });
      await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === environment && e.payload.revision === repo.headSha);
      // the workload is renamed: shop-api is no longer in Git
      await h.fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: `rename in ${environment}`, changes: [{ action: 'update', path: workloadPath({ environment, application: 'shop' }), content: shopWorkload({ environment, name: 'shop-web' }) }] });
    }
    await eventually(async () => (JSON.stringify(h.fake.names('deployments', 'dev8')) === '["shop-web"]' ? true : undefined), 'shop-api pruned in dev8', 20_000);
    const [extra] = await gitopsEvents(h.fx, 'GitOpsDriftDetected', (e) => e.payload.environment === 'dev9' && e.payload.drifts.some((d) => d.class === 'extraneous-workload'));
    expect(extra!.payload.drifts).toEqual([expect.objectContaining({ class: 'extraneous-workload', workload: 'shop-api', detail: expect.stringContaining('prune is off') })]);
    expect(h.fake.names('deployments', 'dev9').sort()).toEqual(['shop-api', 'shop-web']);
  });

  it('removes an application deleted from Git when its last policy prunes, and reports the one that does not', async () => {
    const path = (application: string, file = 'workload.json') => `environments/dev11/${application}/${file}`;
    const repo = await h.gitops('gitops-dev11', {
      [path('shop')]: shopWorkload({ environment: 'dev11' }),
      [path('shop', 'sync.json')]: '{ "prune": true }\n',
      [path('cart')]: shopWorkload({ environment: 'dev11', application: 'cart', name: 'cart-api' }),
    });
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: 'dev11' });
    await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev11' && e.payload.revision === repo.headSha, 2);
    expect(h.fake.names('deployments', 'dev11').sort()).toEqual(['cart-api', 'shop-api']);

    await h.fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'retire shop and cart from dev11', changes: [path('shop'), path('shop', 'sync.json'), path('cart')].map((p) => ({ action: 'delete' as const, path: p })) });
    await eventually(async () => (JSON.stringify(h.fake.names('deployments', 'dev11')) === '["cart-api"]' ? true : undefined), 'shop pruned from dev11', 20_000);
    const [gone] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev11' && e.payload.application === 'shop' && e.payload.workloads.length === 0);
    expect(gone!.payload).toMatchObject({ sync: 'Synced', health: 'Healthy', releaseId: null });
    const [extra] = await gitopsEvents(h.fx, 'GitOpsDriftDetected', (e) => e.payload.environment === 'dev11' && e.payload.application === 'cart');
    expect(extra!.payload.drifts).toEqual([expect.objectContaining({ class: 'extraneous-workload', workload: 'cart-api' })]);
    // the next sync finds nothing new to do: shop is gone for good, cart's drift was reported once
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: 'dev11' });
    await expect(gitopsEvents(h.fx, 'GitOpsDriftDetected', (e) => e.payload.environment === 'dev11', 2, 3_000)).rejects.toThrow('found 1 of 2');
    expect(h.fake.names('deployments', 'dev11')).toEqual(['cart-api']);
  });

  it('answers an invalid sync.json with GitOpsSyncFailed and its reason, and applies nothing', async () => {
    const repo = await h.gitops('gitops-dev10', { [workloadPath({ environment: 'dev10', application: 'shop' })]: shopWorkload({ environment: 'dev10' }), 'environments/dev10/shop/sync.json': '{ "prune": "yes" }\n' });
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: 'dev10' });
    const [failed] = await gitopsEvents(h.fx, 'GitOpsSyncFailed', (e) => e.payload.environment === 'dev10');
    expect(failed!.payload.error).toMatchObject({ code: 'gitops.invalid-sync-policy', retryable: false, details: [{ subject: 'prune', message: 'must be true or false' }] });
    expect(h.fake.names('deployments', 'dev10')).toEqual([]);
  });

  it('re-syncs when a pull request is merged into the GitOps branch (PullRequestMerged)', async () => {
    const repo = await syncedRepo('dev5');
    const locator = { tenantId: 'acme', projectId: 'web', name: 'gitops-dev5' };
    // the merge as the pull-request service leaves it: a commit on main, then its event
    const next = shopWorkload({ environment: 'dev5', version: '1.6.0' }, `sha256:${'d'.repeat(64)}`);
    const merged = await h.sandbox.git.commit(locator, { branch: 'main', message: 'Merge pull request 7', changes: [{ action: 'update', path: workloadPath({ environment: 'dev5', application: 'shop' }), content: next }], author: { name: 'alice', email: 'alice@example.com' } });
    await h.fx.publisher.publish(
      createEnvelope('PullRequestMerged', { pullRequestId: uuidv7(), repositoryId: repo.repositoryId, sourceBranch: 'feature', targetBranch: 'main', sourceSha: merged.sha, mergeSha: merged.sha, strategy: 'squash', sourceBranchDeleted: true }, { source: 'pull-request', tenantId: 'acme', projectId: 'web' }),
    );
    const [synced] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev5' && e.payload.revision === merged.sha);
    expect(synced!.payload.sync).toBe('Synced');
    expect(JSON.stringify(deployment('dev5')?.spec)).toContain('d'.repeat(64));
  });
});
