import type { Actor } from '@delivery/contracts';
import { ForbiddenError, IllegalStateError, ValidationError } from '@delivery/messaging';
import type { BranchPolicy } from './merge-policy';
import { assertMergeable, decide, evolve, initialState, type PullRequestCommand, type PullRequestCommandType, type DecideContexts, type PullRequestEvent, type PullRequestState } from './pull-request.decider';

const HEAD = 'a'.repeat(40);
const NEXT = 'd'.repeat(40);
const TARGET = 'c'.repeat(40);
const MERGE = 'e'.repeat(40);
const author: Actor = { kind: 'agent', id: 'agent-7' };
const alice: Actor = { kind: 'user', id: 'alice' };
const id = '0192f3a4-5b6c-7d8e-9f01-23456789abcd';
const policy: BranchPolicy = { protected: true, requiredChecks: ['build'], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['merge', 'squash'] };

// given(events) / when(command, context) / then(events or error)
const given = (...events: PullRequestEvent[]): PullRequestState => events.reduce(evolve, initialState);
const when = <T extends PullRequestCommandType>(state: PullRequestState, type: T, payload: PullRequestCommand<T>['payload'], context: DecideContexts[T]) => decide({ type, payload }, state, context);
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
};

const opened: PullRequestEvent = {
  type: 'PullRequestOpened',
  payload: { pullRequestId: id, repositoryId: 'repo-1', number: 3, sourceBranch: 'feature', targetBranch: 'main', sourceSha: HEAD, targetSha: TARGET, title: 'Add a thing', author, deleteSourceBranchOnMerge: true },
};
const checkSet = (state: 'pending' | 'succeeded' | 'failed', sourceSha = HEAD): PullRequestEvent => ({ type: 'PullRequestCheckSet', payload: { pullRequestId: id, name: 'build', state, sourceSha } });
const approved = (sourceSha = HEAD): PullRequestEvent => ({ type: 'PullRequestReviewed', payload: { pullRequestId: id, reviewer: alice, decision: 'approve', sourceSha } });
const merged: PullRequestEvent = { type: 'PullRequestMerged', payload: { pullRequestId: id, repositoryId: 'repo-1', sourceBranch: 'feature', targetBranch: 'main', sourceSha: HEAD, mergeSha: MERGE, strategy: 'squash', sourceBranchDeleted: true } };
const closed: PullRequestEvent = { type: 'PullRequestClosed', payload: { pullRequestId: id, repositoryId: 'repo-1' } };

describe('pull-request decider', () => {
  describe('OpenPullRequest', () => {
    it('given nothing, when opened, then PullRequestOpened carries the ids, heads and author from the context', () => {
      const events = when(initialState, 'OpenPullRequest', { repositoryId: 'repo-1', sourceBranch: 'feature', targetBranch: 'main', title: 'Add a thing' }, { actor: author, pullRequestId: id, number: 3, sourceSha: HEAD, targetSha: TARGET });
      expect(events).toEqual([{ type: 'PullRequestOpened', payload: { ...opened.payload, deleteSourceBranchOnMerge: false } }]);
      expect(given(...events)).toMatchObject({ status: 'open', number: 3, author, sourceSha: HEAD });
    });

    it('given nothing, when opened with a description and labels, then the event carries them', () => {
      const events = when(initialState, 'OpenPullRequest', { repositoryId: 'repo-1', sourceBranch: 'feature', targetBranch: 'main', title: 'Add a thing', description: 'why', labels: ['infra'] }, { actor: author, pullRequestId: id, number: 3, sourceSha: HEAD, targetSha: TARGET });
      expect(events[0]?.payload).toMatchObject({ description: 'why', labels: ['infra'] });
    });

    it('given nothing, when source and target are the same branch, then it is a ValidationError', () => {
      const error = thrown(() => when(initialState, 'OpenPullRequest', { repositoryId: 'r', sourceBranch: 'main', targetBranch: 'main', title: 't' }, { actor: author, pullRequestId: id, number: 1, sourceSha: HEAD, targetSha: HEAD }));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'pull-request.same-branch' });
    });
  });

  describe('CommentOnPullRequest', () => {
    it('given an open pull request, when a line of a file is commented, then the event and the state keep path and line', () => {
      const events = when(given(opened), 'CommentOnPullRequest', { pullRequestId: id, body: 'off by one', path: 'src/a.ts', line: 12 }, { actor: alice, commentId: 'c-9' });
      expect(events[0]?.payload).toMatchObject({ path: 'src/a.ts', line: 12, replaced: false });
      expect(given(opened, ...events).comments).toEqual([{ commentId: 'c-9', author: alice, body: 'off by one', path: 'src/a.ts', line: 12 }]);
    });

    it('given a keyed comment, when the same key comments again, then it replaces that comment under the same id', () => {
      const first = when(given(opened), 'CommentOnPullRequest', { pullRequestId: id, body: 'plan v1', key: 'iac-plan/stage1' }, { actor: author, commentId: 'c-1' });
      expect(first[0]?.payload).toMatchObject({ commentId: 'c-1', replaced: false, key: 'iac-plan/stage1' });
      const state = given(opened, ...first);
      const second = when(state, 'CommentOnPullRequest', { pullRequestId: id, body: 'plan v2', key: 'iac-plan/stage1' }, { actor: author, commentId: 'c-2' });
      expect(second[0]?.payload).toMatchObject({ commentId: 'c-1', replaced: true, body: 'plan v2' });
      expect(given(opened, ...first, ...second).comments).toEqual([{ commentId: 'c-1', author, body: 'plan v2', key: 'iac-plan/stage1' }]);
    });

    it('given comments without a key, when commenting again, then each is a new comment', () => {
      const state = given(opened, ...when(given(opened), 'CommentOnPullRequest', { pullRequestId: id, body: 'one' }, { actor: author, commentId: 'c-1' }));
      const events = when(state, 'CommentOnPullRequest', { pullRequestId: id, body: 'two' }, { actor: alice, commentId: 'c-2' });
      expect(given(opened, { type: 'PullRequestCommented', payload: { pullRequestId: id, commentId: 'c-1', author, body: 'one', replaced: false } }, ...events).comments.map((c) => c.commentId)).toEqual(['c-1', 'c-2']);
    });
  });

  describe('ReviewPullRequest', () => {
    it('given an open pull request, when its author reviews it, then it is forbidden (agents included)', () => {
      const error = thrown(() => when(given(opened), 'ReviewPullRequest', { pullRequestId: id, decision: 'approve' }, { actor: author, headSha: HEAD, policy }));
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ code: 'pull-request.reviewer-is-author' });
    });

    it('given an open pull request, when another actor of the same id but another kind reviews, then it is recorded on the live head', () => {
      const events = when(given(opened), 'ReviewPullRequest', { pullRequestId: id, decision: 'approve', comment: 'lgtm' }, { actor: { kind: 'user', id: 'agent-7' }, headSha: NEXT, policy });
      expect(events).toEqual([{ type: 'PullRequestReviewed', payload: { pullRequestId: id, reviewer: { kind: 'user', id: 'agent-7' }, decision: 'approve', sourceSha: NEXT, comment: 'lgtm' } }]);
    });

    it('given the required check succeeded, when approved, then the verdict passed is announced with every rule', () => {
      const events = when(given(opened, checkSet('succeeded')), 'ReviewPullRequest', { pullRequestId: id, decision: 'approve' }, { actor: alice, headSha: HEAD, policy });
      expect(events.map((e) => e.type)).toEqual(['PullRequestReviewed', 'PullRequestChecksCompleted']);
      expect(events[1]?.payload).toMatchObject({ verdict: 'passed', sourceSha: HEAD, checks: [{ name: 'build', state: 'succeeded' }] });
    });

    it('given the required check has not reported, when approved, then no verdict is announced yet', () => {
      expect(when(given(opened), 'ReviewPullRequest', { pullRequestId: id, decision: 'approve' }, { actor: alice, headSha: HEAD, policy }).map((e) => e.type)).toEqual(['PullRequestReviewed']);
    });
  });

  describe('SetPullRequestCheck', () => {
    it('given a pending required check, when it succeeds without approvals, then the verdict failed is announced; a pending check announces nothing', () => {
      const pending = when(given(opened), 'SetPullRequestCheck', { pullRequestId: id, name: 'build', state: 'pending' }, { actor: author, headSha: HEAD, policy });
      expect(pending.map((e) => e.type)).toEqual(['PullRequestCheckSet']);
      const done = when(given(opened, ...pending), 'SetPullRequestCheck', { pullRequestId: id, name: 'build', state: 'succeeded' }, { actor: author, headSha: HEAD, policy });
      expect(done.map((e) => e.type)).toEqual(['PullRequestCheckSet', 'PullRequestChecksCompleted']);
      expect(done[1]?.payload).toMatchObject({ verdict: 'failed', rules: expect.arrayContaining([expect.objectContaining({ rule: 'minimum-approvals', passed: false })]) });
    });

    it('given a verdict was announced, when the same result is reported again, then it is not announced twice; a change is', () => {
      const first = when(given(opened), 'SetPullRequestCheck', { pullRequestId: id, name: 'build', state: 'failed' }, { actor: author, headSha: HEAD, policy: { ...policy, minimumApprovals: 0 } });
      const state = given(opened, ...first);
      expect(state.lastCompleted).toMatchObject({ verdict: 'failed', sourceSha: HEAD });
      const again = when(state, 'SetPullRequestCheck', { pullRequestId: id, name: 'build', state: 'failed', description: 'still red' }, { actor: author, headSha: HEAD, policy: { ...policy, minimumApprovals: 0 } });
      expect(again.map((e) => e.type)).toEqual(['PullRequestCheckSet']);
      const fixed = when(given(opened, ...first, ...again), 'SetPullRequestCheck', { pullRequestId: id, name: 'build', state: 'succeeded' }, { actor: author, headSha: HEAD, policy: { ...policy, minimumApprovals: 0 } });
      expect(fixed[1]?.payload).toMatchObject({ verdict: 'passed' });
    });

    it('given no sourceSha, when a check is set, then it applies to the live head; an explicit older sha does not settle the head', () => {
      expect(when(given(opened), 'SetPullRequestCheck', { pullRequestId: id, name: 'build', state: 'succeeded' }, { actor: author, headSha: NEXT, policy })[0]?.payload).toMatchObject({ sourceSha: NEXT });
      const stale = when(given(opened), 'SetPullRequestCheck', { pullRequestId: id, name: 'build', state: 'succeeded', sourceSha: HEAD }, { actor: author, headSha: NEXT, policy });
      expect(stale.map((e) => e.type)).toEqual(['PullRequestCheckSet']);
    });
  });

  describe('MergePullRequest', () => {
    const mergeContext = { actor: alice, headSha: HEAD, policy, mergeSha: MERGE, sourceBranchDeleted: true };

    it('given the policy passes, when merged, then PullRequestMerged records the merge commit and the strategy', () => {
      const events = when(given(opened, checkSet('succeeded'), approved()), 'MergePullRequest', { pullRequestId: id, strategy: 'squash' }, mergeContext);
      expect(events).toEqual([merged]);
      expect(given(opened, ...events)).toMatchObject({ status: 'merged', merge: { mergeSha: MERGE, strategy: 'squash', sourceBranchDeleted: true } });
    });

    it('given a failing check and no approval, when merged, then policy-failed lists exactly the failing rules', () => {
      const error = thrown(() => when(given(opened, checkSet('failed')), 'MergePullRequest', { pullRequestId: id, strategy: 'merge' }, mergeContext));
      expect(error).toBeInstanceOf(IllegalStateError);
      expect(error).toMatchObject({ code: 'pull-request.policy-failed', message: expect.stringMatching(/required-check.*minimum-approvals/) });
      expect((error as IllegalStateError).details?.['rules']).toEqual([
        { subject: 'required-check', message: `check "build" is failed on ${HEAD.slice(0, 12)}` },
        { subject: 'minimum-approvals', message: '0 of 1 required approval(s)' },
      ]);
    });

    it('given a disallowed strategy, when merged, then the merge-strategy rule refuses it', () => {
      const error = thrown(() => when(given(opened, checkSet('succeeded'), approved()), 'MergePullRequest', { pullRequestId: id, strategy: 'fast-forward' }, mergeContext));
      expect((error as IllegalStateError).details?.['rules']).toEqual([{ subject: 'merge-strategy', message: 'fast-forward is not allowed on main (allowed: merge, squash)' }]);
    });

    it('given an approval of the previous head and resetApprovalsOnPush, when merged on the new head, then the approval no longer counts', () => {
      const state = given(opened, approved(HEAD), checkSet('succeeded', NEXT));
      const reset = { ...mergeContext, headSha: NEXT, policy: { ...policy, resetApprovalsOnPush: true } };
      expect(thrown(() => when(state, 'MergePullRequest', { pullRequestId: id, strategy: 'squash' }, reset))).toMatchObject({ code: 'pull-request.policy-failed' });
      expect(when(state, 'MergePullRequest', { pullRequestId: id, strategy: 'squash' }, { ...reset, policy })[0]?.type).toBe('PullRequestMerged');
    });

    it('given git already holds the merge (recovered), when merged, then it is recorded without evaluating the policy again', () => {
      const events = when(given(opened), 'MergePullRequest', { pullRequestId: id, strategy: 'squash' }, { ...mergeContext, recovered: true });
      expect(events).toEqual([merged]);
      expect(() => when(given(opened, closed), 'MergePullRequest', { pullRequestId: id, strategy: 'squash' }, { ...mergeContext, recovered: true })).toThrow(expect.objectContaining({ code: 'pull-request.not-open' }));
    });

    it('given the source moved, when merged with expectedSourceSha, then source-moved', () => {
      expect(() => assertMergeable(given(opened), { pullRequestId: id, strategy: 'merge', expectedSourceSha: NEXT }, { headSha: HEAD, policy: undefined })).toThrow(
        expect.objectContaining({ code: 'pull-request.source-moved' }),
      );
    });
  });

  describe('ClosePullRequest', () => {
    it('given an open pull request, when closed, then PullRequestClosed with the reason', () => {
      expect(when(given(opened), 'ClosePullRequest', { pullRequestId: id, reason: 'superseded' }, { actor: author })).toEqual([{ type: 'PullRequestClosed', payload: { pullRequestId: id, repositoryId: 'repo-1', reason: 'superseded' } }]);
    });
  });

  describe('illegal transitions', () => {
    const attempts: Array<[string, (state: PullRequestState) => unknown]> = [
      ['comment', (s) => when(s, 'CommentOnPullRequest', { pullRequestId: id, body: 'x' }, { actor: alice, commentId: 'c' })],
      ['review', (s) => when(s, 'ReviewPullRequest', { pullRequestId: id, decision: 'approve' }, { actor: alice, headSha: HEAD, policy })],
      ['check', (s) => when(s, 'SetPullRequestCheck', { pullRequestId: id, name: 'build', state: 'succeeded' }, { actor: alice, headSha: HEAD, policy })],
      ['merge', (s) => when(s, 'MergePullRequest', { pullRequestId: id, strategy: 'merge' }, { actor: alice, headSha: HEAD, policy: undefined, mergeSha: MERGE, sourceBranchDeleted: false })],
      ['close', (s) => when(s, 'ClosePullRequest', { pullRequestId: id }, { actor: alice })],
    ];
    it.each(['merged', 'closed'] as const)('given a %s pull request, when anything but opening is attempted, then pull-request.not-open', (status) => {
      const state = given(opened, status === 'merged' ? merged : closed);
      for (const [, attempt] of attempts) {
        const error = thrown(() => attempt(state));
        expect(error).toBeInstanceOf(IllegalStateError);
        expect(error).toMatchObject({ code: 'pull-request.not-open' });
      }
    });

    it('given an open pull request, when opened again, then it is refused', () => {
      expect(() => when(given(opened), 'OpenPullRequest', { repositoryId: 'r', sourceBranch: 'a', targetBranch: 'b', title: 't' }, { actor: author, pullRequestId: id, number: 1, sourceSha: HEAD, targetSha: TARGET })).toThrow(IllegalStateError);
    });
  });
});
