import { GITOPS_READ, GITOPS_WRITE } from '../gitops.scopes';
import { gitopsEvents, markReady, shopWorkload, SHOP_PATH, startGitOpsHarness, type GitOpsHarness } from '../gitops-sync.testing';

// The REST doors: the environment view (tenant-scoped, 404 otherwise) and SyncGitOps over REST.
describe('gitops-sync REST', () => {
  let h: GitOpsHarness;
  let repositoryId: string;
  let headSha: string;

  beforeAll(async () => {
    h = await startGitOpsHarness();
    ({ repositoryId, headSha } = await h.gitops('gitops-rest', { [SHOP_PATH]: shopWorkload() }));
  });
  afterAll(() => h.close());

  const token = (scopes: string[], tenant = 'acme') => h.fx.token({ scopes, tenant });
  const get = async (path: string, scopes = [GITOPS_READ], tenant = 'acme') => h.fx.http(h.sync).get(path).set('Authorization', `Bearer ${await token(scopes, tenant)}`);
  const post = async (path: string, body: object, scopes = [GITOPS_WRITE]) => h.fx.http(h.sync).post(path).set('Authorization', `Bearer ${await token(scopes)}`).send(body);

  it('syncs an environment over REST (SyncGitOps) and shows its applications', async () => {
    const synced = await post('/environments/dev1/sync', { repositoryId });
    expect(synced.status).toBe(200);
    expect(synced.body).toEqual({ repositoryId, environment: 'dev1', revision: headSha, applications: [{ environment: 'dev1', application: 'shop' }] });
    await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.repositoryId === repositoryId);

    const view = await get('/environments/dev1/applications');
    expect(view.status).toBe(200);
    expect(view.body.environment).toBe('dev1');
    expect(view.body.items).toEqual([
      expect.objectContaining({ application: 'shop', projectId: 'web', repositoryId, sync: 'Synced', revision: headSha, releaseId: '0192f3a4-5b6c-7d8e-9f01-23456789abcd' }),
    ]);
    const [item] = view.body.items as Array<{ health: string; workloads: Array<{ name: string }>; lastEvents: Array<{ type: string; revision: string }> }>;
    expect(item!.health).not.toBe('Healthy');
    expect(item!.workloads.map((w) => w.name)).toEqual(['shop-api']);
    expect(item!.lastEvents[0]).toMatchObject({ type: 'GitOpsSynced', revision: headSha });
  });

  it('looks again while the rollout progresses (not only on the 60 s interval) and shows it Healthy', async () => {
    markReady(h.fake, 'dev1', 'shop-api');
    await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.repositoryId === repositoryId && e.payload.health === 'Healthy', 1, 10_000);
    const view = await get('/environments/dev1/applications');
    expect(view.body.items[0]).toMatchObject({ sync: 'Synced', health: 'Healthy', revision: headSha });
  });

  it('is a 404 for another tenant and for an environment with no applications', async () => {
    expect((await get('/environments/dev1/applications', [GITOPS_READ], 'globex')).status).toBe(404);
    expect((await get('/environments/prod/applications')).status).toBe(404);
  });

  it('needs the gitops scopes', async () => {
    expect((await get('/environments/dev1/applications', [])).status).toBe(403);
    expect((await post('/environments/dev1/sync', { repositoryId }, [GITOPS_READ])).status).toBe(403);
  });

  it('refuses a sync of a repository the caller cannot see (404) and an invalid body (400)', async () => {
    expect((await post('/environments/dev1/sync', { repositoryId: '0192f3a4-0000-7000-8000-0000000000ff' })).status).toBe(404);
    expect((await post('/environments/dev1/sync', { repositoryId, unknown: true })).status).toBe(400);
  });
});
