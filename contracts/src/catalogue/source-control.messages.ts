import { Type } from '@sinclair/typebox';
import { Actor } from '../envelope';
import { command, event } from '../message';
import {
  BranchName,
  BranchPolicy,
  CheckName,
  CheckState,
  Comment,
  CommitAuthor,
  EntityId,
  Failure,
  FileChange,
  InitialFile,
  MergeStrategy,
  RepoPath,
  RepositoryName,
  Sha,
  StrictObject,
  StringEnum,
  StringMap,
  Text,
  Title,
} from './shared.schemas';

// Repository, branch, commit and pull-request services (DESIGN §2, issue 3). Every command is reachable over
// the bus and over REST through one handler; a rejected command answers with a failure event so that a bus
// client learns why without reading the dead-letter stream.
const context = 'source-control';
const repositoryId = EntityId;
const pullRequestId = EntityId;
const Trailers = StringMap('^[A-Z][A-Za-z0-9-]{0,62}$', Type.String({ maxLength: 500 }), {
  maxProperties: 20,
  description: 'extra git trailers, e.g. {"Release-Id": "…"}; Trace-Id and Artifact-Id are added by the service',
});
const CheckSnapshot = StrictObject({ name: CheckName, state: CheckState, description: Type.Optional(Type.String({ maxLength: 1000 })) });
const RuleResult = StrictObject({
  rule: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'e.g. minimum-approvals, required-check, reviewer-not-author' }),
  passed: Type.Boolean(),
  message: Type.String({ maxLength: 1000 }),
});
const PullRequestCommand = StringEnum([
  'OpenPullRequest',
  'CommentOnPullRequest',
  'ReviewPullRequest',
  'SetPullRequestCheck',
  'MergePullRequest',
  'ClosePullRequest',
]);

export const sourceControlMessages = [
  // --- repository
  command('ProvisionRepository', {
    service: 'repository',
    summary: 'Create a repository in the project; a redelivered command yields the same repository.',
    payload: StrictObject({
      name: RepositoryName,
      defaultBranch: Type.Optional(BranchName),
      description: Type.Optional(Type.String({ maxLength: 1000 })),
      purpose: Type.Optional(StringEnum(['application', 'gitops', 'infrastructure'], { description: 'defaults to application' })),
      initialFiles: Type.Optional(Type.Array(InitialFile, { maxItems: 500, description: 'committed as the first commit of the default branch' })),
    }),
  }),
  event('RepositoryProvisioned', {
    service: 'repository',
    context,
    summary: 'A repository exists and can be cloned.',
    payload: StrictObject({
      repositoryId,
      name: RepositoryName,
      defaultBranch: BranchName,
      purpose: StringEnum(['application', 'gitops', 'infrastructure']),
      provider: StringEnum(['local', 'azure-devops']),
      cloneUrl: Type.String({ maxLength: 2048 }),
      headSha: Type.Union([Sha, Type.Null()], { description: 'null for an empty repository' }),
    }),
  }),
  event('RepositoryProvisioningFailed', {
    service: 'repository',
    context,
    summary: 'A repository could not be provisioned (name taken, provider failure).',
    payload: StrictObject({ name: RepositoryName, error: Failure }),
  }),

  // --- branch
  command('CreateBranch', {
    service: 'branch',
    summary: 'Create a branch from another branch or from a commit.',
    payload: StrictObject({
      repositoryId,
      name: BranchName,
      from: Type.Union([StrictObject({ branch: BranchName }), StrictObject({ sha: Sha })], { description: 'the starting point' }),
    }),
  }),
  event('BranchCreated', {
    service: 'branch',
    context,
    summary: 'A branch now points at a commit.',
    payload: StrictObject({ repositoryId, name: BranchName, sha: Sha, fromBranch: Type.Union([BranchName, Type.Null()]) }),
  }),
  command('DeleteBranch', {
    service: 'branch',
    summary: 'Delete a branch (refused for protected branches).',
    payload: StrictObject({ repositoryId, name: BranchName, expectedSha: Type.Optional(Sha) }),
  }),
  event('BranchDeleted', {
    service: 'branch',
    context,
    summary: 'A branch was deleted.',
    payload: StrictObject({ repositoryId, name: BranchName, lastSha: Sha }),
  }),
  command('SetBranchPolicy', {
    service: 'branch',
    summary: 'Set the merge policy of a branch: protection, required checks, approvals, merge strategies.',
    payload: StrictObject({ repositoryId, branch: BranchName, policy: BranchPolicy }),
  }),
  event('BranchPolicySet', {
    service: 'branch',
    context,
    summary: 'The merge policy of a branch changed.',
    payload: StrictObject({ repositoryId, branch: BranchName, policy: BranchPolicy, version: Type.Integer({ minimum: 1 }) }),
  }),
  event('BranchCommandRejected', {
    service: 'branch',
    context,
    summary: 'A branch command was refused (exists, missing, protected, git failure).',
    payload: StrictObject({
      repositoryId,
      branch: BranchName,
      command: StringEnum(['CreateBranch', 'DeleteBranch', 'SetBranchPolicy']),
      error: Failure,
    }),
  }),

  // --- commit
  command('CreateCommit', {
    service: 'commit',
    summary: 'Commit file changes to a branch of a repository.',
    payload: StrictObject({
      repositoryId,
      branch: BranchName,
      message: Type.String({ minLength: 1, maxLength: 10_000 }),
      changes: Type.Optional(Type.Array(FileChange, { maxItems: 1000, description: 'the service may apply a lower limit; absent means an empty commit' })),
      author: Type.Optional(CommitAuthor),
      expectedParentSha: Type.Optional(Type.Union([Sha, Type.Null()], { description: 'compare-and-swap: the branch head must be this (null: branch must not exist)' })),
      idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the same key on the same repository yields the same commit' })),
      artifactId: Type.Optional(EntityId),
      trailers: Type.Optional(Trailers),
      createBranch: Type.Optional(Type.Boolean({ description: 'create the branch from the default branch when missing' })),
    }),
  }),
  command('RevertCommit', {
    service: 'commit',
    summary: 'Revert a commit on a branch (how desired state in Git is rolled back).',
    payload: StrictObject({
      repositoryId,
      branch: BranchName,
      sha: Sha,
      message: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
      expectedParentSha: Type.Optional(Sha),
      idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      trailers: Type.Optional(Trailers),
    }),
  }),
  event('CommitCreated', {
    service: 'commit',
    context,
    summary: 'A commit was written to a branch.',
    payload: StrictObject({
      repositoryId,
      branch: BranchName,
      sha: Sha,
      parentSha: Type.Optional(Type.Union([Sha, Type.Null()], { description: 'null for the first commit' })),
      message: Type.Optional(Type.String({ maxLength: 10_000 })),
      author: Type.Optional(CommitAuthor),
      files: Type.Optional(
        Type.Array(StrictObject({ path: RepoPath, action: StringEnum(['add', 'update', 'delete']) }), { maxItems: 1000, description: 'what the commit changed' }),
      ),
      idempotencyKey: Type.Optional(Type.String({ maxLength: 200 })),
      artifactId: Type.Optional(EntityId),
      revertOf: Type.Optional(Sha),
      trailers: Type.Optional(Trailers),
      duplicate: Type.Optional(Type.Boolean({ description: 'true when the idempotency key matched an earlier commit' })),
    }),
  }),
  event('CommitFailed', {
    service: 'commit',
    context,
    summary: 'A commit was refused or failed (conflict, rejected path, limits, git failure).',
    payload: StrictObject({
      repositoryId,
      branch: BranchName,
      idempotencyKey: Type.Optional(Type.String({ maxLength: 200 })),
      error: Failure,
    }),
  }),

  // --- pull request
  command('OpenPullRequest', {
    service: 'pull-request',
    summary: 'Open a pull request from a source branch into a target branch.',
    payload: StrictObject({
      repositoryId,
      sourceBranch: BranchName,
      targetBranch: BranchName,
      title: Title,
      description: Type.Optional(Text),
      deleteSourceBranchOnMerge: Type.Optional(Type.Boolean()),
      labels: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,49}$' }), { maxItems: 20, uniqueItems: true })),
    }),
  }),
  event('PullRequestOpened', {
    service: 'pull-request',
    context,
    summary: 'A pull request is open.',
    payload: StrictObject({
      pullRequestId,
      repositoryId,
      number: Type.Integer({ minimum: 1, description: 'per repository, for people' }),
      sourceBranch: BranchName,
      targetBranch: BranchName,
      sourceSha: Sha,
      targetSha: Sha,
      title: Title,
      description: Type.Optional(Text),
      labels: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 })),
      author: Actor,
      deleteSourceBranchOnMerge: Type.Boolean(),
    }),
  }),
  command('CommentOnPullRequest', {
    service: 'pull-request',
    summary: 'Comment on a pull request (plans, costs, check results are posted this way).',
    payload: StrictObject({
      pullRequestId,
      body: Type.String({ minLength: 1, maxLength: 65_536, description: 'markdown' }),
      key: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9./-]{0,99}$', description: 'replaces the earlier comment with the same key (e.g. iac-plan/stage1)' })),
      path: Type.Optional(RepoPath),
      line: Type.Optional(Type.Integer({ minimum: 1 })),
    }),
  }),
  event('PullRequestCommented', {
    service: 'pull-request',
    context,
    summary: 'A comment was added to (or replaced on) a pull request.',
    payload: StrictObject({
      pullRequestId,
      commentId: EntityId,
      author: Actor,
      body: Type.String({ maxLength: 65_536 }),
      key: Type.Optional(Type.String({ maxLength: 100 })),
      path: Type.Optional(RepoPath),
      line: Type.Optional(Type.Integer({ minimum: 1 })),
      replaced: Type.Boolean(),
    }),
  }),
  command('ReviewPullRequest', {
    service: 'pull-request',
    summary: 'Approve or request changes; the reviewer (the envelope actor) must not be the author.',
    payload: StrictObject({ pullRequestId, decision: StringEnum(['approve', 'request-changes']), comment: Type.Optional(Comment) }),
  }),
  event('PullRequestReviewed', {
    service: 'pull-request',
    context,
    summary: 'A reviewer decided on the current head of a pull request.',
    payload: StrictObject({ pullRequestId, reviewer: Actor, decision: StringEnum(['approve', 'request-changes']), sourceSha: Sha, comment: Type.Optional(Comment) }),
  }),
  command('SetPullRequestCheck', {
    service: 'pull-request',
    summary: 'Set a named status check on a pull request (pipelines, IaC plans and policy bots report this way).',
    payload: StrictObject({
      pullRequestId,
      name: CheckName,
      state: CheckState,
      sourceSha: Type.Optional(Sha),
      description: Type.Optional(Type.String({ maxLength: 1000 })),
      targetUrl: Type.Optional(Type.String({ format: 'uri', maxLength: 2048 })),
    }),
  }),
  event('PullRequestCheckSet', {
    service: 'pull-request',
    context,
    summary: 'A status check of a pull request changed state.',
    payload: StrictObject({ pullRequestId, name: CheckName, state: CheckState, sourceSha: Sha, description: Type.Optional(Type.String({ maxLength: 1000 })) }),
  }),
  event('PullRequestChecksCompleted', {
    service: 'pull-request',
    context,
    summary: 'The merge policy was evaluated against the current head: every rule with its verdict.',
    payload: StrictObject({
      pullRequestId,
      sourceSha: Sha,
      verdict: StringEnum(['passed', 'failed']),
      checks: Type.Array(CheckSnapshot, { maxItems: 100 }),
      rules: Type.Array(RuleResult, { maxItems: 100 }),
    }),
  }),
  command('MergePullRequest', {
    service: 'pull-request',
    summary: 'Merge when the policy passes; otherwise the rejection lists the failing rules.',
    payload: StrictObject({
      pullRequestId,
      strategy: MergeStrategy,
      message: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
      deleteSourceBranch: Type.Optional(Type.Boolean()),
      expectedSourceSha: Type.Optional(Sha),
    }),
  }),
  event('PullRequestMerged', {
    service: 'pull-request',
    context,
    summary: 'A pull request was merged into its target branch.',
    payload: StrictObject({
      pullRequestId,
      repositoryId,
      sourceBranch: BranchName,
      targetBranch: BranchName,
      sourceSha: Sha,
      mergeSha: Sha,
      strategy: MergeStrategy,
      sourceBranchDeleted: Type.Boolean(),
    }),
  }),
  command('ClosePullRequest', {
    service: 'pull-request',
    summary: 'Close a pull request without merging.',
    payload: StrictObject({ pullRequestId, reason: Type.Optional(Comment) }),
  }),
  event('PullRequestClosed', {
    service: 'pull-request',
    context,
    summary: 'A pull request was closed without merging.',
    payload: StrictObject({ pullRequestId, repositoryId, reason: Type.Optional(Comment) }),
  }),
  event('PullRequestCommandRejected', {
    service: 'pull-request',
    context,
    summary: 'A pull-request command was refused; a blocked merge lists the failing rules in error.details.',
    payload: StrictObject({ pullRequestId: Type.Union([pullRequestId, Type.Null()]), repositoryId: Type.Optional(repositoryId), command: PullRequestCommand, error: Failure }),
  }),
] as const;
