// The embedded default GitProvider (DESIGN §5): bare repositories at <dataDir>/<tenant>/<project>/<name>.git,
// every operation through the real git CLI, every branch move a compare-and-swap.
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GitCli } from './git-cli';
import { formatCommitMessage, validateIdentity } from './commit-message';
import {
  BranchInfo,
  CommitInfo,
  CommitInput,
  CommitResult,
  CreateRepositoryInput,
  GitConflictError,
  GitIdentity,
  GitInvalidInputError,
  GitNotFoundError,
  GitProvider,
  GitUnavailableError,
  MergeInput,
  RepositoryInfo,
  RepositoryLocator,
} from './git-provider.port';
import { GitRepository, ZERO_OID } from './git-repository';
import { ChangeLimits, validateBranchName, validateFileChanges, validateLocatorToken, validateRepoPath, validateRevision } from './path-policy';

export interface LocalGitProviderOptions {
  dataDir: string;
  maxFiles?: number;
  maxFileBytes?: number;
  /** defaults to `git` on PATH */
  gitBinary?: string;
  /** attempts for a commit/revert without expectedParentSha that keeps losing the ref race (default 32) */
  maxCommitAttempts?: number;
}

export interface RevertInput {
  branch: string;
  sha: string;
  message: string;
  author: GitIdentity;
  expectedParentSha?: string;
  trailers?: Record<string, string>;
}

const SHA = /^[0-9a-f]{40}$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function notFound(what: string, details: Record<string, unknown>): GitNotFoundError {
  return new GitNotFoundError('not-found', `${what} not found`, details);
}

function fsUnavailable(action: string, error: unknown): GitUnavailableError {
  return new GitUnavailableError('storage-unavailable', `${action}: ${(error as Error).message}`);
}

export class LocalGitProvider implements GitProvider {
  readonly kind = 'local' as const;
  private readonly dataDir: string;
  private readonly cli: GitCli;
  private readonly limits: ChangeLimits;
  private readonly maxCommitAttempts: number;

  constructor(options: LocalGitProviderOptions) {
    this.dataDir = resolve(options.dataDir);
    // tokens cannot start with ".", so this never collides with a tenant directory; git need not find it
    this.cli = new GitCli(options.gitBinary ?? 'git', join(this.dataDir, '.git-home'));
    this.limits = { maxFiles: options.maxFiles, maxFileBytes: options.maxFileBytes };
    this.maxCommitAttempts = options.maxCommitAttempts ?? 32;
  }

  /** where a repository lives; the tokens are validated, so the path is always inside dataDir */
  repositoryPath(repo: RepositoryLocator): string {
    return join(
      this.dataDir,
      validateLocatorToken('tenantId', repo.tenantId),
      validateLocatorToken('projectId', repo.projectId),
      `${validateLocatorToken('name', repo.name)}.git`,
    );
  }

  private async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw fsUnavailable(`cannot read ${path}`, error);
    }
  }

  private async open(repo: RepositoryLocator): Promise<GitRepository> {
    const path = this.repositoryPath(repo);
    if (!(await this.exists(path))) throw notFound('repository', { ...repo });
    return new GitRepository(this.cli, path);
  }

  async createRepository(repo: RepositoryLocator, input: CreateRepositoryInput): Promise<RepositoryInfo> {
    const path = this.repositoryPath(repo);
    const branch = validateBranchName(input.defaultBranch);
    const changes = validateFileChanges(input.initialFiles ?? [], this.limits);
    const author = validateIdentity('author', input.author);
    const message = formatCommitMessage(input.message ?? 'Initial commit');
    try {
      await mkdir(join(path, '..'), { recursive: true });
    } catch (error) {
      throw fsUnavailable(`cannot create ${join(path, '..')}`, error);
    }
    try {
      // a non-recursive mkdir is the atomic claim: of two concurrent creates exactly one gets past it
      await mkdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new GitConflictError('repository-exists', `repository ${repo.tenantId}/${repo.projectId}/${repo.name} already exists`, { ...repo });
      }
      throw fsUnavailable(`cannot create ${path}`, error);
    }
    try {
      await this.cli.run(['init', '--bare', '--quiet', `--initial-branch=${branch}`, path]);
      const git = new GitRepository(this.cli, path);
      const tree = await git.buildTree(undefined, changes);
      const sha = await git.commitTree(tree, [], message, author);
      await git.compareAndSwap(`refs/heads/${branch}`, sha, ZERO_OID);
      return this.info(repo, path, branch, sha);
    } catch (error) {
      await rm(path, { recursive: true, force: true }).catch(() => undefined); // never leave a half-made repository
      throw error;
    }
  }

  private info(repo: RepositoryLocator, path: string, defaultBranch: string, headSha: string): RepositoryInfo {
    return { providerId: `${repo.tenantId}/${repo.projectId}/${repo.name}`, defaultBranch, headSha, cloneUrl: pathToFileURL(path).href };
  }

  async getRepository(repo: RepositoryLocator): Promise<RepositoryInfo | undefined> {
    const path = this.repositoryPath(repo);
    if (!(await this.exists(path))) return undefined;
    const git = new GitRepository(this.cli, path);
    const branch = await git.defaultBranch();
    const headSha = await git.resolveBranch(branch);
    if (!headSha) throw new GitUnavailableError('repository-damaged', `the default branch ${branch} of ${path} does not resolve`, { ...repo });
    return this.info(repo, path, branch, headSha);
  }

  async listBranches(repo: RepositoryLocator): Promise<BranchInfo[]> {
    const git = await this.open(repo);
    const output = await this.cli.text(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/'], { gitDir: git.gitDir });
    return output
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        const space = line.indexOf(' ');
        return { sha: line.slice(0, space), name: line.slice(space + 1).replace(/^refs\/heads\//, '') };
      });
  }

  async resolveBranch(repo: RepositoryLocator, branch: string): Promise<string | undefined> {
    validateBranchName(branch);
    return (await this.open(repo)).resolveBranch(branch);
  }

  async createBranch(repo: RepositoryLocator, name: string, from: string): Promise<BranchInfo> {
    validateBranchName(name);
    validateRevision(from);
    const git = await this.open(repo);
    const sha = await git.resolveRevision(from);
    if (!sha) throw notFound(`revision ${from}`, { revision: from });
    try {
      await git.compareAndSwap(`refs/heads/${name}`, sha, ZERO_OID);
    } catch (error) {
      if (error instanceof GitConflictError) {
        throw new GitConflictError('branch-exists', `branch ${name} already exists`, { ...error.details, branch: name });
      }
      throw error;
    }
    return { name, sha };
  }

  async deleteBranch(repo: RepositoryLocator, name: string, expectedSha?: string): Promise<void> {
    validateBranchName(name);
    const git = await this.open(repo);
    const current = await git.resolveBranch(name);
    if (!current) throw notFound(`branch ${name}`, { branch: name });
    if (name === (await git.defaultBranch())) {
      throw new GitInvalidInputError('default-branch', `branch ${name} is the default branch and cannot be deleted`, { branch: name, rule: 'default-branch' });
    }
    if (expectedSha !== undefined && expectedSha !== current) {
      throw new GitConflictError('ref-conflict', `branch ${name} moved: expected ${expectedSha}, found ${current}`, { ref: `refs/heads/${name}`, expected: expectedSha, actual: current });
    }
    await git.compareAndSwap(`refs/heads/${name}`, null, expectedSha ?? current);
  }

  async commit(repo: RepositoryLocator, input: CommitInput): Promise<CommitResult> {
    const branch = validateBranchName(input.branch);
    const changes = validateFileChanges(input.changes, this.limits);
    const author = validateIdentity('author', input.author);
    const committer = input.committer ? validateIdentity('committer', input.committer) : author;
    const message = formatCommitMessage(input.message, input.trailers);
    if (input.expectedParentSha !== undefined && !SHA.test(input.expectedParentSha)) throw badSha(input.expectedParentSha);
    const git = await this.open(repo);
    return this.withRetry(input.expectedParentSha === undefined, async () => {
      const { parent, expectedOld } = await this.parentFor(git, branch, input.expectedParentSha, input.createBranch === true);
      const tree = await git.buildTree(parent, changes);
      const sha = await git.commitTree(tree, [parent], message, author, committer);
      await git.compareAndSwap(`refs/heads/${branch}`, sha, expectedOld);
      return { sha, parentSha: parent, branch };
    });
  }

  // Without expectedParentSha the caller asked for "on the current head": a lost race is re-done on the new head.
  // With it, the caller owns the decision, so the conflict goes straight back.
  private async withRetry<T>(retry: boolean, attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (!retry || !(error instanceof GitConflictError) || i >= this.maxCommitAttempts) throw error;
        await sleep(Math.random() * 10 * Math.min(i, 5));
      }
    }
  }

  private async parentFor(git: GitRepository, branch: string, expectedParentSha: string | undefined, createBranch: boolean) {
    const head = await git.resolveBranch(branch);
    if (head !== undefined) {
      if (expectedParentSha !== undefined && expectedParentSha !== head) {
        throw new GitConflictError('ref-conflict', `branch ${branch} moved: expected ${expectedParentSha}, found ${head}`, { ref: `refs/heads/${branch}`, expected: expectedParentSha, actual: head });
      }
      return { parent: head, expectedOld: head };
    }
    if (!createBranch) throw notFound(`branch ${branch}`, { branch });
    const parent = expectedParentSha !== undefined ? await git.resolveCommit(expectedParentSha) : await git.resolveBranch(await git.defaultBranch());
    if (!parent) throw notFound(`base for new branch ${branch}`, { branch, expectedParentSha });
    return { parent, expectedOld: ZERO_OID };
  }

  async getCommit(repo: RepositoryLocator, sha: string): Promise<CommitInfo | undefined> {
    validateRevision(sha);
    const git = await this.open(repo);
    const resolved = await git.resolveCommit(sha);
    if (!resolved) return undefined;
    const [commit] = await git.readCommits(['--max-count=1', resolved]);
    return commit;
  }

  async log(repo: RepositoryLocator, branch: string, options: { base?: string; limit?: number } = {}): Promise<CommitInfo[]> {
    validateRevision(branch);
    const git = await this.open(repo);
    const head = await git.resolveRevision(branch);
    if (!head) throw notFound(`revision ${branch}`, { revision: branch });
    const args = [head];
    if (options.base !== undefined) {
      const base = await git.resolveRevision(validateRevision(options.base));
      if (!base) throw notFound(`revision ${options.base}`, { revision: options.base });
      args.push(`^${base}`);
    }
    if (options.limit !== undefined) args.unshift(`--max-count=${Math.max(0, Math.floor(options.limit))}`);
    return git.readCommits(args);
  }

  async readFile(repo: RepositoryLocator, revision: string, path: string): Promise<Buffer | undefined> {
    validateRevision(revision);
    validateRepoPath(path);
    const git = await this.open(repo);
    const commit = await git.resolveRevision(revision);
    if (!commit) return undefined;
    // a missing path or a directory is "no such file", not an error
    const blob = await git.resolveEntry(commit, path, 'blob');
    if (!blob) return undefined;
    return (await this.cli.run(['cat-file', 'blob', blob], { gitDir: git.gitDir })).stdout;
  }

  async listFiles(repo: RepositoryLocator, revision: string, directory?: string): Promise<string[]> {
    validateRevision(revision);
    const dir = directory === undefined || directory === '' || directory === '/' ? undefined : validateRepoPath(directory.replace(/\/+$/, ''));
    const git = await this.open(repo);
    const commit = await git.resolveRevision(revision);
    if (!commit) throw notFound(`revision ${revision}`, { revision });
    // `<sha>:<dir>` names a tree entry; a missing directory, or a file, lists nothing
    const tree = dir === undefined ? commit : await git.resolveEntry(commit, dir, 'tree');
    if (!tree) return [];
    const output = await this.cli.text(['ls-tree', '-r', '--name-only', '-z', tree], { gitDir: git.gitDir });
    return output
      .split('\0')
      .filter((p) => p.length > 0)
      .map((p) => (dir === undefined ? p : `${dir}/${p}`));
  }

  async diff(repo: RepositoryLocator, base: string, head: string): Promise<Array<{ path: string; change: 'added' | 'modified' | 'deleted' }>> {
    validateRevision(base);
    validateRevision(head);
    const git = await this.open(repo);
    const [baseSha, headSha] = await Promise.all([git.resolveRevision(base), git.resolveRevision(head)]);
    if (!baseSha) throw notFound(`revision ${base}`, { revision: base });
    if (!headSha) throw notFound(`revision ${head}`, { revision: head });
    const output = await this.cli.text(['diff-tree', '-r', '-z', '--no-renames', '--name-status', baseSha, headSha], { gitDir: git.gitDir });
    const fields = output.split('\0');
    const changes: Array<{ path: string; change: 'added' | 'modified' | 'deleted' }> = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = fields[i] ?? '';
      const path = fields[i + 1] ?? '';
      if (status === '') break;
      changes.push({ path, change: status.startsWith('A') ? 'added' : status.startsWith('D') ? 'deleted' : 'modified' });
    }
    return changes;
  }

  async merge(repo: RepositoryLocator, input: MergeInput): Promise<CommitResult> {
    const target = validateBranchName(input.target);
    validateRevision(input.source);
    const author = validateIdentity('author', input.author);
    const message = formatCommitMessage(input.message, input.trailers);
    if (!['merge', 'squash', 'fast-forward'].includes(input.strategy)) {
      throw new GitInvalidInputError('invalid-strategy', `unknown merge strategy ${String(input.strategy)}`, { rule: 'strategy' });
    }
    const git = await this.open(repo);
    const targetHead = await git.resolveBranch(target);
    if (!targetHead) throw notFound(`branch ${target}`, { branch: target });
    if (input.expectedTargetSha !== undefined && input.expectedTargetSha !== targetHead) {
      throw new GitConflictError('ref-conflict', `branch ${target} moved: expected ${input.expectedTargetSha}, found ${targetHead}`, { ref: `refs/heads/${target}`, expected: input.expectedTargetSha, actual: targetHead });
    }
    const source = await git.resolveRevision(input.source);
    if (!source) throw notFound(`revision ${input.source}`, { revision: input.source });
    if (input.expectedSourceSha !== undefined && input.expectedSourceSha !== source) {
      throw new GitConflictError('ref-conflict', `${input.source} moved: expected ${input.expectedSourceSha}, found ${source}`, { ref: input.source, expected: input.expectedSourceSha, actual: source });
    }
    // already merged: nothing to do for any strategy, and no empty commit
    if (await git.isAncestor(source, targetHead)) return { sha: targetHead, parentSha: targetHead, branch: target };
    if (input.strategy === 'fast-forward') {
      if (!(await git.isAncestor(targetHead, source))) {
        throw new GitConflictError('not-fast-forward', `${target} cannot be fast-forwarded to ${input.source}: the branches have diverged`, { target, source, targetSha: targetHead, sourceSha: source });
      }
      await git.compareAndSwap(`refs/heads/${target}`, source, targetHead);
      return { sha: source, parentSha: targetHead, branch: target };
    }
    const tree = await git.mergeTrees(targetHead, source);
    const parents = input.strategy === 'merge' ? [targetHead, source] : [targetHead];
    const sha = await git.commitTree(tree, parents, message, author);
    await git.compareAndSwap(`refs/heads/${target}`, sha, targetHead);
    return { sha, parentSha: targetHead, branch: target };
  }

  async revert(repo: RepositoryLocator, input: RevertInput): Promise<CommitResult> {
    const branch = validateBranchName(input.branch);
    validateRevision(input.sha);
    const author = validateIdentity('author', input.author);
    const message = formatCommitMessage(input.message, input.trailers);
    if (input.expectedParentSha !== undefined && !SHA.test(input.expectedParentSha)) throw badSha(input.expectedParentSha);
    const git = await this.open(repo);
    const target = await git.resolveCommit(input.sha);
    if (!target) throw notFound(`commit ${input.sha}`, { sha: input.sha });
    const [reverted] = await git.readCommits(['--max-count=1', target]);
    const parentTree = reverted?.parents[0] ? await git.resolveTree(reverted.parents[0]) : await git.emptyTree();
    if (!parentTree) throw new GitUnavailableError('repository-damaged', `the parent of ${target} does not resolve`);
    return this.withRetry(input.expectedParentSha === undefined, async () => {
      const { parent: head } = await this.parentFor(git, branch, input.expectedParentSha, false);
      if (!(await git.isAncestor(target, head))) {
        throw new GitInvalidInputError('not-on-branch', `commit ${target} is not on branch ${branch}`, { sha: target, branch, rule: 'not-on-branch' });
      }
      // git 2.39 has no `merge-tree --merge-base`: an unreferenced helper commit (sha's parent tree on top of sha)
      // makes sha the merge base, so merging it into head applies exactly the inverse of sha
      const undo = await git.commitTree(parentTree, [target], `undo ${target}\n`, author);
      const tree = await git.mergeTrees(head, undo);
      const sha = await git.commitTree(tree, [head], message, author);
      await git.compareAndSwap(`refs/heads/${branch}`, sha, head);
      return { sha, parentSha: head, branch };
    });
  }
}

function badSha(sha: string): GitInvalidInputError {
  return new GitInvalidInputError('invalid-sha', `expected a full 40-character commit sha, got ${JSON.stringify(sha)}`, { rule: 'sha', sha });
}
