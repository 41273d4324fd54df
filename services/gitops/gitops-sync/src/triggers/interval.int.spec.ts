import { seedRepository } from '@delivery/repository-directory/testing';
import { gitopsEvents, markReady, shopWorkload, SHOP_PATH, startGitOpsHarness, type GitOpsHarness } from '../gitops-sync.testing';
import { intervalKey } from './sync.settings';

// The interval trigger alone: no command, no commit; RepositoryProvisioned starts the repository's durable timer.
describe('gitops-sync interval', () => {
  let h: GitOpsHarness;

  beforeAll(async () => {
    h = await startGitOpsHarness({ intervalMs: 500 });
  });
  afterAll(() => h.close());

  it('syncs a GitOps repository on its interval timer and keeps the timer going', async () => {
    const repo = await h.gitops('gitops-interval', { [SHOP_PATH]: shopWorkload() });
    const [synced] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.repositoryId === repo.repositoryId);
    expect(synced!.payload).toMatchObject({ environment: 'dev1', application: 'shop', revision: repo.headSha, sync: 'Synced' });
    expect(h.fake.names('deployments', 'dev1')).toEqual(['shop-api']);
    const timers: Array<{ kind: string; due_at: Date }> = await h.sync.dataSource.query(`SELECT kind, due_at FROM timers WHERE key = $1`, [intervalKey(repo.repositoryId)]);
    expect(timers).toEqual([expect.objectContaining({ kind: 'gitops.interval' })]);
  });

  it('heals a Deployment deleted behind its back: drift on the next interval, then a re-apply', async () => {
    markReady(h.fake, 'dev1', 'shop-api');
    await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev1' && e.payload.health === 'Healthy');
    // someone deletes it by hand, as kubectl would
    const deleted = await fetch(`${h.kubeServer}/apis/apps/v1/namespaces/dev1/deployments/shop-api`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(h.fake.names('deployments', 'dev1')).toEqual([]);
    const [drift] = await gitopsEvents(h.fx, 'GitOpsDriftDetected', (e) => e.payload.environment === 'dev1' && e.payload.healAttempt === 0);
    expect(drift!.payload.drifts).toEqual([expect.objectContaining({ class: 'missing-workload', workload: 'shop-api' })]);
    // the first heal falls due 2 s after the drift was seen (the decider's wakeAt)
    await gitopsEvents(h.fx, 'GitOpsDriftDetected', (e) => e.payload.environment === 'dev1' && e.payload.healAttempt === 1);
    expect(h.fake.names('deployments', 'dev1')).toEqual(['shop-api']);
  });

  it('starts no timer for a repository that is not a GitOps one', async () => {
    const app = await seedRepository(h.fx, h.sandbox, 'shop-app', { files: { [SHOP_PATH]: shopWorkload() }, knownBy: h.sync });
    const timers: unknown[] = await h.sync.dataSource.query(`SELECT key FROM timers WHERE key = $1`, [intervalKey(app.repositoryId)]);
    expect(timers).toEqual([]);
  });
});
