import type { PayloadOf } from '@delivery/contracts';
import { PULL_REQUESTS_MERGE, PULL_REQUESTS_READ, PULL_REQUESTS_REVIEW } from '@delivery/repository-directory';
import type { SeededRepository } from '@delivery/repository-directory/testing';
import { rejectionOf, startPullRequestFixture, type PullRequestFixture } from '../testing/pull-request.fixture';

type Reviewed = PayloadOf<'PullRequestReviewed'>;
type Rule = { rule: string; passed: boolean; message: string };
const reviewer = { kind: 'agent' as const, id: 'reviewer-1' };

// ReviewPullRequest through both doors: never by the author, pinned to the live head.
describe('ReviewPullRequest', () => {
  let f: PullRequestFixture;
  let repo: SeededRepository;

  beforeAll(async () => {
    f = await startPullRequestFixture();
    repo = await f.repository('reviews');
  });
  afterAll(() => f?.close());

  it('over the bus: the author (an agent) may not review; another agent may, on the current head', async () => {
    const head = await f.commit(repo, 'feature/a', { 'a.txt': 'a' });
    const { pullRequestId } = await f.open(repo, 'feature/a');
    const own = await f.send('ReviewPullRequest', { pullRequestId, decision: 'approve' });
    expect((await rejectionOf(f, own)).payload).toMatchObject({
      pullRequestId,
      repositoryId: repo.repositoryId,
      command: 'ReviewPullRequest',
      error: { code: 'pull-request.reviewer-is-author', retryable: false },
    });
    const review = await f.send('ReviewPullRequest', { pullRequestId, decision: 'request-changes', comment: 'needs tests' }, { actor: reviewer });
    const reviewed = await f.answer<Reviewed>(review, 'PullRequestReviewed');
    expect(reviewed.payload).toEqual({ pullRequestId, reviewer, decision: 'request-changes', sourceSha: head, comment: 'needs tests' });
  });

  it('over REST: a user reviews as themself (201); the author gets 403; the scope is required', async () => {
    await f.commit(repo, 'feature/b', { 'b.txt': 'b' });
    const { pullRequestId } = await f.open(repo, 'feature/b', {}, { kind: 'user', id: 'bob' });
    const alice = await f.bearer([PULL_REQUESTS_REVIEW]);
    const approved = await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/reviews`).set('Authorization', `Bearer ${alice}`).send({ decision: 'approve' }).expect(201);
    expect(approved.body).toMatchObject({ reviewer: { kind: 'user', id: 'alice' }, decision: 'approve' });
    const bob = await f.bearer([PULL_REQUESTS_REVIEW], { sub: 'bob' });
    const forbidden = await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/reviews`).set('Authorization', `Bearer ${bob}`).send({ decision: 'approve' }).expect(403);
    expect(forbidden.body).toMatchObject({ code: 'pull-request.reviewer-is-author' });
    // the same id as another kind of actor is someone else
    const bobTheAgent = await f.bearer([PULL_REQUESTS_REVIEW], { sub: 'bob', actorKind: 'agent' });
    await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/reviews`).set('Authorization', `Bearer ${bobTheAgent}`).send({ decision: 'approve' }).expect(201);
    const reader = await f.bearer([PULL_REQUESTS_READ]);
    await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/reviews`).set('Authorization', `Bearer ${reader}`).send({ decision: 'approve' }).expect(403);
  });

  it('with resetApprovalsOnPush, a commit after the approval voids it: the verdict fails and the merge is refused', async () => {
    await f.policy(repo, { protected: true, requiredChecks: [], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['merge', 'squash'], resetApprovalsOnPush: true });
    const first = await f.commit(repo, 'feature/push', { 'p.txt': '1' });
    const { pullRequestId } = await f.open(repo, 'feature/push');
    const approve = await f.send('ReviewPullRequest', { pullRequestId, decision: 'approve' }, { actor: reviewer });
    const completed = await f.answer<PayloadOf<'PullRequestChecksCompleted'>>(approve, 'PullRequestChecksCompleted');
    expect(completed.payload).toMatchObject({ sourceSha: first, verdict: 'passed' });

    const second = await f.commit(repo, 'feature/push', { 'p.txt': '2' });
    const token = await f.bearer([PULL_REQUESTS_READ, PULL_REQUESTS_MERGE]);
    const read = await f.fx.http(f.service).get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(read.body.headSha).toBe(second);
    expect(read.body.reviews).toEqual([{ reviewer, decision: 'approve', sourceSha: first }]);
    expect(read.body.policy).toMatchObject({ sourceSha: second, verdict: 'failed' });
    expect((read.body.policy.rules as Rule[]).find((r) => r.rule === 'minimum-approvals')).toMatchObject({ passed: false, message: expect.stringMatching(/earlier head/) });
    const refused = await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'squash' }).expect(409);
    expect(refused.body).toMatchObject({ code: 'pull-request.policy-failed', details: { rules: [{ subject: 'minimum-approvals', message: expect.stringMatching(/^0 of 1/) }] } });

    // approving the new head counts again
    const again = await f.send('ReviewPullRequest', { pullRequestId, decision: 'approve' }, { actor: reviewer });
    expect((await f.answer<PayloadOf<'PullRequestChecksCompleted'>>(again, 'PullRequestChecksCompleted')).payload).toMatchObject({ sourceSha: second, verdict: 'passed' });
    const merged = await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'squash' }).expect(200);
    expect(merged.body).toMatchObject({ sourceSha: second, strategy: 'squash' });
  });
});

