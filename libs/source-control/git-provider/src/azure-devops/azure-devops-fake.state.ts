// State of the fake Azure DevOps server (test support): just enough of a git object model (commits with flat
// file trees, refs) for the adapter's call sequences to see consistent answers. Not ADO's semantics.
import { createHash } from 'node:crypto';

export const FAKE_ZERO_SHA = '0000000000000000000000000000000000000000';

export interface FakeCommit {
  sha: string;
  seq: number;
  parents: string[];
  comment: string;
  author: { name: string; email: string; date: string };
  tree: Map<string, Buffer>;
}

export interface FakePullRequest {
  id: number;
  sourceRefName: string;
  targetRefName: string;
  title: string;
  description: string;
  status: 'active' | 'abandoned' | 'completed';
  mergeStatus: 'queued' | 'succeeded' | 'conflicts';
  lastMergeSourceCommit: string;
  lastMergeTargetCommit: string;
  lastMergeCommit?: string;
  completion?: { mergeStrategy: string; deleteSourceBranch: boolean; mergeCommitMessage: string };
  threads: Map<number, { id: number; comments: Array<{ id: number; parentCommentId: number; content: string }> }>;
  statuses: Array<{ id: number; state: string; description?: string; targetUrl?: string; context: { name: string; genre: string } }>;
}

export interface FakeRevert {
  id: number;
  ontoRefName: string;
  generatedRefName: string;
  commitId: string;
  status: 'queued' | 'completed';
}

export interface FakeRepository {
  id: string;
  name: string;
  project: string;
  defaultBranch?: string;
  refs: Map<string, string>;
  commits: Map<string, FakeCommit>;
  pullRequests: Map<number, FakePullRequest>;
  reverts: Map<number, FakeRevert>;
}

export type FakeChange = { changeType: 'add' | 'edit' | 'delete'; path: string; content?: Buffer };

export class FakeAzureDevOpsState {
  readonly repositories = new Map<string, FakeRepository>();
  private seq = 0;
  nextId(): number {
    return ++this.seq;
  }

  repository(project: string, nameOrId: string): FakeRepository | undefined {
    for (const r of this.repositories.values()) {
      if (r.project === project && (r.name === nameOrId || r.id === nameOrId)) return r;
    }
    return undefined;
  }

  createRepository(project: string, name: string): FakeRepository {
    const n = this.nextId();
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const repo: FakeRepository = { id, name, project, refs: new Map(), commits: new Map(), pullRequests: new Map(), reverts: new Map() };
    this.repositories.set(id, repo);
    return repo;
  }

  writeCommit(repo: FakeRepository, parents: string[], tree: Map<string, Buffer>, comment: string, author: FakeCommit['author']): FakeCommit {
    const seq = this.nextId();
    const sha = createHash('sha1').update(`${seq}\0${parents.join(',')}\0${comment}`).digest('hex');
    const commit: FakeCommit = { sha, seq, parents, comment, author, tree };
    repo.commits.set(sha, commit);
    return commit;
  }

  /** a revision as ADO's versionDescriptor names it: versionType 2/commit is a sha, anything else a branch */
  resolve(repo: FakeRepository, version: string | null, versionType: string | null): FakeCommit | undefined {
    if (!version) return undefined;
    const sha = versionType === '2' || versionType === 'commit' ? version : repo.refs.get(`refs/heads/${version}`);
    return sha ? repo.commits.get(sha) : undefined;
  }

  ancestors(repo: FakeRepository, sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length) {
      const s = stack.pop() as string;
      if (seen.has(s)) continue;
      seen.add(s);
      stack.push(...(repo.commits.get(s)?.parents ?? []));
    }
    return seen;
  }

  static applyChanges(base: Map<string, Buffer>, changes: FakeChange[]): Map<string, Buffer> {
    const tree = new Map(base);
    for (const c of changes) {
      if (c.changeType === 'delete') tree.delete(c.path);
      else tree.set(c.path, c.content ?? Buffer.alloc(0));
    }
    return tree;
  }

  static diffTrees(a: Map<string, Buffer>, b: Map<string, Buffer>): FakeChange[] {
    const out: FakeChange[] = [];
    for (const [p, content] of b) {
      const old = a.get(p);
      if (!old) out.push({ changeType: 'add', path: p, content });
      else if (!old.equals(content)) out.push({ changeType: 'edit', path: p, content });
    }
    for (const p of a.keys()) if (!b.has(p)) out.push({ changeType: 'delete', path: p });
    return out.sort((x, y) => x.path.localeCompare(y.path));
  }

  /** Completes a pull request: merge commit / squash / rebase-and-fast-forward, no conflict detection. */
  completePullRequest(repo: FakeRepository, pr: FakePullRequest): string {
    const completion = pr.completion ?? { mergeStrategy: 'noFastForward', deleteSourceBranch: false, mergeCommitMessage: '' };
    const source = repo.commits.get(pr.lastMergeSourceCommit) as FakeCommit;
    const targetSha = repo.refs.get(pr.targetRefName) as string;
    const target = repo.commits.get(targetSha) as FakeCommit;
    const targetAncestors = this.ancestors(repo, targetSha);
    const base = [...this.ancestors(repo, source.sha)]
      .filter((s) => targetAncestors.has(s))
      .map((s) => repo.commits.get(s) as FakeCommit)
      .sort((x, y) => y.seq - x.seq)[0];
    let mergeSha: string;
    if (completion.mergeStrategy === 'rebase' && this.ancestors(repo, source.sha).has(targetSha)) {
      mergeSha = source.sha; // fast-forward
    } else {
      const tree = FakeAzureDevOpsState.applyChanges(target.tree, FakeAzureDevOpsState.diffTrees(base?.tree ?? new Map(), source.tree));
      const parents = completion.mergeStrategy === 'noFastForward' ? [targetSha, source.sha] : [targetSha];
      const message = completion.mergeCommitMessage || `Merged PR ${pr.id}: ${pr.title}`;
      mergeSha = this.writeCommit(repo, parents, tree, message, source.author).sha;
    }
    repo.refs.set(pr.targetRefName, mergeSha);
    if (completion.deleteSourceBranch) repo.refs.delete(pr.sourceRefName);
    pr.status = 'completed';
    pr.mergeStatus = 'succeeded';
    pr.lastMergeCommit = mergeSha;
    pr.lastMergeTargetCommit = targetSha;
    return mergeSha;
  }

  /** Runs a queued revert: undo the commit's changes on top of the onto ref, result on the generated ref. */
  runRevert(repo: FakeRepository, revert: FakeRevert): void {
    const commit = repo.commits.get(revert.commitId) as FakeCommit;
    const parent = repo.commits.get(commit.parents[0] ?? '');
    const headSha = repo.refs.get(revert.ontoRefName) as string;
    const head = repo.commits.get(headSha) as FakeCommit;
    const undo = FakeAzureDevOpsState.diffTrees(commit.tree, parent?.tree ?? new Map());
    const tree = FakeAzureDevOpsState.applyChanges(head.tree, undo);
    const title = commit.comment.split('\n')[0] ?? '';
    const reverted = this.writeCommit(repo, [headSha], tree, `Revert "${title}"\n\nThis reverts commit ${commit.sha}.`, commit.author);
    repo.refs.set(revert.generatedRefName, reverted.sha);
    revert.status = 'completed';
  }
}
