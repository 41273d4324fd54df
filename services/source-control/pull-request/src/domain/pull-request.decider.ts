import type { Actor, PayloadOf } from '@delivery/contracts';
import { ForbiddenError, IllegalStateError, ValidationError } from '@delivery/messaging';
import { evaluate, failingRules, requiredChecksSettled, sameActor, shortSha, signatureOf, type BranchPolicy, type CheckState, type MergeStrategy, type Verdict } from './merge-policy';

// The pull-request aggregate as a decider (DESIGN §4): decide(command, state, context) → events and
// evolve(state, event) → state, both pure. Whatever comes from outside (the live heads, the branch policy,
// new ids, the merge commit) arrives in the context, so the handler does the I/O and this file the rules.

export type PullRequestStatus = 'none' | 'open' | 'merged' | 'closed';

export interface PullRequestComment {
  commentId: string;
  author: Actor;
  body: string;
  key?: string;
  /** a comment on a line of a file */
  path?: string;
  line?: number;
}

export interface PullRequestReview {
  reviewer: Actor;
  decision: 'approve' | 'request-changes';
  /** the head the reviewer saw */
  sourceSha: string;
  comment?: string;
}

export interface PullRequestCheck {
  name: string;
  state: CheckState;
  sourceSha: string;
  description?: string;
}

export interface PullRequestState {
  status: PullRequestStatus;
  pullRequestId: string;
  repositoryId: string;
  number: number;
  sourceBranch: string;
  targetBranch: string;
  /** the latest source head this aggregate has seen (at open, on a review, a verdict or the merge) */
  sourceSha: string;
  /** the target head when the pull request was opened */
  targetSha: string;
  author: Actor;
  title: string;
  deleteSourceBranchOnMerge: boolean;
  comments: PullRequestComment[];
  /** the latest review of each reviewer */
  reviews: PullRequestReview[];
  /** the latest state of each check on each source sha */
  checks: PullRequestCheck[];
  /** the last PullRequestChecksCompleted, so the same verdict is not announced twice */
  lastCompleted?: { sourceSha: string; verdict: Verdict; signature: string };
  merge?: { mergeSha: string; strategy: MergeStrategy; sourceBranchDeleted: boolean };
  closeReason?: string;
}

export const initialState: PullRequestState = {
  status: 'none',
  pullRequestId: '',
  repositoryId: '',
  number: 0,
  sourceBranch: '',
  targetBranch: '',
  sourceSha: '',
  targetSha: '',
  author: { kind: 'service', id: 'none' },
  title: '',
  deleteSourceBranchOnMerge: false,
  comments: [],
  reviews: [],
  checks: [],
};

type EventOf<T extends PullRequestEventType> = { type: T; payload: PayloadOf<T> };
export type PullRequestEventType =
  | 'PullRequestOpened'
  | 'PullRequestCommented'
  | 'PullRequestReviewed'
  | 'PullRequestCheckSet'
  | 'PullRequestChecksCompleted'
  | 'PullRequestMerged'
  | 'PullRequestClosed';
export type PullRequestEvent = { [T in PullRequestEventType]: EventOf<T> }[PullRequestEventType];
export const PULL_REQUEST_EVENT_TYPES: ReadonlySet<string> = new Set<PullRequestEventType>([
  'PullRequestOpened',
  'PullRequestCommented',
  'PullRequestReviewed',
  'PullRequestCheckSet',
  'PullRequestChecksCompleted',
  'PullRequestMerged',
  'PullRequestClosed',
]);

export type PullRequestCommandType = 'OpenPullRequest' | 'CommentOnPullRequest' | 'ReviewPullRequest' | 'SetPullRequestCheck' | 'MergePullRequest' | 'ClosePullRequest';
export type PullRequestCommand<T extends PullRequestCommandType = PullRequestCommandType> = { type: T; payload: PayloadOf<T> };

/** What each command needs from outside the aggregate. `headSha` is the source branch head resolved just now. */
export interface DecideContexts {
  OpenPullRequest: { actor: Actor; pullRequestId: string; number: number; sourceSha: string; targetSha: string };
  CommentOnPullRequest: { actor: Actor; commentId: string };
  ReviewPullRequest: { actor: Actor; headSha: string; policy: BranchPolicy | undefined };
  SetPullRequestCheck: { actor: Actor; headSha: string; policy: BranchPolicy | undefined };
  /** recovered: git already holds this pull request's merge (an earlier attempt's record was lost), so record it as is */
  MergePullRequest: { actor: Actor; headSha: string; policy: BranchPolicy | undefined; mergeSha: string; sourceBranchDeleted: boolean; recovered?: boolean };
  ClosePullRequest: { actor: Actor };
}

type Decide<T extends PullRequestCommandType> = (payload: PayloadOf<T>, state: PullRequestState, context: DecideContexts[T]) => PullRequestEvent[];

export function decide<T extends PullRequestCommandType>(command: PullRequestCommand<T>, state: PullRequestState, context: DecideContexts[T]): PullRequestEvent[] {
  return (DECIDERS[command.type] as Decide<T>)(command.payload, state, context);
}

/** Comment, review, check, merge and close need an open pull request. */
export function assertOpen(state: PullRequestState): void {
  if (state.status !== 'open') throw new IllegalStateError('pull-request.not-open', `pull request #${state.number} is ${state.status}`);
}

/** Everything a merge must satisfy before the git side effect; decide checks it again on the same inputs. */
export function assertMergeable(state: PullRequestState, payload: PayloadOf<'MergePullRequest'>, context: { headSha: string; policy: BranchPolicy | undefined }): void {
  assertOpen(state);
  if (payload.expectedSourceSha !== undefined && payload.expectedSourceSha !== context.headSha) {
    throw new IllegalStateError('pull-request.source-moved', `${state.sourceBranch} is at ${shortSha(context.headSha)}, not the expected ${shortSha(payload.expectedSourceSha)}`, {
      problems: [{ subject: state.sourceBranch, message: `expected ${payload.expectedSourceSha}, found ${context.headSha}` }],
    });
  }
  const failing = failingRules(evaluate(context.policy, state, context.headSha, payload.strategy));
  if (failing.length > 0) {
    throw new IllegalStateError('pull-request.policy-failed', `the merge policy of ${state.targetBranch} fails: ${failing.map((r) => `${r.rule}: ${r.message}`).join('; ')}`, {
      rules: failing.map((r) => ({ subject: r.rule, message: r.message })),
    });
  }
}

const DECIDERS: { [T in PullRequestCommandType]: Decide<T> } = {
  OpenPullRequest(payload, state, context) {
    if (state.status !== 'none') throw new IllegalStateError('pull-request.exists', `pull request ${state.pullRequestId} already exists`);
    if (payload.sourceBranch === payload.targetBranch) {
      throw new ValidationError('pull-request.same-branch', `source and target are both ${payload.sourceBranch}: a pull request needs two branches`);
    }
    return [
      {
        type: 'PullRequestOpened',
        payload: {
          pullRequestId: context.pullRequestId,
          repositoryId: payload.repositoryId,
          number: context.number,
          sourceBranch: payload.sourceBranch,
          targetBranch: payload.targetBranch,
          sourceSha: context.sourceSha,
          targetSha: context.targetSha,
          title: payload.title,
          ...(payload.description === undefined ? {} : { description: payload.description }),
          ...(payload.labels === undefined ? {} : { labels: payload.labels }),
          author: context.actor,
          deleteSourceBranchOnMerge: payload.deleteSourceBranchOnMerge ?? false,
        },
      },
    ];
  },

  CommentOnPullRequest(payload, state, context) {
    assertOpen(state);
    // a keyed comment (a plan, a cost report) is kept current rather than repeated
    const earlier = payload.key === undefined ? undefined : state.comments.find((c) => c.key === payload.key);
    return [
      {
        type: 'PullRequestCommented',
        payload: {
          pullRequestId: state.pullRequestId,
          commentId: earlier?.commentId ?? context.commentId,
          author: context.actor,
          body: payload.body,
          ...(payload.key === undefined ? {} : { key: payload.key }),
          ...(payload.path === undefined ? {} : { path: payload.path }),
          ...(payload.line === undefined ? {} : { line: payload.line }),
          replaced: earlier !== undefined,
        },
      },
    ];
  },

  ReviewPullRequest(payload, state, context) {
    assertOpen(state);
    if (sameActor(context.actor, state.author)) {
      throw new ForbiddenError('pull-request.reviewer-is-author', `${context.actor.kind} ${context.actor.id} opened pull request #${state.number} and cannot review it`);
    }
    const reviewed: PullRequestEvent = {
      type: 'PullRequestReviewed',
      payload: {
        pullRequestId: state.pullRequestId,
        reviewer: context.actor,
        decision: payload.decision,
        sourceSha: context.headSha,
        ...(payload.comment === undefined ? {} : { comment: payload.comment }),
      },
    };
    return withVerdict(state, [reviewed], context);
  },

  SetPullRequestCheck(payload, state, context) {
    assertOpen(state);
    const set: PullRequestEvent = {
      type: 'PullRequestCheckSet',
      payload: {
        pullRequestId: state.pullRequestId,
        name: payload.name,
        state: payload.state,
        sourceSha: payload.sourceSha ?? context.headSha,
        ...(payload.description === undefined ? {} : { description: payload.description }),
      },
    };
    return withVerdict(state, [set], context);
  },

  MergePullRequest(payload, state, context) {
    if (context.recovered) assertOpen(state);
    else assertMergeable(state, payload, context);
    return [
      {
        type: 'PullRequestMerged',
        payload: {
          pullRequestId: state.pullRequestId,
          repositoryId: state.repositoryId,
          sourceBranch: state.sourceBranch,
          targetBranch: state.targetBranch,
          sourceSha: context.headSha,
          mergeSha: context.mergeSha,
          strategy: payload.strategy,
          sourceBranchDeleted: context.sourceBranchDeleted,
        },
      },
    ];
  },

  ClosePullRequest(payload, state) {
    assertOpen(state);
    return [{ type: 'PullRequestClosed', payload: { pullRequestId: state.pullRequestId, repositoryId: state.repositoryId, ...(payload.reason === undefined ? {} : { reason: payload.reason }) } }];
  },
};

// After a review or a check: once every required check has settled on the head, announce the verdict, unless
// the very same verdict (head, outcome and rule results) was the last one announced.
function withVerdict(state: PullRequestState, events: PullRequestEvent[], context: { headSha: string; policy: BranchPolicy | undefined }): PullRequestEvent[] {
  const next = events.reduce(evolve, state);
  if (!requiredChecksSettled(context.policy, next, context.headSha)) return events;
  const outcome = evaluate(context.policy, next, context.headSha);
  if (signatureOf(context.headSha, outcome.verdict, outcome.rules) === state.lastCompleted?.signature) return events;
  return [
    ...events,
    { type: 'PullRequestChecksCompleted', payload: { pullRequestId: state.pullRequestId, sourceSha: context.headSha, verdict: outcome.verdict, checks: outcome.checks, rules: outcome.rules } },
  ];
}

export function evolve(state: PullRequestState, event: PullRequestEvent): PullRequestState {
  switch (event.type) {
    case 'PullRequestOpened': {
      const p = event.payload;
      return {
        ...initialState,
        status: 'open',
        pullRequestId: p.pullRequestId,
        repositoryId: p.repositoryId,
        number: p.number,
        sourceBranch: p.sourceBranch,
        targetBranch: p.targetBranch,
        sourceSha: p.sourceSha,
        targetSha: p.targetSha,
        author: p.author,
        title: p.title,
        deleteSourceBranchOnMerge: p.deleteSourceBranchOnMerge,
      };
    }
    case 'PullRequestCommented': {
      const { commentId, author, body, key, path, line } = event.payload;
      const comment: PullRequestComment = { commentId, author, body, ...(key === undefined ? {} : { key }), ...(path === undefined ? {} : { path, ...(line === undefined ? {} : { line }) }) };
      const others = state.comments.filter((c) => c.commentId !== commentId);
      return { ...state, comments: event.payload.replaced ? state.comments.map((c) => (c.commentId === commentId ? comment : c)) : [...others, comment] };
    }
    case 'PullRequestReviewed': {
      const { reviewer, decision, sourceSha, comment } = event.payload;
      const review: PullRequestReview = { reviewer, decision, sourceSha, ...(comment === undefined ? {} : { comment }) };
      return { ...state, sourceSha, reviews: [...state.reviews.filter((r) => !sameActor(r.reviewer, reviewer)), review] };
    }
    case 'PullRequestCheckSet': {
      const { name, state: checkState, sourceSha, description } = event.payload;
      const check: PullRequestCheck = { name, state: checkState, sourceSha, ...(description === undefined ? {} : { description }) };
      return { ...state, checks: [...state.checks.filter((c) => !(c.name === name && c.sourceSha === sourceSha)), check] };
    }
    case 'PullRequestChecksCompleted': {
      const { sourceSha, verdict, rules } = event.payload;
      return { ...state, sourceSha, lastCompleted: { sourceSha, verdict, signature: signatureOf(sourceSha, verdict, rules) } };
    }
    case 'PullRequestMerged': {
      const { sourceSha, mergeSha, strategy, sourceBranchDeleted } = event.payload;
      return { ...state, status: 'merged', sourceSha, merge: { mergeSha, strategy, sourceBranchDeleted } };
    }
    case 'PullRequestClosed':
      return { ...state, status: 'closed', ...(event.payload.reason === undefined ? {} : { closeReason: event.payload.reason }) };
  }
}
