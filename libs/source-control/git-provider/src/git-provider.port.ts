// The source-control context's one port to git hosting (DESIGN §5): bare repositories through the git CLI by
// default, Azure DevOps in production. Pull requests, reviews, checks and policy live in the pull-request
// service's own state. A provider that also hosts pull requests (Azure DevOps) implements PullRequestHost so that
// they can be mirrored for people working in its UI; the pull-request service does not mirror them yet (a merge on
// Azure DevOps already goes through a pull request there: see AzureDevOpsGitProvider.merge).

export interface RepositoryLocator {
  tenantId: string;
  projectId: string;
  /** the repository name, unique within tenant/project */
  name: string;
}

export interface GitIdentity {
  name: string;
  email: string;
}

export type FileChange =
  | { action: 'add' | 'update'; path: string; content: string; encoding?: 'utf8' | 'base64'; executable?: boolean }
  | { action: 'delete'; path: string };

export interface CreateRepositoryInput {
  defaultBranch: string;
  /** committed as the first commit of the default branch; without them the repository starts with an empty commit */
  initialFiles?: FileChange[];
  author: GitIdentity;
  message?: string;
}

export interface RepositoryInfo {
  /** the provider's id (ADO: the repository GUID; local: tenant/project/name) */
  providerId: string;
  defaultBranch: string;
  headSha: string;
  /** clone URL (local: a file:// URL of the bare repository) */
  cloneUrl: string;
}

export interface CommitInput {
  branch: string;
  /** compare-and-swap: the branch must still point here, else GitConflictError; omit to commit on the current head */
  expectedParentSha?: string;
  changes: FileChange[];
  message: string;
  author: GitIdentity;
  committer?: GitIdentity;
  /** `Key: value` lines appended to the message (lineage: Artifact-Id, Trace-Id, Idempotency-Key …) */
  trailers?: Record<string, string>;
  /** create the branch from expectedParentSha (or the default branch head) if it does not exist */
  createBranch?: boolean;
}

export interface CommitResult {
  sha: string;
  parentSha: string;
  branch: string;
}

export type MergeStrategy = 'merge' | 'squash' | 'fast-forward';

export interface MergeInput {
  source: string;
  target: string;
  strategy: MergeStrategy;
  message: string;
  author: GitIdentity;
  /** compare-and-swap on the target branch */
  expectedTargetSha?: string;
  /** the source must still be here (the head a merge policy was evaluated on), else GitConflictError */
  expectedSourceSha?: string;
  trailers?: Record<string, string>;
}

export interface BranchInfo {
  name: string;
  sha: string;
}

export interface CommitInfo {
  sha: string;
  parents: string[];
  message: string;
  author: GitIdentity & { date: string };
  trailers: Record<string, string>;
}

export interface GitProvider {
  readonly kind: 'local' | 'azure-devops' | string;
  createRepository(repo: RepositoryLocator, input: CreateRepositoryInput): Promise<RepositoryInfo>;
  getRepository(repo: RepositoryLocator): Promise<RepositoryInfo | undefined>;
  listBranches(repo: RepositoryLocator): Promise<BranchInfo[]>;
  /** the sha a branch points to, undefined when it does not exist */
  resolveBranch(repo: RepositoryLocator, branch: string): Promise<string | undefined>;
  /** from a branch name or a commit sha; GitConflictError when the branch exists */
  createBranch(repo: RepositoryLocator, name: string, from: string): Promise<BranchInfo>;
  deleteBranch(repo: RepositoryLocator, name: string, expectedSha?: string): Promise<void>;
  commit(repo: RepositoryLocator, input: CommitInput): Promise<CommitResult>;
  getCommit(repo: RepositoryLocator, sha: string): Promise<CommitInfo | undefined>;
  /** commits reachable from `branch` and not from `base`, newest first */
  log(repo: RepositoryLocator, branch: string, options?: { base?: string; limit?: number }): Promise<CommitInfo[]>;
  readFile(repo: RepositoryLocator, revision: string, path: string): Promise<Buffer | undefined>;
  listFiles(repo: RepositoryLocator, revision: string, directory?: string): Promise<string[]>;
  /** files changed between two revisions */
  diff(repo: RepositoryLocator, base: string, head: string): Promise<Array<{ path: string; change: 'added' | 'modified' | 'deleted' }>>;
  /** GitMergeConflictError when the branches conflict; GitConflictError when target moved */
  merge(repo: RepositoryLocator, input: MergeInput): Promise<CommitResult>;
  /** a new commit on `branch` undoing `sha` (the GitOps rollback) */
  revert(repo: RepositoryLocator, input: { branch: string; sha: string; message: string; author: GitIdentity; expectedParentSha?: string; trailers?: Record<string, string> }): Promise<CommitResult>;
}

/** Optional: providers that host pull requests themselves mirror the platform's. */
export interface PullRequestHost {
  openPullRequest(repo: RepositoryLocator, input: { source: string; target: string; title: string; description: string; author: GitIdentity }): Promise<{ providerPullRequestId: string; url: string }>;
  comment(repo: RepositoryLocator, providerPullRequestId: string, input: { body: string; author: GitIdentity; threadId?: string }): Promise<{ threadId: string; commentId: string }>;
  setStatus(repo: RepositoryLocator, providerPullRequestId: string, input: { name: string; state: 'pending' | 'succeeded' | 'failed' | 'error'; description?: string; targetUrl?: string }): Promise<void>;
  complete(repo: RepositoryLocator, providerPullRequestId: string, input: { strategy: MergeStrategy; message: string; deleteSourceBranch: boolean; expectedSourceSha?: string }): Promise<{ mergeSha: string }>;
  abandon(repo: RepositoryLocator, providerPullRequestId: string): Promise<void>;
}

// Typed failures every adapter maps its errors to (the services map them to coded platform errors).
export class GitProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A ref moved under us (compare-and-swap lost), or a branch/repository already exists. */
export class GitConflictError extends GitProviderError {}
/** The merge cannot be done without a human: conflicting paths are in details.paths. */
export class GitMergeConflictError extends GitProviderError {}
export class GitNotFoundError extends GitProviderError {}
/** The input can never succeed: a bad path, a bad branch name, too many or too large files. */
export class GitInvalidInputError extends GitProviderError {}
/** The repository on disk is damaged or not writable; the provider is down. */
export class GitUnavailableError extends GitProviderError {}
