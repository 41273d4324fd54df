import type { Actor } from '@delivery/contracts';
import { DEFAULT_POLICY, evaluate, failingRules, requiredChecksSettled, type BranchPolicy } from './merge-policy';
import { evolve, initialState, type PullRequestEvent, type PullRequestState } from './pull-request.decider';

const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const author: Actor = { kind: 'agent', id: 'agent-7' };
const alice: Actor = { kind: 'user', id: 'alice' };
const bob: Actor = { kind: 'agent', id: 'reviewer-bot' };
const id = '0192f3a4-5b6c-7d8e-9f01-23456789abcd';

const policy = (overrides: Partial<BranchPolicy> = {}): BranchPolicy => ({
  protected: true,
  requiredChecks: ['build'],
  minimumApprovals: 1,
  reviewerNotAuthor: true,
  allowedMergeStrategies: ['squash'],
  ...overrides,
});

function given(...events: PullRequestEvent[]): PullRequestState {
  const opened: PullRequestEvent = {
    type: 'PullRequestOpened',
    payload: { pullRequestId: id, repositoryId: 'repo-1', number: 1, sourceBranch: 'feature', targetBranch: 'main', sourceSha: OLD, targetSha: 'c'.repeat(40), title: 't', author, deleteSourceBranchOnMerge: false },
  };
  return [opened, ...events].reduce(evolve, initialState);
}
const check = (name: string, state: 'pending' | 'succeeded' | 'failed' | 'error' | 'skipped', sourceSha = HEAD): PullRequestEvent => ({ type: 'PullRequestCheckSet', payload: { pullRequestId: id, name, state, sourceSha } });
const review = (reviewer: Actor, decision: 'approve' | 'request-changes', sourceSha = HEAD): PullRequestEvent => ({ type: 'PullRequestReviewed', payload: { pullRequestId: id, reviewer, decision, sourceSha } });
const rule = (outcome: ReturnType<typeof evaluate>, name: string) => outcome.rules.filter((r) => r.rule === name);

describe('merge policy', () => {
  it('given a passing check on the head and an approval, when evaluated, then every rule passes', () => {
    const outcome = evaluate(policy(), given(check('build', 'succeeded'), review(alice, 'approve')), HEAD, 'squash');
    expect(outcome.verdict).toBe('passed');
    expect(outcome.rules.map((r) => r.rule)).toEqual(['open', 'required-check', 'minimum-approvals', 'no-changes-requested', 'merge-strategy']);
    expect(outcome.checks).toEqual([{ name: 'build', state: 'succeeded' }]);
  });

  describe('required-check', () => {
    it('given one entry per required check, when a check is missing, failed or pending, then that entry fails', () => {
      const state = given(check('build', 'succeeded'), check('lint', 'failed'), check('test', 'pending'));
      const outcome = evaluate(policy({ requiredChecks: ['build', 'lint', 'test', 'e2e'], minimumApprovals: 0 }), state, HEAD);
      expect(rule(outcome, 'required-check').map((r) => r.passed)).toEqual([true, false, false, false]);
      expect(rule(outcome, 'required-check')[3]?.message).toMatch(/"e2e" has not reported/);
      expect(outcome.verdict).toBe('failed');
    });

    it('given a skipped required check, when evaluated, then it counts as passing', () => {
      expect(rule(evaluate(policy({ minimumApprovals: 0 }), given(check('build', 'skipped')), HEAD), 'required-check')[0]?.passed).toBe(true);
    });

    it('given a check that succeeded on an earlier head, when evaluated on the new head, then it is ignored', () => {
      const outcome = evaluate(policy({ minimumApprovals: 0 }), given(check('build', 'succeeded', OLD)), HEAD);
      expect(rule(outcome, 'required-check')[0]).toMatchObject({ passed: false });
      expect(outcome.checks).toEqual([]);
    });

    it('given required checks settle, when one is still pending or missing, then they are not settled', () => {
      expect(requiredChecksSettled(policy(), given(check('build', 'pending')), HEAD)).toBe(false);
      expect(requiredChecksSettled(policy(), given(), HEAD)).toBe(false);
      expect(requiredChecksSettled(policy(), given(check('build', 'failed')), HEAD)).toBe(true);
      expect(requiredChecksSettled(undefined, given(), HEAD)).toBe(true);
    });
  });

  describe('minimum-approvals', () => {
    it('given fewer approvals than required, when evaluated, then the rule fails and says how many', () => {
      const outcome = evaluate(policy({ minimumApprovals: 2 }), given(check('build', 'succeeded'), review(alice, 'approve')), HEAD);
      expect(rule(outcome, 'minimum-approvals')[0]).toEqual({ rule: 'minimum-approvals', passed: false, message: '1 of 2 required approval(s)' });
    });

    it("given the author's own approval, when reviewerNotAuthor, then it does not count; without it, it does", () => {
      const state = given(review(author, 'approve'));
      expect(rule(evaluate(policy(), state, HEAD), 'minimum-approvals')[0]).toMatchObject({ passed: false, message: expect.stringMatching(/author's own approval/) });
      expect(rule(evaluate(policy({ reviewerNotAuthor: false }), state, HEAD), 'minimum-approvals')[0]?.passed).toBe(true);
    });

    it('given an approval of an earlier head, when resetApprovalsOnPush, then it no longer counts; otherwise it does', () => {
      const state = given(review(alice, 'approve', OLD));
      expect(rule(evaluate(policy({ resetApprovalsOnPush: true }), state, HEAD), 'minimum-approvals')[0]).toMatchObject({ passed: false, message: expect.stringMatching(/earlier head/) });
      expect(rule(evaluate(policy(), state, HEAD), 'minimum-approvals')[0]?.passed).toBe(true);
    });

    it("given a reviewer who approved then requested changes, when evaluated, then only the latest review counts", () => {
      const outcome = evaluate(policy(), given(review(alice, 'approve'), review(alice, 'request-changes')), HEAD);
      expect(rule(outcome, 'minimum-approvals')[0]?.passed).toBe(false);
      expect(rule(outcome, 'no-changes-requested')[0]).toMatchObject({ passed: false, message: 'changes requested by user:alice' });
    });
  });

  describe('no-changes-requested', () => {
    it('given a reviewer requesting changes, when another approves, then the merge is still blocked until that reviewer approves', () => {
      const blocked = given(check('build', 'succeeded'), review(bob, 'request-changes'), review(alice, 'approve'));
      expect(failingRules(evaluate(policy(), blocked, HEAD)).map((r) => r.rule)).toEqual(['no-changes-requested']);
      expect(evaluate(policy(), evolve(blocked, review(bob, 'approve')), HEAD).verdict).toBe('passed');
    });
  });

  describe('merge-strategy', () => {
    it('given a strategy, when it is not allowed on the target, then the rule fails naming the allowed ones', () => {
      const state = given(check('build', 'succeeded'), review(alice, 'approve'));
      expect(rule(evaluate(policy(), state, HEAD, 'merge'), 'merge-strategy')[0]).toEqual({ rule: 'merge-strategy', passed: false, message: 'merge is not allowed on main (allowed: squash)' });
      expect(rule(evaluate(policy(), state, HEAD), 'merge-strategy')).toEqual([]);
    });
  });

  describe('open', () => {
    it('given a closed pull request, when evaluated, then the open rule fails', () => {
      const state = given({ type: 'PullRequestClosed', payload: { pullRequestId: id, repositoryId: 'repo-1' } });
      expect(failingRules(evaluate(undefined, state, HEAD))).toEqual([{ rule: 'open', passed: false, message: 'the pull request is closed' }]);
    });
  });

  it('given no policy on the target branch, when evaluated, then the default asks for nothing but an open pull request', () => {
    expect(DEFAULT_POLICY).toEqual({ protected: false, requiredChecks: [], minimumApprovals: 0, reviewerNotAuthor: true, allowedMergeStrategies: ['merge', 'squash', 'fast-forward'] });
    const outcome = evaluate(undefined, given(), HEAD, 'fast-forward');
    expect(outcome.verdict).toBe('passed');
    expect(outcome.rules.map((r) => r.rule)).toEqual(['open', 'minimum-approvals', 'no-changes-requested', 'merge-strategy']);
  });
});
