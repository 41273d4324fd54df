import { BUILDS_READ } from '../build-result.scopes';
import { buildCompletedFor, newRunId, putOutputs, runFinished, startBuildHarness, type BuildHarness } from '../build-result.testing';

// GET /builds and /builds/:id over real HTTP with real tokens: tenant (and project) scoped, another tenant's build
// is the same 404 as a missing one.
describe('builds REST', () => {
  let h: BuildHarness;
  let reader: string;
  const ids: Record<'passed' | 'failed' | 'otherRepo' | 'globex', string> = { passed: '', failed: '', otherRepo: '', globex: '' };

  const build = async (repositoryId: string, fixture: string, tenantId = 'acme'): Promise<string> => {
    const runId = newRunId();
    const testResults = await putOutputs(h.store, runId, [{ name: 'junit.xml', kind: 'test-results', fixture }]);
    await h.fx.publisher.publish(runFinished(runId, { testResults }, { repositoryId }, tenantId));
    return (await buildCompletedFor(h.fx, runId)).payload.buildId;
  };

  beforeAll(async () => {
    h = await startBuildHarness();
    reader = await h.fx.token({ scopes: [BUILDS_READ] });
    ids.passed = await build('repo-rest', 'junit-passed.xml');
    ids.failed = await build('repo-rest', 'junit-jest.xml');
    ids.otherRepo = await build('repo-other', 'junit-passed.xml');
    ids.globex = await build('repo-rest', 'junit-passed.xml', 'globex');
  });
  afterAll(async () => {
    await h?.close();
  });

  const get = (path: string, token: string) => h.fx.http(h.service).get(path).set('Authorization', `Bearer ${token}`);

  it('reads one build of the caller tenant with its tests, failures and trace', async () => {
    const res = await get(`/builds/${ids.failed}`, reader).expect(200);
    expect(res.body).toMatchObject({
      buildId: ids.failed,
      projectId: 'web',
      repositoryId: 'repo-rest',
      status: 'Failed',
      tests: { total: 5, passed: 3, failed: 1, skipped: 1, durationMs: 2413 },
      coverage: null,
      failedTests: [{ suite: 'cart', name: 'cart applies a discount' }],
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('answers 404 for a build of another tenant, both ways, and for an id that is no build', async () => {
    await get(`/builds/${ids.globex}`, reader).expect(404);
    const globex = await h.fx.token({ tenant: 'globex', scopes: [BUILDS_READ] });
    await get(`/builds/${ids.passed}`, globex).expect(404);
    await get(`/builds/${ids.globex}`, globex).expect(200);
    await get('/builds/not-a-build', reader).expect(404);
  });

  it('answers 404 for a build of a project the token is not limited to', async () => {
    const other = await h.fx.token({ scopes: [BUILDS_READ], projects: ['mobile'] });
    await get(`/builds/${ids.passed}`, other).expect(404);
  });

  it('requires a token (401) with the read scope (403)', async () => {
    await h.fx.http(h.service).get(`/builds/${ids.passed}`).expect(401);
    await get(`/builds/${ids.passed}`, await h.fx.token({ scopes: ['devops.releases.read'] })).expect(403);
  });

  it('lists builds newest first by repository and status, in pages, without other tenants', async () => {
    const all = await get('/builds?repositoryId=repo-rest', reader).expect(200);
    expect(all.body.items.map((b: { buildId: string }) => b.buildId)).toEqual([ids.failed, ids.passed]);
    expect(all.body.items[0]).not.toHaveProperty('failedTests');

    const failed = await get('/builds?repositoryId=repo-rest&status=Failed', reader).expect(200);
    expect(failed.body).toEqual({ items: [expect.objectContaining({ buildId: ids.failed, status: 'Failed' })], next: null });

    const first = await get('/builds?limit=2', reader).expect(200);
    expect(first.body.items.map((b: { buildId: string }) => b.buildId)).toEqual([ids.otherRepo, ids.failed]);
    expect(first.body.next).toBe(ids.failed);
    const second = await get(`/builds?limit=2&after=${first.body.next}`, reader).expect(200);
    expect(second.body).toEqual({ items: [expect.objectContaining({ buildId: ids.passed })], next: null });
  });

  it('refuses a status that is not a build status and a cursor that is not a build id', async () => {
    const res = await get('/builds?status=green', reader).expect(400);
    expect(JSON.stringify(res.body)).toContain('invalid-status');
    await get('/builds?after=yesterday', reader).expect(400);
  });
});
