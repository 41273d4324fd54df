// The PullRequestHost half of the Azure DevOps adapter: pull requests, threads, statuses, completion.
import {
  CommentThreadStatus,
  CommentType,
  PullRequestAsyncStatus,
  PullRequestStatus,
  type GitPullRequest,
} from 'azure-devops-node-api/interfaces/GitInterfaces';
import {
  GitConflictError,
  GitInvalidInputError,
  GitMergeConflictError,
  GitNotFoundError,
  type GitIdentity,
  type MergeStrategy,
  type PullRequestHost,
  type RepositoryLocator,
} from '../git-provider.port';
import type { AzureDevOpsContext } from './azure-devops-context';
import { refName, toMergeStrategy, toStatusState } from './azure-devops-mapping';

/** The genre every status this platform posts carries, so ADO branch policies can require `delivery-platform/<name>`. */
export const STATUS_GENRE = 'delivery-platform';

function prId(providerPullRequestId: string): number {
  const id = Number(providerPullRequestId);
  if (!Number.isInteger(id) || id <= 0) {
    throw new GitInvalidInputError('git.invalid_input', `not an Azure DevOps pull request id: ${providerPullRequestId}`);
  }
  return id;
}

export class AzureDevOpsPullRequests implements PullRequestHost {
  constructor(private readonly ctx: AzureDevOpsContext) {}

  async openPullRequest(
    repo: RepositoryLocator,
    input: { source: string; target: string; title: string; description: string; author: GitIdentity },
  ): Promise<{ providerPullRequestId: string; url: string }> {
    const body: GitPullRequest = {
      sourceRefName: refName(input.source),
      targetRefName: refName(input.target),
      title: input.title,
      description: input.description,
    };
    const pr = await this.ctx.call('createPullRequest', (api) => api.createPullRequest(body, this.ctx.repository(repo), this.ctx.project(repo)));
    if (!pr?.pullRequestId) throw new GitNotFoundError('git.not_found', `repository ${repo.name} not found`);
    const web = pr.repository?.webUrl;
    return { providerPullRequestId: String(pr.pullRequestId), url: web ? `${web}/pullrequest/${pr.pullRequestId}` : (pr.url ?? '') };
  }

  // Comments are posted as the token's identity (ADO has no "on behalf of"); the platform keeps the real author.
  async comment(
    repo: RepositoryLocator,
    providerPullRequestId: string,
    input: { body: string; author: GitIdentity; threadId?: string },
  ): Promise<{ threadId: string; commentId: string }> {
    const id = prId(providerPullRequestId);
    const repository = this.ctx.repository(repo);
    const project = this.ctx.project(repo);
    if (input.threadId) {
      const threadId = Number(input.threadId);
      const c = await this.ctx.call('createComment', (api) =>
        api.createComment({ parentCommentId: 1, content: input.body, commentType: CommentType.Text }, repository, id, threadId, project),
      );
      if (!c?.id) throw new GitNotFoundError('git.not_found', `thread ${input.threadId} of pull request ${id} not found`);
      return { threadId: input.threadId, commentId: String(c.id) };
    }
    const thread = await this.ctx.call('createThread', (api) =>
      api.createThread(
        { comments: [{ parentCommentId: 0, content: input.body, commentType: CommentType.Text }], status: CommentThreadStatus.Active },
        repository,
        id,
        project,
      ),
    );
    if (!thread?.id) throw new GitNotFoundError('git.not_found', `pull request ${id} not found`);
    return { threadId: String(thread.id), commentId: String(thread.comments?.[0]?.id ?? 1) };
  }

  async setStatus(
    repo: RepositoryLocator,
    providerPullRequestId: string,
    input: { name: string; state: 'pending' | 'succeeded' | 'failed' | 'error'; description?: string; targetUrl?: string },
  ): Promise<void> {
    const id = prId(providerPullRequestId);
    const status = await this.ctx.call('createPullRequestStatus', (api) =>
      api.createPullRequestStatus(
        { state: toStatusState(input.state), description: input.description, targetUrl: input.targetUrl, context: { name: input.name, genre: STATUS_GENRE } },
        this.ctx.repository(repo),
        id,
        this.ctx.project(repo),
      ),
    );
    if (!status) throw new GitNotFoundError('git.not_found', `pull request ${id} not found`);
  }

  /**
   * Sets the pull request to completed with lastMergeSourceCommit as the compare-and-swap on the source, then
   * polls: ADO merges asynchronously and reports conflicts through mergeStatus.
   */
  async complete(
    repo: RepositoryLocator,
    providerPullRequestId: string,
    input: { strategy: MergeStrategy; message: string; deleteSourceBranch: boolean; expectedSourceSha?: string },
  ): Promise<{ mergeSha: string }> {
    const id = prId(providerPullRequestId);
    const repository = this.ctx.repository(repo);
    const project = this.ctx.project(repo);
    const current = await this.get(repo, id);
    const sourceSha = current.lastMergeSourceCommit?.commitId;
    if (input.expectedSourceSha && sourceSha && input.expectedSourceSha !== sourceSha) {
      throw new GitConflictError('git.conflict', `pull request ${id} source moved: expected ${input.expectedSourceSha}, found ${sourceSha}`);
    }
    const update: GitPullRequest = {
      status: PullRequestStatus.Completed,
      lastMergeSourceCommit: { commitId: input.expectedSourceSha ?? sourceSha },
      completionOptions: {
        mergeStrategy: toMergeStrategy(input.strategy),
        deleteSourceBranch: input.deleteSourceBranch,
        mergeCommitMessage: input.message,
      },
    };
    await this.ctx.call('updatePullRequest', (api) => api.updatePullRequest(update, repository, id, project), { pullRequestId: id });
    const done = await this.ctx.poll('completePullRequest', async () => {
      const pr = await this.get(repo, id);
      if (pr.mergeStatus === PullRequestAsyncStatus.Conflicts) {
        throw new GitMergeConflictError('git.merge_conflict', `pull request ${id} has merge conflicts`, { paths: [] });
      }
      if (pr.mergeStatus === PullRequestAsyncStatus.Failure || pr.mergeStatus === PullRequestAsyncStatus.RejectedByPolicy) {
        throw new GitConflictError('git.conflict', `pull request ${id} could not be merged: ${pr.mergeFailureMessage ?? PullRequestAsyncStatus[pr.mergeStatus]}`);
      }
      return pr.status === PullRequestStatus.Completed && pr.lastMergeCommit?.commitId ? pr : undefined;
    });
    return { mergeSha: done.lastMergeCommit?.commitId ?? '' };
  }

  async abandon(repo: RepositoryLocator, providerPullRequestId: string): Promise<void> {
    const id = prId(providerPullRequestId);
    const pr = await this.ctx.call('updatePullRequest', (api) =>
      api.updatePullRequest({ status: PullRequestStatus.Abandoned }, this.ctx.repository(repo), id, this.ctx.project(repo)),
    );
    if (!pr) throw new GitNotFoundError('git.not_found', `pull request ${id} not found`);
  }

  async get(repo: RepositoryLocator, id: number): Promise<GitPullRequest> {
    const pr = await this.ctx.call('getPullRequest', (api) => api.getPullRequest(this.ctx.repository(repo), id, this.ctx.project(repo)));
    if (!pr) throw new GitNotFoundError('git.not_found', `pull request ${id} not found`);
    return pr;
  }
}
