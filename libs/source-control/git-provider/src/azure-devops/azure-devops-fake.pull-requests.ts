// Pull-request, thread, status and revert routes of the fake Azure DevOps server (test support; shapes only).
import { FakeAzureDevOpsState, type FakeCommit, type FakePullRequest, type FakeRepository } from './azure-devops-fake.state';
import { HttpError, MERGE_STRATEGIES, PR_STATUSES, STATUS_STATES, template, type Json } from './azure-devops-fake.shapes';

export interface FakeRouteContext {
  organizationUrl: () => string;
  repositoryShape: (repo: FakeRepository) => Json;
  commit: (repo: FakeRepository, sha: string) => FakeCommit;
}

export class FakePullRequestRoutes {
  conflictOnNextCompletion = false;

  constructor(
    private readonly state: FakeAzureDevOpsState,
    private readonly ctx: FakeRouteContext,
  ) {}

  private get organizationUrl(): string {
    return this.ctx.organizationUrl();
  }

  private repositoryShape(repo: FakeRepository): Json {
    return this.ctx.repositoryShape(repo);
  }

  private commit(repo: FakeRepository, sha: string): FakeCommit {
    return this.ctx.commit(repo, sha);
  }

  pr(repo: FakeRepository, id: string | undefined): FakePullRequest {
    const pr = repo.pullRequests.get(Number(id));
    if (!pr) throw new HttpError(404, { message: `TF401180: The requested pull request was not found.` });
    return pr;
  }

  private prShape(repo: FakeRepository, pr: FakePullRequest): Json {
    const t = template('pull-request');
    const commitRef = (sha: string | undefined) => (sha ? { commitId: sha, url: `${this.organizationUrl}/_apis/git/repositories/${repo.id}/commits/${sha}` } : undefined);
    return {
      ...t,
      repository: this.repositoryShape(repo),
      pullRequestId: pr.id,
      codeReviewId: pr.id,
      status: pr.status,
      title: pr.title,
      description: pr.description,
      sourceRefName: pr.sourceRefName,
      targetRefName: pr.targetRefName,
      mergeStatus: pr.mergeStatus,
      lastMergeSourceCommit: commitRef(pr.lastMergeSourceCommit),
      lastMergeTargetCommit: commitRef(pr.lastMergeTargetCommit),
      lastMergeCommit: commitRef(pr.lastMergeCommit),
      completionOptions: pr.completion,
      url: `${this.organizationUrl}/_apis/git/repositories/${repo.id}/pullRequests/${pr.id}`,
    };
  }

  createPullRequest(repo: FakeRepository, body: Json): Json {
    const sourceRefName = String(body['sourceRefName']);
    const targetRefName = String(body['targetRefName']);
    const source = repo.refs.get(sourceRefName);
    const target = repo.refs.get(targetRefName);
    if (!source || !target) throw new HttpError(400, { message: 'TF401398: The pull request cannot be activated because the source and/or the target branch no longer exists, or the requested refs are not branches' });
    const pr: FakePullRequest = {
      id: this.state.nextId(),
      sourceRefName,
      targetRefName,
      title: String(body['title'] ?? ''),
      description: String(body['description'] ?? ''),
      status: 'active',
      mergeStatus: 'succeeded',
      lastMergeSourceCommit: source,
      lastMergeTargetCommit: target,
      threads: new Map(),
      statuses: [],
    };
    repo.pullRequests.set(pr.id, pr);
    return this.prShape(repo, pr);
  }

  // completion is asynchronous in ADO: the PATCH answers "queued", the next GET sees the result
  getPullRequest(repo: FakeRepository, pr: FakePullRequest): Json {
    if (pr.status === 'active' && pr.mergeStatus === 'queued') {
      if (this.conflictOnNextCompletion) {
        this.conflictOnNextCompletion = false;
        pr.mergeStatus = 'conflicts';
      } else {
        this.state.completePullRequest(repo, pr);
      }
    }
    return this.prShape(repo, pr);
  }

  updatePullRequest(repo: FakeRepository, pr: FakePullRequest, body: Json): Json {
    const status = PR_STATUSES[String(body['status'])];
    if (status === 'abandoned') pr.status = 'abandoned';
    if (status === 'completed') {
      const expected = (body['lastMergeSourceCommit'] as Json | undefined)?.['commitId'];
      pr.lastMergeSourceCommit = repo.refs.get(pr.sourceRefName) ?? pr.lastMergeSourceCommit;
      if (expected !== pr.lastMergeSourceCommit) throw new HttpError(409, { message: 'TF401192: The source branch has been updated since lastMergeSourceCommit; the pull request cannot be completed.' });
      const o = (body['completionOptions'] ?? {}) as Json;
      pr.completion = {
        mergeStrategy: MERGE_STRATEGIES[String(o['mergeStrategy'])] ?? String(o['mergeStrategy'] ?? 'noFastForward'),
        deleteSourceBranch: o['deleteSourceBranch'] === true,
        mergeCommitMessage: String(o['mergeCommitMessage'] ?? ''),
      };
      pr.mergeStatus = 'queued';
    }
    return this.prShape(repo, pr);
  }

  createThread(pr: FakePullRequest, body: Json): Json {
    const t = template('thread');
    const id = this.state.nextId();
    const comments = ((body['comments'] as Json[]) ?? []).map((c, i) => ({ id: i + 1, parentCommentId: Number(c['parentCommentId'] ?? 0), content: String(c['content']) }));
    pr.threads.set(id, { id, comments });
    const commentT = (t['comments'] as Json[])[0] as Json;
    return { ...t, id, comments: comments.map((c) => ({ ...commentT, ...c })) };
  }

  createComment(pr: FakePullRequest, threadId: number, body: Json): Json {
    const thread = pr.threads.get(threadId);
    if (!thread) throw new HttpError(404, { message: `TF401180: thread ${threadId} not found` });
    const c = { id: thread.comments.length + 1, parentCommentId: Number(body['parentCommentId'] ?? 0), content: String(body['content']) };
    thread.comments.push(c);
    return { ...template('comment'), ...c };
  }

  createStatus(pr: FakePullRequest, body: Json): Json {
    const s = {
      id: pr.statuses.length + 1,
      state: STATUS_STATES[String(body['state'])] ?? String(body['state']),
      description: body['description'] as string | undefined,
      targetUrl: body['targetUrl'] as string | undefined,
      context: body['context'] as { name: string; genre: string },
    };
    pr.statuses.push(s);
    return { ...template('pull-request-status'), ...s };
  }

  private revertShape(repo: FakeRepository, id: number): Json {
    const r = repo.reverts.get(id);
    if (!r) throw new HttpError(404, { message: `revert ${id} not found` });
    return {
      ...template('revert'),
      revertId: r.id,
      status: r.status,
      detailedStatus: r.status === 'completed' ? { conflict: false, currentCommitId: repo.refs.get(r.generatedRefName) } : null,
      parameters: { ontoRefName: r.ontoRefName, generatedRefName: r.generatedRefName, source: { commitList: [{ commitId: r.commitId }] } },
      repository: { id: repo.id, name: repo.name },
    };
  }

  createRevert(repo: FakeRepository, body: Json): Json {
    const source = body['source'] as Json;
    const commitId = String(((source['commitList'] as Json[])[0] as Json)['commitId']);
    this.commit(repo, commitId);
    const id = this.state.nextId();
    repo.reverts.set(id, { id, ontoRefName: String(body['ontoRefName']), generatedRefName: String(body['generatedRefName']), commitId, status: 'queued' });
    return this.revertShape(repo, id);
  }

  getRevert(repo: FakeRepository, id: number): Json {
    const r = repo.reverts.get(id);
    if (r?.status === 'queued') this.state.runRevert(repo, r);
    return this.revertShape(repo, id);
  }
}
