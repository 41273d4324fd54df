import type { PayloadOf } from '@delivery/contracts';
import { PULL_REQUESTS_MERGE, PULL_REQUESTS_READ } from '@delivery/repository-directory';
import type { SeededRepository } from '@delivery/repository-directory/testing';
import { rejectionOf, startPullRequestFixture, type PullRequestFixture } from '../testing/pull-request.fixture';

type Merged = PayloadOf<'PullRequestMerged'>;
const reviewer = { kind: 'agent' as const, id: 'reviewer-1' };

// MergePullRequest on real git: the policy gate, every strategy, branch deletion, conflicts, through both doors.
describe('MergePullRequest', () => {
  let f: PullRequestFixture;
  let guarded: SeededRepository;
  let free: SeededRepository;
  let token: string;

  beforeAll(async () => {
    f = await startPullRequestFixture();
    guarded = await f.repository('guarded');
    free = await f.repository('free', { files: { 'shared.txt': 'base\n' } });
    await f.policy(guarded, { protected: true, requiredChecks: ['build'], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['squash', 'merge'] });
    token = await f.bearer([PULL_REQUESTS_MERGE, PULL_REQUESTS_READ]);
  });
  afterAll(() => f?.close());

  const http = () => f.fx.http(f.service);
  const head = (repo: SeededRepository, branch: string) => f.sandbox.git.resolveBranch(repo.locator, branch);

  it('refuses while rules fail, listing them (missing approval + failing check), over the bus and REST; then merges once they pass', async () => {
    await f.commit(guarded, 'feature/gate', { 'g.txt': 'g' });
    const { pullRequestId } = await f.open(guarded, 'feature/gate');
    await f.answer(await f.send('SetPullRequestCheck', { pullRequestId, name: 'build', state: 'failed' }), 'PullRequestCheckSet');
    const refused = await f.send('MergePullRequest', { pullRequestId, strategy: 'squash' });
    const rejection = await rejectionOf(f, refused);
    expect(rejection.payload).toMatchObject({ pullRequestId, repositoryId: guarded.repositoryId, command: 'MergePullRequest', error: { code: 'pull-request.policy-failed', retryable: false } });
    expect(rejection.payload.error.details).toEqual([
      { subject: 'required-check', message: expect.stringMatching(/^check "build" is failed on/) },
      { subject: 'minimum-approvals', message: '0 of 1 required approval(s)' },
    ]);
    expect(rejection.payload.error.message).toMatch(/required-check.*minimum-approvals/);
    const rest = await http().post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'squash' }).expect(409);
    expect(rest.body.details.rules.map((r: { subject: string }) => r.subject)).toEqual(['required-check', 'minimum-approvals']);

    await f.answer(await f.send('SetPullRequestCheck', { pullRequestId, name: 'build', state: 'succeeded' }), 'PullRequestCheckSet');
    await f.answer(await f.send('ReviewPullRequest', { pullRequestId, decision: 'approve' }, { actor: reviewer }), 'PullRequestReviewed');
    // a strategy the target does not allow is a failing rule too
    const ff = await http().post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'fast-forward' }).expect(409);
    expect(ff.body.details.rules).toEqual([{ subject: 'merge-strategy', message: 'fast-forward is not allowed on main (allowed: squash, merge)' }]);
    const merged = await f.answer<Merged>(await f.send('MergePullRequest', { pullRequestId, strategy: 'squash' }), 'PullRequestMerged');
    expect(merged.payload).toMatchObject({ pullRequestId, strategy: 'squash', targetBranch: 'main', sourceBranchDeleted: false });
    expect(await head(guarded, 'main')).toBe(merged.payload.mergeSha);
  });

  it('merge makes a merge commit with two parents, message and trailers', async () => {
    const source = await f.commit(free, 'feature/merge', { 'm.txt': 'm' });
    const before = await head(free, 'main');
    const { pullRequestId, number } = await f.open(free, 'feature/merge', { title: 'Two parents' });
    const command = await f.send('MergePullRequest', { pullRequestId, strategy: 'merge' });
    const merged = await f.answer<Merged>(command, 'PullRequestMerged');
    expect(merged.payload).toEqual({ pullRequestId, repositoryId: free.repositoryId, sourceBranch: 'feature/merge', targetBranch: 'main', sourceSha: source, mergeSha: expect.any(String), strategy: 'merge', sourceBranchDeleted: false });
    const commit = await f.sandbox.git.getCommit(free.locator, merged.payload.mergeSha);
    expect(commit?.parents).toEqual([before, source]);
    expect(commit?.message).toMatch(new RegExp(`^Merge pull request #${number}: Two parents`));
    expect(commit?.trailers).toMatchObject({ 'Pull-Request-Id': pullRequestId, 'Trace-Id': command.traceId });
    expect(commit?.author).toMatchObject({ email: 'agent-7@agent.delivery.invalid' });
  });

  it('squash makes one commit with one parent; the source branch is deleted when asked', async () => {
    await f.commit(free, 'feature/squash', { 's.txt': '1' });
    const source = await f.commit(free, 'feature/squash', { 's.txt': '2' });
    const before = await head(free, 'main');
    const { pullRequestId } = await f.open(free, 'feature/squash');
    const merged = await http().post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'squash', message: 'Squashed', deleteSourceBranch: true, expectedSourceSha: source }).expect(200);
    expect(merged.body).toMatchObject({ sourceSha: source, strategy: 'squash', sourceBranchDeleted: true });
    const commit = await f.sandbox.git.getCommit(free.locator, merged.body.mergeSha);
    expect(commit?.parents).toEqual([before]);
    expect(commit?.message).toMatch(/^Squashed/);
    expect((await f.sandbox.git.readFile(free.locator, 'main', 's.txt'))?.toString()).toBe('2');
    expect(await head(free, 'feature/squash')).toBeUndefined();
  });

  it('fast-forward moves the target to the source sha; deleteSourceBranchOnMerge from the open applies', async () => {
    const source = await f.commit(free, 'feature/ff', { 'f.txt': 'f' });
    const { pullRequestId } = await f.open(free, 'feature/ff', { deleteSourceBranchOnMerge: true });
    const merged = await f.answer<Merged>(await f.send('MergePullRequest', { pullRequestId, strategy: 'fast-forward' }), 'PullRequestMerged');
    expect(merged.payload).toMatchObject({ mergeSha: source, sourceSha: source, strategy: 'fast-forward', sourceBranchDeleted: true });
    expect(await head(free, 'main')).toBe(source);
    expect(await head(free, 'feature/ff')).toBeUndefined();
  });

  it('a source branch that cannot be deleted (the default branch) leaves the merge standing', async () => {
    await f.sandbox.git.createBranch(free.locator, 'release', 'main');
    await f.commit(free, 'main', { 'r.txt': 'r' });
    const { pullRequestId } = await f.open(free, 'main', { targetBranch: 'release' });
    const merged = await http().post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'merge', deleteSourceBranch: true }).expect(200);
    expect(merged.body).toMatchObject({ sourceBranchDeleted: false });
    expect(await head(free, 'release')).toBe(merged.body.mergeSha);
  });

  it('conflicts, a moved source and a diverged fast-forward are 409s; the pull request stays open', async () => {
    await f.commit(free, 'feature/conflict', { 'shared.txt': 'ours\n' });
    await f.commit(free, 'main', { 'shared.txt': 'theirs\n' });
    const { pullRequestId } = await f.open(free, 'feature/conflict');
    const conflict = await http().post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'merge' }).expect(409);
    expect(conflict.body).toMatchObject({ code: 'git.merge-conflict', details: { problems: [{ subject: 'shared.txt', message: 'conflicts' }] } });
    const overBus = await rejectionOf(f, await f.send('MergePullRequest', { pullRequestId, strategy: 'squash' }));
    expect(overBus.payload.error).toMatchObject({ code: 'git.merge-conflict', details: [{ subject: 'shared.txt', message: 'conflicts' }] });
    const moved = await http().post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'merge', expectedSourceSha: 'f'.repeat(40) }).expect(409);
    expect(moved.body).toMatchObject({ code: 'pull-request.source-moved' });
    const diverged = await http().post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${token}`).send({ strategy: 'fast-forward' }).expect(409);
    expect(diverged.body).toMatchObject({ code: 'git.not-fast-forward' });
    const read = await http().get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(read.body.status).toBe('open');
  });

  it('a redelivery after a merge whose record was lost records the merge git holds instead of merging again', async () => {
    const source = await f.commit(free, 'feature/crash', { 'c.txt': 'c' });
    const { pullRequestId } = await f.open(free, 'feature/crash', { deleteSourceBranchOnMerge: true });
    // what a crashed attempt leaves: the squash commit with the pull request's trailer, and no source branch
    const author = { name: 'agent', email: 'agent@example.com' };
    const crashed = await f.sandbox.git.merge(free.locator, { source: 'feature/crash', target: 'main', strategy: 'squash', message: 'squash', author, trailers: { 'Pull-Request-Id': pullRequestId } });
    await f.sandbox.git.deleteBranch(free.locator, 'feature/crash', source);
    const merged = await f.answer<Merged>(await f.send('MergePullRequest', { pullRequestId, strategy: 'squash' }), 'PullRequestMerged');
    expect(merged.payload).toMatchObject({ mergeSha: crashed.sha, sourceBranchDeleted: true, strategy: 'squash' });
    expect(await head(free, 'main')).toBe(crashed.sha);
  });

  it('needs the merge scope', async () => {
    await f.commit(free, 'feature/scope', { 'x.txt': 'x' });
    const { pullRequestId } = await f.open(free, 'feature/scope');
    const reader = await f.bearer([PULL_REQUESTS_READ]);
    await http().post(`/pull-requests/${pullRequestId}/merge`).set('Authorization', `Bearer ${reader}`).send({ strategy: 'merge' }).expect(403);
  });
});
