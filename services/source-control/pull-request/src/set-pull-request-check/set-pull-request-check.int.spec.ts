import type { Envelope, PayloadOf } from '@delivery/contracts';
import { PULL_REQUESTS_READ, PULL_REQUESTS_WRITE } from '@delivery/repository-directory';
import type { SeededRepository } from '@delivery/repository-directory/testing';
import { waitForEvent } from '@delivery/testing';
import { startPullRequestFixture, type PullRequestFixture } from '../testing/pull-request.fixture';

type CheckSet = PayloadOf<'PullRequestCheckSet'>;
type Completed = PayloadOf<'PullRequestChecksCompleted'>;
const reviewer = { kind: 'agent' as const, id: 'reviewer-1' };

// SetPullRequestCheck and the verdict it announces once the required checks have settled on the head.
describe('SetPullRequestCheck', () => {
  let f: PullRequestFixture;
  let repo: SeededRepository;

  beforeAll(async () => {
    f = await startPullRequestFixture();
    repo = await f.repository('checks');
    await f.policy(repo, { protected: true, requiredChecks: ['pipeline/build'], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['merge'] });
  });
  afterAll(() => f?.close());

  const completions = async (pullRequestId: string): Promise<Completed[]> =>
    (await f.service.dataSource.query(`SELECT data FROM events WHERE type = 'PullRequestChecksCompleted' AND data->>'pullRequestId' = $1 ORDER BY position`, [pullRequestId])).map(
      (row: { data: Completed }) => row.data,
    );

  it('pending announces nothing; succeeded (with the approval) announces the verdict passed with every rule', async () => {
    const head = await f.commit(repo, 'feature/ok', { 'a.txt': 'a' });
    const { pullRequestId } = await f.open(repo, 'feature/ok');
    await f.answer(await f.send('ReviewPullRequest', { pullRequestId, decision: 'approve' }, { actor: reviewer }), 'PullRequestReviewed');
    const pending = await f.send('SetPullRequestCheck', { pullRequestId, name: 'pipeline/build', state: 'pending' }, { actor: { kind: 'service', id: 'pipeline' } });
    expect((await f.answer<CheckSet>(pending, 'PullRequestCheckSet')).payload).toEqual({ pullRequestId, name: 'pipeline/build', state: 'pending', sourceSha: head });
    expect(await completions(pullRequestId)).toEqual([]);

    const succeeded = await f.send('SetPullRequestCheck', { pullRequestId, name: 'pipeline/build', state: 'succeeded', description: 'green' });
    const completed = await f.answer<Completed>(succeeded, 'PullRequestChecksCompleted');
    expect(completed.payload).toEqual({
      pullRequestId,
      sourceSha: head,
      verdict: 'passed',
      checks: [{ name: 'pipeline/build', state: 'succeeded', description: 'green' }],
      rules: [
        { rule: 'open', passed: true, message: 'the pull request is open' },
        { rule: 'required-check', passed: true, message: `check "pipeline/build" succeeded on ${head.slice(0, 12)}` },
        { rule: 'minimum-approvals', passed: true, message: '1 of 1 required approval(s)' },
        { rule: 'no-changes-requested', passed: true, message: 'no reviewer requests changes' },
      ],
    });
    // the same result reported again is not announced twice
    const again = await f.send('SetPullRequestCheck', { pullRequestId, name: 'pipeline/build', state: 'succeeded' });
    await f.answer(again, 'PullRequestCheckSet');
    expect(await completions(pullRequestId)).toHaveLength(1);
  });

  it('a failed required check announces the verdict failed; a report about an older commit settles nothing', async () => {
    const old = await f.commit(repo, 'feature/red', { 'b.txt': '1' });
    const { pullRequestId } = await f.open(repo, 'feature/red');
    const head = await f.commit(repo, 'feature/red', { 'b.txt': '2' });
    const stale = await f.send('SetPullRequestCheck', { pullRequestId, name: 'pipeline/build', state: 'succeeded', sourceSha: old });
    expect((await f.answer<CheckSet>(stale, 'PullRequestCheckSet')).payload.sourceSha).toBe(old);
    expect(await completions(pullRequestId)).toEqual([]);

    const failed = await f.send('SetPullRequestCheck', { pullRequestId, name: 'pipeline/build', state: 'failed' });
    const completed = await waitForEvent<Envelope<Completed>>(f.fx.bus, 'source-control', 'PullRequestChecksCompleted', (e) => e.causationId === failed.id);
    expect(completed.payload).toMatchObject({ sourceSha: head, verdict: 'failed', checks: [{ name: 'pipeline/build', state: 'failed' }] });
    expect(completed.payload.rules.filter((r) => !r.passed).map((r) => r.rule)).toEqual(['required-check', 'minimum-approvals']);
  });

  it('over REST: 200 with the check; GET lists every check and the verdict on the live head', async () => {
    const head = await f.commit(repo, 'feature/rest', { 'c.txt': 'c' });
    const { pullRequestId } = await f.open(repo, 'feature/rest');
    const token = await f.bearer([PULL_REQUESTS_WRITE, PULL_REQUESTS_READ]);
    const set = await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/checks`).set('Authorization', `Bearer ${token}`).send({ name: 'pipeline/build', state: 'error' }).expect(200);
    expect(set.body).toEqual({ pullRequestId, name: 'pipeline/build', state: 'error', sourceSha: head });
    await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/checks`).set('Authorization', `Bearer ${token}`).send({ name: 'pipeline/build', state: 'bogus' }).expect(400);
    const read = await f.fx.http(f.service).get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(read.body.checks).toEqual([{ name: 'pipeline/build', state: 'error', sourceSha: head }]);
    expect(read.body.policy).toMatchObject({ sourceSha: head, verdict: 'failed', checks: [{ name: 'pipeline/build', state: 'error' }] });
  });
});
