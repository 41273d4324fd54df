// Plumbing on one bare repository: no working tree, a throw-away index per commit, refs moved only by
// compare-and-swap (`git update-ref <ref> <new> <old>`).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitCli } from './git-cli';
import { parseTrailers, stripTrailerBlock } from './commit-message';
import { CommitInfo, GitConflictError, GitIdentity, GitMergeConflictError, GitUnavailableError } from './git-provider.port';
import { ValidatedChange } from './path-policy';

export const ZERO_OID = '0'.repeat(40);
const SEP = '\x1f';
const LOG_FORMAT = ['%H', '%P', '%an', '%ae', '%aI', '%(trailers:only,unfold)', '%B'].join('%x1f');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class GitRepository {
  constructor(
    private readonly cli: GitCli,
    readonly gitDir: string,
  ) {}

  private run(args: string[], options: { input?: string | Buffer; env?: Record<string, string>; okExitCodes?: number[] } = {}) {
    return this.cli.run(args, { ...options, gitDir: this.gitDir });
  }

  /** a `--verify --quiet` lookup: exit 1 means "no such thing", anything else non-zero is a broken repository */
  private async verify(revision: string): Promise<string | undefined> {
    const result = await this.run(['rev-parse', '--verify', '--quiet', revision], { okExitCodes: [1] });
    return result.code === 0 ? result.stdout.toString('utf8').trim() : undefined;
  }

  resolveBranch(branch: string): Promise<string | undefined> {
    return this.verify(`refs/heads/${branch}`);
  }

  resolveCommit(revision: string): Promise<string | undefined> {
    return this.verify(`${revision}^{commit}`);
  }

  /** a branch name first (so a branch is never mistaken for a tag or abbreviated sha), else any commit-ish */
  async resolveRevision(revision: string): Promise<string | undefined> {
    return (await this.verify(`refs/heads/${revision}^{commit}`)) ?? this.resolveCommit(revision);
  }

  resolveTree(revision: string): Promise<string | undefined> {
    return this.verify(`${revision}^{tree}`);
  }

  /** the object at `<commit>:<path>` when it exists and has the wanted type */
  async resolveEntry(commit: string, path: string, type: 'tree' | 'blob'): Promise<string | undefined> {
    const oid = await this.verify(`${commit}:${path}`);
    if (!oid) return undefined;
    return (await this.cli.text(['cat-file', '-t', oid], { gitDir: this.gitDir })).trim() === type ? oid : undefined;
  }

  async defaultBranch(): Promise<string> {
    return (await this.cli.text(['symbolic-ref', '--short', 'HEAD'], { gitDir: this.gitDir })).trim();
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const result = await this.run(['merge-base', '--is-ancestor', ancestor, descendant], { okExitCodes: [1] });
    return result.code === 0;
  }

  async emptyTree(): Promise<string> {
    return (await this.run(['hash-object', '-t', 'tree', '-w', '--stdin'], { input: '' })).stdout.toString('utf8').trim();
  }

  /** parent's tree plus the changes, through a temporary index file (GIT_INDEX_FILE), never a working tree */
  async buildTree(parent: string | undefined, changes: readonly ValidatedChange[]): Promise<string> {
    const tempDir = await mkdtemp(join(tmpdir(), 'git-provider-index-'));
    const env = { GIT_INDEX_FILE: join(tempDir, 'index') };
    try {
      await this.run(parent ? ['read-tree', parent] : ['read-tree', '--empty'], { env });
      const records: string[] = [];
      for (const change of changes) {
        if (change.action === 'delete') {
          records.push(`0 ${ZERO_OID}\t${change.path}`); // mode 0 removes the entry (a missing path is a no-op)
        } else {
          const oid = (await this.run(['hash-object', '-w', '--stdin'], { input: change.content })).stdout.toString('utf8').trim();
          records.push(`${change.mode} ${oid}\t${change.path}`);
        }
      }
      if (records.length > 0) {
        // one process for all entries; --replace lets a file replace a directory of the parent and vice versa
        await this.run(['update-index', '--add', '--replace', '-z', '--index-info'], { env, input: records.join('\0') + '\0' });
      }
      return (await this.run(['write-tree'], { env })).stdout.toString('utf8').trim();
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  }

  async commitTree(tree: string, parents: readonly string[], message: string, author: GitIdentity, committer: GitIdentity = author): Promise<string> {
    const env = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
    };
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
    return (await this.run(args, { env, input: message })).stdout.toString('utf8').trim();
  }

  /**
   * Moves (or deletes, newSha null) a ref only if it is still at `expectedOld` (ZERO_OID: must not exist).
   * A lost race is a GitConflictError carrying the expected and actual sha.
   */
  async compareAndSwap(ref: string, newSha: string | null, expectedOld: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const args = newSha === null ? ['update-ref', '-d', ref, expectedOld] : ['update-ref', ref, newSha, expectedOld];
        await this.run(args);
        return;
      } catch (error) {
        const actual = (await this.verify(ref)) ?? ZERO_OID;
        if (actual !== expectedOld) {
          throw new GitConflictError('ref-conflict', `${ref} moved: expected ${expectedOld}, found ${actual}`, { ref, expected: expectedOld, actual });
        }
        // the ref is where we expected, so the failure was not a lost race (lock contention outlasting the lock
        // timeout, or an unwritable repository): try again briefly, then report git's own error
        if (attempt >= 2) throw error;
        await sleep(20 + Math.random() * 50);
      }
    }
  }

  /** `git merge-tree --write-tree`: the merged tree, or GitMergeConflictError with the conflicting paths */
  async mergeTrees(ours: string, theirs: string): Promise<string> {
    const result = await this.run(['merge-tree', '--write-tree', '-z', '--name-only', '--no-messages', ours, theirs], { okExitCodes: [1] });
    const [tree = '', ...rest] = result.stdout.toString('utf8').split('\0');
    if (result.code === 0) return tree.trim();
    const paths = [...new Set(rest.filter((p) => p.length > 0))];
    throw new GitMergeConflictError('merge-conflict', `merge conflict in ${paths.length} path(s): ${paths.join(', ')}`, { paths, ours, theirs });
  }

  async readCommits(revisionArgs: readonly string[]): Promise<CommitInfo[]> {
    const output = await this.cli.text(['log', '-z', `--format=${LOG_FORMAT}`, ...revisionArgs], { gitDir: this.gitDir });
    return output
      .split('\0')
      .filter((record) => record.length > 0)
      .map((record) => {
        const [sha = '', parents = '', name = '', email = '', date = '', trailerBlock = '', ...body] = record.split(SEP);
        if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new GitUnavailableError('git-output', `unexpected git log output: ${record.slice(0, 200)}`);
        const trailers = parseTrailers(trailerBlock);
        return {
          sha,
          parents: parents.split(' ').filter((p) => p.length > 0),
          message: stripTrailerBlock(body.join(SEP), trailers),
          author: { name, email, date },
          trailers,
        };
      });
  }
}
