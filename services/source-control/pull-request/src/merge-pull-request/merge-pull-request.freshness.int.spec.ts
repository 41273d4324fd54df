import { createEnvelope } from '@delivery/messaging';
import { bindingsOf, declareTopology } from '@delivery/nats-topology';
import { PULL_REQUESTS_MERGE } from '@delivery/repository-directory';
import { startPullRequestFixture, type PullRequestFixture } from '../testing/pull-request.fixture';

// A merge is judged by the target's current policy: while a BranchPolicySet has been published but not applied
// here, the merge waits (retried on the bus, 503 over REST) instead of passing under the policy it replaced.
// Here the service does not consume its policy events at all, so the published one stays unapplied.
describe('MergePullRequest while the policy copy lags', () => {
  let f: PullRequestFixture;

  beforeAll(async () => {
    f = await startPullRequestFixture({
      consumers: (names) => bindingsOf(declareTopology(names), 'pull-request', names).filter((b) => b.durable !== names.eventDurable('pull-request', 'BranchPolicySet')),
    });
  });
  afterAll(() => f?.close());

  it('answers 503 projection.catching-up rather than merging under a stale policy', async () => {
    const repo = await f.repository('lagging');
    await f.commit(repo, 'feature/lag', { 'l.txt': 'l' });
    const { pullRequestId } = await f.open(repo, 'feature/lag');
    const policy = { protected: true, requiredChecks: ['build'], minimumApprovals: 2, reviewerNotAuthor: true, allowedMergeStrategies: ['squash' as const] };
    await f.fx.publisher.publish(createEnvelope('BranchPolicySet', { repositoryId: repo.repositoryId, branch: 'main', policy, version: 1 }, { source: 'branch', tenantId: 'acme', projectId: 'web' }));

    const token = await f.bearer([PULL_REQUESTS_MERGE]);
    const response = await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'squash' }).expect(503);
    expect(response.body).toMatchObject({ code: 'projection.catching-up' });
    expect(await f.sandbox.git.resolveBranch(repo.locator, 'main')).toBe(repo.headSha);
  });
});
