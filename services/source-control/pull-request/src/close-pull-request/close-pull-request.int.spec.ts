import type { CommandType, PayloadOf } from '@delivery/contracts';
import { PULL_REQUESTS_READ, PULL_REQUESTS_REVIEW, PULL_REQUESTS_WRITE } from '@delivery/repository-directory';
import type { SeededRepository } from '@delivery/repository-directory/testing';
import { rejectionOf, startPullRequestFixture, type PullRequestFixture } from '../testing/pull-request.fixture';

const reviewer = { kind: 'agent' as const, id: 'reviewer-1' };

// ClosePullRequest, and what a merged or closed pull request still accepts: nothing.
describe('ClosePullRequest', () => {
  let f: PullRequestFixture;
  let repo: SeededRepository;

  beforeAll(async () => {
    f = await startPullRequestFixture();
    repo = await f.repository('closing');
  });
  afterAll(() => f?.close());

  // every command but open, against one pull request; each must be refused with pull-request.not-open
  const attempts = (pullRequestId: string): Array<[CommandType, object]> => [
    ['CommentOnPullRequest', { pullRequestId, body: 'late' }],
    ['ReviewPullRequest', { pullRequestId, decision: 'approve' }],
    ['SetPullRequestCheck', { pullRequestId, name: 'build', state: 'succeeded' }],
    ['MergePullRequest', { pullRequestId, strategy: 'merge' }],
    ['ClosePullRequest', { pullRequestId }],
  ];

  async function expectNotOpen(pullRequestId: string): Promise<void> {
    for (const [type, payload] of attempts(pullRequestId)) {
      const command = await f.send(type, payload as PayloadOf<typeof type>, { actor: reviewer });
      const rejection = await rejectionOf(f, command);
      expect(rejection.payload).toMatchObject({ pullRequestId, repositoryId: repo.repositoryId, command: type, error: { code: 'pull-request.not-open', retryable: false } });
    }
  }

  it('over the bus: closes with the reason, keeps the branch; every later command is rejected not-open', async () => {
    const sha = await f.commit(repo, 'feature/abandon', { 'a.txt': 'a' });
    const { pullRequestId } = await f.open(repo, 'feature/abandon');
    const closed = await f.answer<PayloadOf<'PullRequestClosed'>>(await f.send('ClosePullRequest', { pullRequestId, reason: 'superseded' }), 'PullRequestClosed');
    expect(closed.payload).toEqual({ pullRequestId, repositoryId: repo.repositoryId, reason: 'superseded' });
    expect(await f.sandbox.git.resolveBranch(repo.locator, 'feature/abandon')).toBe(sha);
    await expectNotOpen(pullRequestId);
    // a closed pull request no longer blocks a new one for the same branches
    expect((await f.open(repo, 'feature/abandon')).pullRequestId).not.toBe(pullRequestId);
  });

  it('a merged pull request (source branch deleted) refuses everything with not-open, not branch.not-found', async () => {
    await f.commit(repo, 'feature/done', { 'd.txt': 'd' });
    const { pullRequestId } = await f.open(repo, 'feature/done', { deleteSourceBranchOnMerge: true });
    const merged = await f.answer<PayloadOf<'PullRequestMerged'>>(await f.send('MergePullRequest', { pullRequestId, strategy: 'merge' }), 'PullRequestMerged');
    expect(merged.payload.sourceBranchDeleted).toBe(true);
    await expectNotOpen(pullRequestId);
  });

  it('over REST: 200 to close, then 409 not-open for every door', async () => {
    await f.commit(repo, 'feature/rest', { 'r.txt': 'r' });
    const { pullRequestId } = await f.open(repo, 'feature/rest');
    const token = await f.bearer([PULL_REQUESTS_WRITE, PULL_REQUESTS_REVIEW, PULL_REQUESTS_READ]);
    const http = () => f.fx.http(f.service);
    const closed = await http().post(`/pull-requests/${pullRequestId}/close`).set('Authorization', `Bearer ${token}`).send().expect(200);
    expect(closed.body).toEqual({ pullRequestId, repositoryId: repo.repositoryId });
    for (const [path, body] of [
      ['close', {}],
      ['comments', { body: 'x' }],
      ['reviews', { decision: 'approve' }],
      ['checks', { name: 'build', state: 'pending' }],
    ] as const) {
      const response = await http().post(`/pull-requests/${pullRequestId}/${path}`).set('Authorization', `Bearer ${token}`).send(body).expect(409);
      expect(response.body).toMatchObject({ code: 'pull-request.not-open' });
    }
    const read = await http().get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(read.body).toMatchObject({ status: 'closed', policy: { verdict: 'failed', rules: expect.arrayContaining([{ rule: 'open', passed: false, message: 'the pull request is closed' }]) } });
  });
});
