import type { CommitInfo, GitProvider, RepositoryLocator } from '@delivery/git-provider';

/** how many answers are kept (a file, a listing, a commit, a diff each count one): a few revisions of 150 apps */
const MAX_ENTRIES = 4_096;
const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

type Diff = Awaited<ReturnType<GitProvider['diff']>>;

// The git reads of a sync, remembered by commit sha: what a commit holds never changes, so a wake or an interval
// that looks at the same revision again reads nothing from git. Every read through the local provider costs up to
// five `git` processes (measured: the service's largest CPU cost before this cache, BENCHMARKS.md, issue 6). Only
// full shas are remembered; a branch name or an abbreviated sha is read through every time.
export class RevisionReader {
  private readonly entries = new Map<string, Promise<unknown>>();

  constructor(private readonly git: GitProvider) {}

  resolveBranch(locator: RepositoryLocator, branch: string): Promise<string | undefined> {
    return this.git.resolveBranch(locator, branch);
  }

  listFiles(locator: RepositoryLocator, revision: string, directory: string): Promise<string[]> {
    return this.remember(['ls', locator, revision, directory], [revision], () => this.git.listFiles(locator, revision, directory));
  }

  readFile(locator: RepositoryLocator, revision: string, path: string): Promise<Buffer | undefined> {
    return this.remember(['file', locator, revision, path], [revision], () => this.git.readFile(locator, revision, path));
  }

  getCommit(locator: RepositoryLocator, sha: string): Promise<CommitInfo | undefined> {
    return this.remember(['commit', locator, sha], [sha], () => this.git.getCommit(locator, sha));
  }

  diff(locator: RepositoryLocator, base: string, head: string): Promise<Diff> {
    return this.remember(['diff', locator, base, head], [base, head], () => this.git.diff(locator, base, head));
  }

  private remember<T>(key: Array<string | RepositoryLocator>, revisions: string[], read: () => Promise<T>): Promise<T> {
    if (!revisions.every((r) => FULL_SHA.test(r))) return read();
    const id = JSON.stringify(key);
    const known = this.entries.get(id) as Promise<T> | undefined;
    if (known) {
      // least recently used goes first: re-inserted at the end
      this.entries.delete(id);
      this.entries.set(id, known);
      return known;
    }
    const pending = read();
    this.entries.set(id, pending);
    // a failed read is not an answer: the next caller reads again
    pending.catch(() => this.entries.get(id) === pending && this.entries.delete(id));
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    return pending;
  }
}
