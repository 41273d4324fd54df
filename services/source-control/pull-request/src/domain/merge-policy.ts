import type { PayloadOf, schemas } from '@delivery/contracts';
import type { PullRequestState } from './pull-request.decider';

// The merge policy of a pull request's target branch, evaluated against one head sha. Pure: the caller passes
// the policy it read and the head it resolved, so the same inputs always give the same verdict.
export type BranchPolicy = schemas.BranchPolicy;
export type MergeStrategy = BranchPolicy['allowedMergeStrategies'][number];
export type CheckState = PayloadOf<'PullRequestCheckSet'>['state'];
export type RuleResult = PayloadOf<'PullRequestChecksCompleted'>['rules'][number];
export type CheckSnapshot = PayloadOf<'PullRequestChecksCompleted'>['checks'][number];
export type Verdict = PayloadOf<'PullRequestChecksCompleted'>['verdict'];

export interface PolicyOutcome {
  verdict: Verdict;
  rules: RuleResult[];
  /** the checks reported on the evaluated head */
  checks: CheckSnapshot[];
}

/** What a target branch without a policy of its own gets: anything goes but approving your own change. */
export const DEFAULT_POLICY: BranchPolicy = {
  protected: false,
  requiredChecks: [],
  minimumApprovals: 0,
  reviewerNotAuthor: true,
  allowedMergeStrategies: ['merge', 'squash', 'fast-forward'],
};

const PASSING_CHECK: ReadonlySet<CheckState> = new Set(['succeeded', 'skipped']);

export function evaluate(policy: BranchPolicy | undefined, state: PullRequestState, headSha: string, strategy?: MergeStrategy): PolicyOutcome {
  const effective = policy ?? DEFAULT_POLICY;
  const checks = checksOn(state, headSha);
  const rules: RuleResult[] = [
    openRule(state),
    ...effective.requiredChecks.map((name) => requiredCheckRule(name, checks, headSha)),
    approvalsRule(effective, state, headSha),
    changesRequestedRule(state),
    ...(strategy === undefined ? [] : [strategyRule(effective, state, strategy)]),
  ];
  return { verdict: rules.every((rule) => rule.passed) ? 'passed' : 'failed', rules, checks };
}

/** Every required check reported a final state (anything but pending) on the head: the verdict can be announced. */
export function requiredChecksSettled(policy: BranchPolicy | undefined, state: PullRequestState, headSha: string): boolean {
  const checks = checksOn(state, headSha);
  return (policy ?? DEFAULT_POLICY).requiredChecks.every((name) => {
    const check = checks.find((c) => c.name === name);
    return check !== undefined && check.state !== 'pending';
  });
}

export function failingRules(outcome: PolicyOutcome): RuleResult[] {
  return outcome.rules.filter((rule) => !rule.passed);
}

/** Identifies an announced verdict: the same head, verdict and rule results are not announced twice. */
export function signatureOf(sourceSha: string, verdict: Verdict, rules: readonly RuleResult[]): string {
  return JSON.stringify([sourceSha, verdict, rules.map((r) => [r.rule, r.passed, r.message])]);
}

export function shortSha(sha: string): string {
  return sha.slice(0, 12);
}

function checksOn(state: PullRequestState, headSha: string): CheckSnapshot[] {
  return state.checks
    .filter((check) => check.sourceSha === headSha)
    .map((check) => ({ name: check.name, state: check.state, ...(check.description === undefined ? {} : { description: check.description }) }));
}

function openRule(state: PullRequestState): RuleResult {
  return { rule: 'open', passed: state.status === 'open', message: state.status === 'open' ? 'the pull request is open' : `the pull request is ${state.status}` };
}

function requiredCheckRule(name: string, checks: CheckSnapshot[], headSha: string): RuleResult {
  const check = checks.find((c) => c.name === name);
  // a check reported on an earlier head says nothing about this one
  if (!check) return { rule: 'required-check', passed: false, message: `check "${name}" has not reported on ${shortSha(headSha)}` };
  const passed = PASSING_CHECK.has(check.state);
  return { rule: 'required-check', passed, message: `check "${name}" ${passed ? check.state : `is ${check.state}`} on ${shortSha(headSha)}` };
}

function approvalsRule(policy: BranchPolicy, state: PullRequestState, headSha: string): RuleResult {
  const approvals = state.reviews.filter((review) => review.decision === 'approve');
  const byAuthor = approvals.filter((review) => sameActor(review.reviewer, state.author));
  const counted = approvals.filter((review) => !(policy.reviewerNotAuthor && sameActor(review.reviewer, state.author)));
  const current = policy.resetApprovalsOnPush ? counted.filter((review) => review.sourceSha === headSha) : counted;
  const notes: string[] = [];
  if (policy.reviewerNotAuthor && byAuthor.length > 0) notes.push("the author's own approval does not count");
  if (current.length < counted.length) notes.push(`${counted.length - current.length} approval(s) of an earlier head no longer count`);
  const passed = current.length >= policy.minimumApprovals;
  const message = `${current.length} of ${policy.minimumApprovals} required approval(s)${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  return { rule: 'minimum-approvals', passed, message };
}

function changesRequestedRule(state: PullRequestState): RuleResult {
  const blocking = state.reviews.filter((review) => review.decision === 'request-changes');
  if (blocking.length === 0) return { rule: 'no-changes-requested', passed: true, message: 'no reviewer requests changes' };
  return { rule: 'no-changes-requested', passed: false, message: `changes requested by ${blocking.map((r) => `${r.reviewer.kind}:${r.reviewer.id}`).join(', ')}` };
}

function strategyRule(policy: BranchPolicy, state: PullRequestState, strategy: MergeStrategy): RuleResult {
  const passed = policy.allowedMergeStrategies.includes(strategy);
  const message = passed ? `${strategy} is allowed on ${state.targetBranch}` : `${strategy} is not allowed on ${state.targetBranch} (allowed: ${policy.allowedMergeStrategies.join(', ')})`;
  return { rule: 'merge-strategy', passed, message };
}

export function sameActor(a: { kind: string; id: string }, b: { kind: string; id: string }): boolean {
  return a.kind === b.kind && a.id === b.id;
}
