// GitProvider on Azure DevOps Repos (DESIGN §5 production adapter) through azure-devops-node-api. Every write is a
// compare-and-swap on a ref: pushes and ref updates carry the old object id, and ADO rejects a stale one.
import { GitAsyncOperationStatus, VersionControlRecursionType, type GitRef } from 'azure-devops-node-api/interfaces/GitInterfaces';
import {
  GitConflictError,
  GitMergeConflictError,
  GitNotFoundError,
  type BranchInfo,
  type CommitInfo,
  type CommitInput,
  type CommitResult,
  type CreateRepositoryInput,
  type GitIdentity,
  type GitProvider,
  type MergeInput,
  type MergeStrategy,
  type PullRequestHost,
  type RepositoryInfo,
  type RepositoryLocator,
} from '../git-provider.port';
import { AzureDevOpsContext, type AzureDevOpsGitConfig } from './azure-devops-context';
import { refUpdateRejected } from './azure-devops-errors';
import {
  ZERO_SHA,
  branchName,
  isSha,
  refName,
  toCommitInfo,
  toDiffChange,
  toGitChange,
  versionDescriptor,
  withTrailers,
} from './azure-devops-mapping';
import { AzureDevOpsPullRequests } from './azure-devops-pull-requests';

export class AzureDevOpsGitProvider implements GitProvider, PullRequestHost {
  readonly kind = 'azure-devops';
  private readonly ctx: AzureDevOpsContext;
  private readonly prs: AzureDevOpsPullRequests;

  constructor(config: AzureDevOpsGitConfig) {
    this.ctx = new AzureDevOpsContext(config);
    this.prs = new AzureDevOpsPullRequests(this.ctx);
  }

  async createRepository(repo: RepositoryLocator, input: CreateRepositoryInput): Promise<RepositoryInfo> {
    const project = this.ctx.project(repo);
    const created = await this.ctx.call('createRepository', (api) => api.createRepository({ name: this.ctx.repository(repo) }, project));
    if (!created?.id) throw new GitNotFoundError('git.not_found', `azure devops project ${project} not found`);
    // ADO repositories start empty; the first push creates the default branch (and makes it the default).
    const push = await this.ctx.call('createPush', (api) =>
      api.createPush(
        {
          refUpdates: [{ name: refName(input.defaultBranch), oldObjectId: ZERO_SHA }],
          commits: [
            {
              comment: input.message ?? 'Initial commit',
              author: { name: input.author.name, email: input.author.email, date: new Date() },
              changes: (input.initialFiles?.length ? input.initialFiles : [{ action: 'add' as const, path: '.gitkeep', content: '' }]).map(toGitChange),
            },
          ],
        },
        created.id as string,
        project,
      ),
    );
    return {
      providerId: created.id,
      defaultBranch: input.defaultBranch,
      headSha: push?.commits?.[0]?.commitId ?? '',
      cloneUrl: created.remoteUrl ?? '',
    };
  }

  async getRepository(repo: RepositoryLocator): Promise<RepositoryInfo | undefined> {
    const r = await this.ctx.call('getRepository', (api) => api.getRepository(this.ctx.repository(repo), this.ctx.project(repo)));
    if (!r?.id) return undefined;
    const defaultBranch = r.defaultBranch ? branchName(r.defaultBranch) : '';
    const headSha = defaultBranch ? ((await this.resolveBranch(repo, defaultBranch)) ?? '') : '';
    return { providerId: r.id, defaultBranch, headSha, cloneUrl: r.remoteUrl ?? '' };
  }

  private async refs(repo: RepositoryLocator, filter: string): Promise<GitRef[]> {
    const refs = await this.ctx.call('getRefs', (api) => api.getRefs(this.ctx.repository(repo), this.ctx.project(repo), filter));
    return refs ?? [];
  }

  async listBranches(repo: RepositoryLocator): Promise<BranchInfo[]> {
    const refs = await this.refs(repo, 'heads/');
    return refs.filter((r) => r.name && r.objectId).map((r) => ({ name: branchName(r.name as string), sha: r.objectId as string }));
  }

  async resolveBranch(repo: RepositoryLocator, branch: string): Promise<string | undefined> {
    // the filter is a prefix match ("heads/main" also returns main-2): pick the exact ref
    const refs = await this.refs(repo, `heads/${branchName(branch)}`);
    return refs.find((r) => r.name === refName(branch))?.objectId;
  }

  private async revisionSha(repo: RepositoryLocator, revision: string): Promise<string> {
    if (isSha(revision)) return revision;
    const sha = await this.resolveBranch(repo, revision);
    if (!sha) throw new GitNotFoundError('git.not_found', `branch ${revision} not found in ${repo.name}`);
    return sha;
  }

  private async updateRef(repo: RepositoryLocator, name: string, oldObjectId: string, newObjectId: string): Promise<void> {
    const results = await this.ctx.call('updateRefs', (api) =>
      api.updateRefs([{ name: refName(name), oldObjectId, newObjectId }], this.ctx.repository(repo), this.ctx.project(repo)),
    );
    if (!results) throw new GitNotFoundError('git.not_found', `repository ${repo.name} not found`);
    const result = results[0];
    // updateRefs answers 200 with a per-ref outcome; success=false is a lost compare-and-swap or an existing ref
    if (!result?.success) throw refUpdateRejected(refName(name), result?.updateStatus, result?.customMessage);
  }

  async createBranch(repo: RepositoryLocator, name: string, from: string): Promise<BranchInfo> {
    const sha = await this.revisionSha(repo, from);
    if (await this.resolveBranch(repo, name)) throw new GitConflictError('branch-exists', `branch ${name} already exists`, { branch: name });
    await this.updateRef(repo, name, ZERO_SHA, sha);
    return { name, sha };
  }

  async deleteBranch(repo: RepositoryLocator, name: string, expectedSha?: string): Promise<void> {
    const current = expectedSha ?? (await this.resolveBranch(repo, name));
    if (!current) throw new GitNotFoundError('git.not_found', `branch ${name} not found in ${repo.name}`);
    await this.updateRef(repo, name, current, ZERO_SHA);
  }

  // The author is sent, but ADO records the pusher (the token's identity) as committer and may override the author.
  async commit(repo: RepositoryLocator, input: CommitInput): Promise<CommitResult> {
    const head = await this.resolveBranch(repo, input.branch);
    let parentSha: string;
    if (head) {
      parentSha = input.expectedParentSha ?? head;
    } else if (input.createBranch) {
      const info = input.expectedParentSha ? undefined : await this.getRepository(repo);
      parentSha = input.expectedParentSha ?? info?.headSha ?? '';
      if (!parentSha) throw new GitNotFoundError('git.not_found', `no base for new branch ${input.branch}`);
    } else {
      throw new GitNotFoundError('git.not_found', `branch ${input.branch} not found in ${repo.name}`);
    }
    // a new branch's push names its base as oldObjectId; ADO creates the ref and parents the commit on it
    const push = await this.ctx.call(
      'createPush',
      (api) =>
        api.createPush(
          {
            refUpdates: [{ name: refName(input.branch), oldObjectId: parentSha }],
            commits: [
              {
                comment: withTrailers(input.message, input.trailers),
                author: { name: input.author.name, email: input.author.email, date: new Date() },
                changes: input.changes.map(toGitChange),
              },
            ],
          },
          this.ctx.repository(repo),
          this.ctx.project(repo),
        ),
      { branch: input.branch, expectedParentSha: parentSha },
    );
    const sha = push?.commits?.[0]?.commitId;
    if (!sha) throw new GitNotFoundError('git.not_found', `repository ${repo.name} not found`);
    return { sha, parentSha, branch: input.branch };
  }

  async getCommit(repo: RepositoryLocator, sha: string): Promise<CommitInfo | undefined> {
    const c = await this.ctx.call('getCommit', (api) => api.getCommit(sha, this.ctx.repository(repo), this.ctx.project(repo)));
    return c?.commitId ? toCommitInfo(c) : undefined;
  }

  /** `compareVersion` makes ADO list commits reachable from itemVersion and not from it (base..branch). */
  async log(repo: RepositoryLocator, branch: string, options?: { base?: string; limit?: number }): Promise<CommitInfo[]> {
    const commits = await this.ctx.call('getCommits', (api) =>
      api.getCommits(
        this.ctx.repository(repo),
        {
          itemVersion: versionDescriptor(branch),
          compareVersion: options?.base ? versionDescriptor(options.base) : undefined,
          $top: options?.limit,
        },
        this.ctx.project(repo),
      ),
    );
    const out: CommitInfo[] = [];
    for (const c of commits ?? []) {
      // list results truncate long messages (and with them the trailers): fetch those commits whole
      const full = c.commentTruncated && c.commitId ? await this.getCommit(repo, c.commitId) : undefined;
      out.push(full ?? toCommitInfo(c));
    }
    return out;
  }

  async readFile(repo: RepositoryLocator, revision: string, path: string): Promise<Buffer | undefined> {
    const stream = await this.ctx.call('getItemContent', (api) =>
      api.getItemContent(this.ctx.repository(repo), `/${path.replace(/^\/+/, '')}`, this.ctx.project(repo), undefined, undefined, undefined, undefined, undefined, versionDescriptor(revision)),
    );
    // getItemContent hands back the raw response without checking its status
    const statusCode = (stream as unknown as { statusCode?: number }).statusCode ?? 200;
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks);
    if (statusCode === 404) return undefined;
    if (statusCode > 299) {
      const err = Object.assign(new Error(body.toString('utf8').slice(0, 500)), { statusCode });
      await this.ctx.call('getItemContent', () => Promise.reject(err));
    }
    return body;
  }

  async listFiles(repo: RepositoryLocator, revision: string, directory?: string): Promise<string[]> {
    const scope = directory ? `/${directory.replace(/^\/+|\/+$/g, '')}` : '/';
    const items = await this.ctx.call('getItems', (api) =>
      api.getItems(this.ctx.repository(repo), this.ctx.project(repo), scope, VersionControlRecursionType.Full, undefined, undefined, undefined, undefined, versionDescriptor(revision)),
    );
    return (items ?? [])
      .filter((i) => !i.isFolder && i.path)
      .map((i) => (i.path as string).replace(/^\//, ''))
      .sort();
  }

  async diff(repo: RepositoryLocator, base: string, head: string): Promise<Array<{ path: string; change: 'added' | 'modified' | 'deleted' }>> {
    // the client reads version/versionType of these descriptors into baseVersion*/targetVersion* query params
    const b = versionDescriptor(base);
    const t = versionDescriptor(head);
    const top = 1000;
    const out: Array<{ path: string; change: 'added' | 'modified' | 'deleted' }> = [];
    for (let skip = 0; ; skip += top) {
      const page = await this.ctx.call('getCommitDiffs', (api) =>
        api.getCommitDiffs(this.ctx.repository(repo), this.ctx.project(repo), false, top, skip, b, t),
      );
      if (!page) throw new GitNotFoundError('git.not_found', `revision ${base} or ${head} not found`);
      const changes = page.changes ?? [];
      for (const c of changes) {
        if (c.item?.isFolder || !c.item?.path) continue;
        out.push({ path: c.item.path.replace(/^\//, ''), change: toDiffChange(c.changeType) });
      }
      if (changes.length < top) return out;
    }
  }

  /**
   * ADO has no direct "merge these branches" call, so merge() opens a pull request source → target and completes
   * it (the same path people see in the UI, and branch policies apply). The target check is best effort: ADO's
   * completion has no compare-and-swap on the target, so a push between the check and the merge is merged over.
   */
  async merge(repo: RepositoryLocator, input: MergeInput): Promise<CommitResult> {
    const targetSha = await this.revisionSha(repo, input.target);
    if (input.expectedTargetSha && input.expectedTargetSha !== targetSha) {
      throw new GitConflictError('git.conflict', `branch ${input.target} moved: expected ${input.expectedTargetSha}, found ${targetSha}`);
    }
    const sourceSha = await this.revisionSha(repo, input.source);
    if (input.expectedSourceSha && input.expectedSourceSha !== sourceSha) {
      throw new GitConflictError('ref-conflict', `branch ${input.source} moved: expected ${input.expectedSourceSha}, found ${sourceSha}`);
    }
    const pr = await this.prs.openPullRequest(repo, { source: input.source, target: input.target, title: input.message.split('\n')[0] ?? input.message, description: input.message, author: input.author });
    try {
      const { mergeSha } = await this.prs.complete(repo, pr.providerPullRequestId, {
        strategy: input.strategy,
        message: withTrailers(input.message, input.trailers),
        deleteSourceBranch: false,
        expectedSourceSha: sourceSha,
      });
      return { sha: mergeSha, parentSha: targetSha, branch: input.target };
    } catch (err) {
      // leave no dangling pull request behind a failed merge
      await this.prs.abandon(repo, pr.providerPullRequestId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * ADO's revert is asynchronous and writes its commit to a new ref: createRevert onto `branch` with a temporary
   * generatedRefName, poll getRevert, then fast-forward `branch` to that commit (CAS on the head) and delete the
   * temporary ref. ADO writes its own "Revert …" message; `message` and `trailers` cannot be applied.
   */
  async revert(repo: RepositoryLocator, input: { branch: string; sha: string; message: string; author: GitIdentity; expectedParentSha?: string; trailers?: Record<string, string> }): Promise<CommitResult> {
    const head = await this.revisionSha(repo, input.branch);
    if (input.expectedParentSha && input.expectedParentSha !== head) {
      throw new GitConflictError('git.conflict', `branch ${input.branch} moved: expected ${input.expectedParentSha}, found ${head}`);
    }
    const project = this.ctx.project(repo);
    const repository = this.ctx.repository(repo);
    const tempRef = `refs/heads/delivery-revert/${input.sha.slice(0, 12)}-${Date.now()}`;
    const started = await this.ctx.call('createRevert', (api) =>
      api.createRevert({ ontoRefName: refName(input.branch), generatedRefName: tempRef, source: { commitList: [{ commitId: input.sha }] } }, project, repository),
    );
    if (!started?.revertId) throw new GitNotFoundError('git.not_found', `repository ${repo.name} not found`);
    const revertId = started.revertId;
    await this.ctx.poll('revert', async () => {
      const r = await this.ctx.call('getRevert', (api) => api.getRevert(project, revertId, repository));
      if (r?.detailedStatus?.conflict) throw new GitMergeConflictError('git.merge_conflict', `reverting ${input.sha} conflicts`, { paths: [] });
      if (r?.status === GitAsyncOperationStatus.Failed || r?.status === GitAsyncOperationStatus.Abandoned) {
        throw new GitConflictError('git.conflict', `revert of ${input.sha} failed: ${r.detailedStatus?.failureMessage ?? ''}`);
      }
      return r?.status === GitAsyncOperationStatus.Completed ? r : undefined;
    });
    const revertSha = await this.revisionSha(repo, tempRef.replace(/^refs\/heads\//, ''));
    await this.updateRef(repo, input.branch, head, revertSha);
    await this.updateRef(repo, tempRef, revertSha, ZERO_SHA).catch(() => undefined);
    return { sha: revertSha, parentSha: head, branch: input.branch };
  }

  openPullRequest(repo: RepositoryLocator, input: { source: string; target: string; title: string; description: string; author: GitIdentity }): Promise<{ providerPullRequestId: string; url: string }> {
    return this.prs.openPullRequest(repo, input);
  }

  comment(repo: RepositoryLocator, providerPullRequestId: string, input: { body: string; author: GitIdentity; threadId?: string }): Promise<{ threadId: string; commentId: string }> {
    return this.prs.comment(repo, providerPullRequestId, input);
  }

  setStatus(repo: RepositoryLocator, providerPullRequestId: string, input: { name: string; state: 'pending' | 'succeeded' | 'failed' | 'error'; description?: string; targetUrl?: string }): Promise<void> {
    return this.prs.setStatus(repo, providerPullRequestId, input);
  }

  complete(repo: RepositoryLocator, providerPullRequestId: string, input: { strategy: MergeStrategy; message: string; deleteSourceBranch: boolean; expectedSourceSha?: string }): Promise<{ mergeSha: string }> {
    return this.prs.complete(repo, providerPullRequestId, input);
  }

  abandon(repo: RepositoryLocator, providerPullRequestId: string): Promise<void> {
    return this.prs.abandon(repo, providerPullRequestId);
  }
}
