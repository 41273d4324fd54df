// On the real git CLI in a temp directory: every method, the compare-and-swap guarantees, and the failure mapping.
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeReadOnly } from '@delivery/testing';
import {
  CommitResult,
  GitConflictError,
  GitIdentity,
  GitInvalidInputError,
  GitMergeConflictError,
  GitNotFoundError,
  GitUnavailableError,
  RepositoryLocator,
} from './git-provider.port';
import { LocalGitProvider } from './local-git.adapter';
import { validateBranchName } from './path-policy';

const author: GitIdentity = { name: 'Agent Smith', email: 'agent@example.test' };
let dataDir: string;
let git: LocalGitProvider;
let counter = 0;

function locator(): RepositoryLocator {
  return { tenantId: 'acme', projectId: 'shop', name: `repo-${++counter}` };
}

async function repoWith(files: Record<string, string> = { 'README.md': '# hi\n' }) {
  const repo = locator();
  const info = await git.createRepository(repo, {
    defaultBranch: 'main',
    author,
    initialFiles: Object.entries(files).map(([path, content]) => ({ action: 'add' as const, path, content })),
  });
  return { repo, info };
}

async function put(repo: RepositoryLocator, branch: string, files: Record<string, string>, extra: { expectedParentSha?: string; createBranch?: boolean } = {}) {
  return git.commit(repo, {
    branch,
    author,
    message: `write ${Object.keys(files).join(', ')}`,
    changes: Object.entries(files).map(([path, content]) => ({ action: 'update' as const, path, content })),
    ...extra,
  });
}

async function text(repo: RepositoryLocator, rev: string, path: string) {
  return (await git.readFile(repo, rev, path))?.toString('utf8');
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'local-git-adapter-'));
  git = new LocalGitProvider({ dataDir, maxFiles: 50, maxFileBytes: 1024 });
});

afterAll(async () => {
  await chmod(dataDir, 0o755).catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

describe('repositories', () => {
  it('creates a bare repository per tenant/project/name with the initial files', async () => {
    const { repo, info } = await repoWith({ 'a.txt': 'A', 'dir/b.txt': 'B' });
    expect(info).toMatchObject({ providerId: `acme/shop/${repo.name}`, defaultBranch: 'main' });
    expect(info.cloneUrl).toBe(`file://${join(dataDir, 'acme', 'shop', `${repo.name}.git`)}`);
    expect(await git.getRepository(repo)).toEqual(info);
    expect(await git.listFiles(repo, 'main')).toEqual(['a.txt', 'dir/b.txt']);
    const [first] = await git.log(repo, 'main');
    expect(first).toMatchObject({ sha: info.headSha, parents: [], message: 'Initial commit', author: { name: author.name, email: author.email } });
  });

  it('starts with an empty commit when there are no initial files', async () => {
    const repo = locator();
    const info = await git.createRepository(repo, { defaultBranch: 'trunk', author, message: 'empty start' });
    expect(await git.listFiles(repo, 'trunk')).toEqual([]);
    expect((await git.getCommit(repo, info.headSha))?.message).toBe('empty start');
  });

  it('rejects an existing repository, even when created concurrently', async () => {
    const repo = locator();
    const results = await Promise.allSettled([1, 2, 3].map(() => git.createRepository(repo, { defaultBranch: 'main', author })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect(r.reason).toBeInstanceOf(GitConflictError);
  });

  it('answers undefined for a missing repository and NotFound for operations on it', async () => {
    const repo = locator();
    expect(await git.getRepository(repo)).toBeUndefined();
    await expect(git.listBranches(repo)).rejects.toBeInstanceOf(GitNotFoundError);
  });

  it('rejects locator tokens that would escape the data directory', async () => {
    for (const bad of ['..', '../x', 'a/b', '.git', '']) {
      await expect(git.getRepository({ tenantId: bad, projectId: 'p', name: 'n' })).rejects.toBeInstanceOf(GitInvalidInputError);
      await expect(git.createRepository({ tenantId: 't', projectId: 'p', name: bad }, { defaultBranch: 'main', author })).rejects.toBeInstanceOf(GitInvalidInputError);
    }
  });

  it('ignores the user and system git config (fixed environment)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'local-git-home-'));
    await writeFile(join(home, '.gitconfig'), '[user]\n\tname = Leaked\n[init]\n\tdefaultBranch = leaked\n[commit]\n\tgpgsign = true\n');
    const previous = process.env['HOME'];
    process.env['HOME'] = home;
    try {
      const { repo } = await repoWith();
      const [head] = await git.log(repo, 'main');
      expect(head?.author.name).toBe(author.name);
    } finally {
      process.env['HOME'] = previous;
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('branches', () => {
  it('creates from a branch or a sha, lists, resolves and deletes with compare-and-swap', async () => {
    const { repo, info } = await repoWith();
    const second = await put(repo, 'main', { 'x.txt': '1' });
    expect(await git.createBranch(repo, 'feature/a', 'main')).toEqual({ name: 'feature/a', sha: second.sha });
    expect(await git.createBranch(repo, 'old', info.headSha)).toEqual({ name: 'old', sha: info.headSha });
    await expect(git.createBranch(repo, 'old', 'main')).rejects.toBeInstanceOf(GitConflictError);
    await expect(git.createBranch(repo, 'other', 'no-such-branch')).rejects.toBeInstanceOf(GitNotFoundError);
    expect(await git.listBranches(repo)).toEqual([
      { name: 'feature/a', sha: second.sha },
      { name: 'main', sha: second.sha },
      { name: 'old', sha: info.headSha },
    ]);
    expect(await git.resolveBranch(repo, 'old')).toBe(info.headSha);
    expect(await git.resolveBranch(repo, 'nope')).toBeUndefined();

    await expect(git.deleteBranch(repo, 'old', second.sha)).rejects.toMatchObject({ name: 'GitConflictError', details: { expected: second.sha, actual: info.headSha } });
    await git.deleteBranch(repo, 'old', info.headSha);
    await git.deleteBranch(repo, 'feature/a');
    expect((await git.listBranches(repo)).map((b) => b.name)).toEqual(['main']);
    await expect(git.deleteBranch(repo, 'old')).rejects.toBeInstanceOf(GitNotFoundError);
    await expect(git.deleteBranch(repo, 'main')).rejects.toBeInstanceOf(GitInvalidInputError);
  });

  it('agrees with `git check-ref-format --branch` on good and bad names', () => {
    // '@' is left out: `--branch` expands it to the current branch, while refs/heads/@ itself is invalid
    const names = ['main', 'feature/x', 'release/1.2.3', 'user@host', 'a.b', '-x', 'HEAD', 'a..b', 'a b', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', '/a', 'a/', 'a//b', 'a.', '.a', 'a/.b', 'a.lock', 'a@{1}'];
    for (const name of names) {
      let gitAccepts = true;
      try {
        execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'pipe', env: { PATH: process.env['PATH'] ?? '', GIT_CONFIG_NOSYSTEM: '1', HOME: dataDir } });
      } catch {
        gitAccepts = false;
      }
      let oursAccepts = true;
      try {
        validateBranchName(name);
      } catch {
        oursAccepts = false;
      }
      expect({ name, accepted: oursAccepts }).toEqual({ name, accepted: gitAccepts });
    }
  });

  it('rejects a bad branch name on every entry point', async () => {
    const { repo } = await repoWith();
    await expect(git.createBranch(repo, 'a..b', 'main')).rejects.toBeInstanceOf(GitInvalidInputError);
    await expect(put(repo, '-oops', { a: '1' })).rejects.toBeInstanceOf(GitInvalidInputError);
    await expect(git.resolveBranch(repo, 'x y')).rejects.toBeInstanceOf(GitInvalidInputError);
  });
});

describe('commits and reads', () => {
  it('commits adds, updates, deletes and executables without a working tree; reads them back', async () => {
    const { repo, info } = await repoWith({ 'a.txt': 'A', 'gone.txt': 'bye' });
    const result = await git.commit(repo, {
      branch: 'main',
      expectedParentSha: info.headSha,
      author,
      committer: { name: 'Bot', email: 'bot@example.test' },
      message: 'change things',
      changes: [
        { action: 'update', path: 'a.txt', content: 'A2' },
        { action: 'add', path: 'deep/dir/bin.dat', content: Buffer.from([0, 255, 1]).toString('base64'), encoding: 'base64' },
        { action: 'add', path: 'run.sh', content: '#!/bin/sh\n', executable: true },
        { action: 'delete', path: 'gone.txt' },
      ],
    });
    expect(result).toMatchObject({ parentSha: info.headSha, branch: 'main' });
    expect(await git.resolveBranch(repo, 'main')).toBe(result.sha);
    expect(await text(repo, 'main', 'a.txt')).toBe('A2');
    expect(await git.readFile(repo, result.sha, 'deep/dir/bin.dat')).toEqual(Buffer.from([0, 255, 1]));
    expect(await git.readFile(repo, 'main', 'gone.txt')).toBeUndefined();
    expect(await git.readFile(repo, 'main', 'deep')).toBeUndefined(); // a directory is not a file
    expect(await git.readFile(repo, 'no-such-rev', 'a.txt')).toBeUndefined();
    expect(await text(repo, info.headSha, 'gone.txt')).toBe('bye');
    expect(await git.listFiles(repo, 'main')).toEqual(['a.txt', 'deep/dir/bin.dat', 'run.sh']);
    expect(await git.listFiles(repo, 'main', 'deep')).toEqual(['deep/dir/bin.dat']);
    expect(await git.listFiles(repo, 'main', 'nope')).toEqual([]);
    const mode = execFileSync('git', [`--git-dir=${join(dataDir, 'acme', 'shop', `${repo.name}.git`)}`, 'ls-tree', 'main', 'run.sh']).toString();
    expect(mode.startsWith('100755')).toBe(true);
    expect(await git.diff(repo, info.headSha, 'main')).toEqual([
      { path: 'a.txt', change: 'modified' },
      { path: 'deep/dir/bin.dat', change: 'added' },
      { path: 'gone.txt', change: 'deleted' },
      { path: 'run.sh', change: 'added' },
    ]);
  });

  it('round-trips trailers and keeps them out of the message', async () => {
    const { repo } = await repoWith();
    const result = await git.commit(repo, {
      branch: 'main',
      author,
      message: 'Add pipeline\n\nGenerated by the agent.',
      trailers: { 'Artifact-Id': 'art-1', 'Trace-Id': '0af7651916cd43dd8448eb211c80319c', 'Idempotency-Key': 'k:1' },
      changes: [{ action: 'add', path: 'p.yml', content: 'x' }],
    });
    const commit = await git.getCommit(repo, result.sha);
    expect(commit).toMatchObject({
      sha: result.sha,
      message: 'Add pipeline\n\nGenerated by the agent.',
      trailers: { 'Artifact-Id': 'art-1', 'Trace-Id': '0af7651916cd43dd8448eb211c80319c', 'Idempotency-Key': 'k:1' },
    });
    expect(commit?.author.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await git.getCommit(repo, 'f'.repeat(40))).toBeUndefined();
  });

  it('logs newest first, with base and limit', async () => {
    const { repo, info } = await repoWith();
    const c1 = await put(repo, 'main', { a: '1' });
    const c2 = await put(repo, 'main', { a: '2' });
    const c3 = await put(repo, 'main', { a: '3' });
    expect((await git.log(repo, 'main')).map((c) => c.sha)).toEqual([c3.sha, c2.sha, c1.sha, info.headSha]);
    expect((await git.log(repo, 'main', { base: c1.sha })).map((c) => c.sha)).toEqual([c3.sha, c2.sha]);
    expect((await git.log(repo, 'main', { limit: 1 })).map((c) => c.sha)).toEqual([c3.sha]);
    expect((await git.log(repo, 'main')).find((c) => c.sha === c2.sha)?.parents).toEqual([c1.sha]);
  });

  it('creates a branch on commit when asked, from the default head or expectedParentSha', async () => {
    const { repo, info } = await repoWith();
    await expect(put(repo, 'topic', { a: '1' })).rejects.toBeInstanceOf(GitNotFoundError);
    const fromDefault = await put(repo, 'topic', { a: '1' }, { createBranch: true });
    expect(fromDefault.parentSha).toBe(info.headSha);
    const main2 = await put(repo, 'main', { m: '1' });
    const fromSha = await put(repo, 'topic2', { b: '1' }, { createBranch: true, expectedParentSha: main2.sha });
    expect(fromSha.parentSha).toBe(main2.sha);
  });

  it('rejects bad input with GitInvalidInputError naming the path and rule', async () => {
    const { repo } = await repoWith();
    const cases: Array<[string, Parameters<LocalGitProvider['commit']>[1]['changes'], string]> = [
      ['traversal', [{ action: 'add', path: '../../escape.txt', content: 'x' }], 'parent-segment'],
      ['absolute', [{ action: 'add', path: '/etc/passwd', content: 'x' }], 'absolute'],
      ['.git', [{ action: 'add', path: 'sub/.Git/config', content: 'x' }], 'git-directory'],
      ['oversize', [{ action: 'add', path: 'big', content: 'x'.repeat(1025) }], 'file-too-large'],
      ['too many', Array.from({ length: 51 }, (_, i) => ({ action: 'add' as const, path: `f${i}`, content: '' })), 'too-many-files'],
      ['duplicate', [{ action: 'add', path: 'd', content: '1' }, { action: 'update', path: 'd', content: '2' }], 'duplicate-path'],
    ];
    const head = await git.resolveBranch(repo, 'main');
    for (const [label, changes, rule] of cases) {
      const error = await git.commit(repo, { branch: 'main', author, message: label, changes }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitInvalidInputError);
      expect({ label, rule: (error as GitInvalidInputError).details?.['rule'] }).toEqual({ label, rule });
    }
    expect(await git.resolveBranch(repo, 'main')).toBe(head);
    await expect(git.readFile(repo, 'main', '../x')).rejects.toBeInstanceOf(GitInvalidInputError);
    await expect(git.log(repo, '--all')).rejects.toBeInstanceOf(GitInvalidInputError);
  });
});

describe('compare-and-swap', () => {
  it('rejects a stale expectedParentSha with expected and actual', async () => {
    const { repo, info } = await repoWith();
    const moved = await put(repo, 'main', { a: '1' });
    const error = await put(repo, 'main', { a: '2' }, { expectedParentSha: info.headSha }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitConflictError);
    expect((error as GitConflictError).details).toMatchObject({ expected: info.headSha, actual: moved.sha });
  });

  it('20 concurrent commits on one parent: exactly one wins, the rest conflict, nothing is lost', async () => {
    const { repo, info } = await repoWith();
    // two provider instances on one data directory behave like two service replicas
    const other = new LocalGitProvider({ dataDir });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? other : git).commit(repo, { branch: 'main', author, expectedParentSha: info.headSha, message: `c${i}`, changes: [{ action: 'add', path: `f${i}`, content: `${i}` }] }),
      ),
    );
    const winners = results.filter((r) => r.status === 'fulfilled');
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(winners).toHaveLength(1);
    for (const loser of losers) expect(loser.reason).toBeInstanceOf(GitConflictError);
    const log = await git.log(repo, 'main');
    expect(log.map((c) => c.sha)).toEqual([(winners[0] as PromiseFulfilledResult<{ sha: string }>).value.sha, info.headSha]);
  });

  it('20 rounds of concurrent commits chained on expectedParentSha: the final log is exactly the winners', async () => {
    const { repo, info } = await repoWith();
    const winners: string[] = [];
    let parent = info.headSha;
    let written = 0;
    while (written < 20) {
      const round = await Promise.allSettled(
        [0, 1, 2].map((k) => git.commit(repo, { branch: 'main', author, expectedParentSha: parent, message: `r${written}-${k}`, changes: [{ action: 'add', path: `f${written}-${k}`, content: 'x' }] })),
      );
      const won = round.filter((r): r is PromiseFulfilledResult<CommitResult> => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      parent = won[0]!.value.sha;
      winners.unshift(parent);
      written++;
    }
    expect((await git.log(repo, 'main')).map((c) => c.sha)).toEqual([...winners, info.headSha]);
  });

  it('concurrent commits without expectedParentSha all land (retried on the new head)', async () => {
    const { repo, info } = await repoWith();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => git.commit(repo, { branch: 'main', author, message: `n${i}`, changes: [{ action: 'add', path: `n${i}`, content: `${i}` }] })),
    );
    const log = await git.log(repo, 'main');
    expect(log).toHaveLength(13);
    expect(new Set(log.map((c) => c.sha))).toEqual(new Set([...results.map((r) => r.sha), info.headSha]));
    expect(await git.listFiles(repo, 'main')).toEqual(expect.arrayContaining(Array.from({ length: 12 }, (_, i) => `n${i}`)));
  });
});

describe('merge and revert', () => {
  async function diverged() {
    const { repo } = await repoWith({ 'shared.txt': 'base\n', 'other.txt': 'o\n' });
    await git.createBranch(repo, 'feature', 'main');
    const feature = await put(repo, 'feature', { 'feature.txt': 'f\n' });
    const main = await put(repo, 'main', { 'main.txt': 'm\n' });
    return { repo, feature, main };
  }

  it('fast-forwards when the target is an ancestor, else not-fast-forward', async () => {
    const { repo, info } = await repoWith();
    await git.createBranch(repo, 'feature', 'main');
    const f = await put(repo, 'feature', { a: '1' });
    expect(await git.merge(repo, { source: 'feature', target: 'main', strategy: 'fast-forward', author, message: 'ff' })).toEqual({ sha: f.sha, parentSha: info.headSha, branch: 'main' });
    expect(await git.resolveBranch(repo, 'main')).toBe(f.sha);

    const d = await diverged();
    await expect(git.merge(d.repo, { source: 'feature', target: 'main', strategy: 'fast-forward', author, message: 'ff' })).rejects.toMatchObject({ name: 'GitConflictError', code: 'not-fast-forward' });
  });

  it('refuses to merge a source that moved past the head the caller checked', async () => {
    const d = await diverged();
    const pushed = await put(d.repo, 'feature', { 'late.txt': 'pushed after the review\n' });
    await expect(git.merge(d.repo, { source: 'feature', target: 'main', strategy: 'merge', author, message: 'm', expectedSourceSha: d.feature.sha })).rejects.toMatchObject({
      name: 'GitConflictError',
      code: 'ref-conflict',
      details: { expected: d.feature.sha, actual: pushed.sha },
    });
    expect(await git.resolveBranch(d.repo, 'main')).toBe(d.main.sha);
  });

  it('merges with two parents and squashes with one, combining both sides', async () => {
    const d = await diverged();
    await git.createBranch(d.repo, 'main-copy', 'main');
    const merged = await git.merge(d.repo, { source: 'feature', target: 'main', strategy: 'merge', author, message: 'Merge feature', trailers: { 'Pull-Request': '7' }, expectedTargetSha: d.main.sha });
    expect((await git.getCommit(d.repo, merged.sha))?.parents).toEqual([d.main.sha, d.feature.sha]);
    expect((await git.getCommit(d.repo, merged.sha))?.trailers).toEqual({ 'Pull-Request': '7' });
    expect(await git.listFiles(d.repo, 'main')).toEqual(['feature.txt', 'main.txt', 'other.txt', 'shared.txt']);

    const squashed = await git.merge(d.repo, { source: 'feature', target: 'main-copy', strategy: 'squash', author, message: 'Squash feature' });
    expect((await git.getCommit(d.repo, squashed.sha))?.parents).toEqual([d.main.sha]);
    expect(await git.listFiles(d.repo, 'main-copy')).toEqual(['feature.txt', 'main.txt', 'other.txt', 'shared.txt']);
    // merging again is a no-op, not an empty commit
    expect((await git.merge(d.repo, { source: 'feature', target: 'main', strategy: 'merge', author, message: 'again' })).sha).toBe(merged.sha);
  });

  it('reports conflicting paths and moves nothing; a moved target is a GitConflictError', async () => {
    const d = await diverged();
    await put(d.repo, 'feature', { 'shared.txt': 'feature side\n' });
    const mainHead = await put(d.repo, 'main', { 'shared.txt': 'main side\n' });
    for (const strategy of ['merge', 'squash'] as const) {
      const error = await git.merge(d.repo, { source: 'feature', target: 'main', strategy, author, message: 'm' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitMergeConflictError);
      expect((error as GitMergeConflictError).details?.['paths']).toEqual(['shared.txt']);
    }
    expect(await git.resolveBranch(d.repo, 'main')).toBe(mainHead.sha);
    await expect(git.merge(d.repo, { source: 'feature', target: 'main', strategy: 'merge', author, message: 'm', expectedTargetSha: d.main.sha })).rejects.toBeInstanceOf(GitConflictError);
  });

  it('reverts a commit in the middle of the history with a new commit', async () => {
    const { repo } = await repoWith({ 'config.yml': 'replicas: 1\n', 'other.txt': 'a\n' });
    const bad = await put(repo, 'main', { 'config.yml': 'replicas: 9\n', 'extra.txt': 'x\n' });
    const later = await put(repo, 'main', { 'other.txt': 'b\n' });
    const reverted = await git.revert(repo, { branch: 'main', sha: bad.sha, author, message: `Revert ${bad.sha}`, expectedParentSha: later.sha, trailers: { Reverts: bad.sha } });
    expect(reverted.parentSha).toBe(later.sha);
    expect(await text(repo, 'main', 'config.yml')).toBe('replicas: 1\n');
    expect(await git.readFile(repo, 'main', 'extra.txt')).toBeUndefined();
    expect(await text(repo, 'main', 'other.txt')).toBe('b\n');
    expect((await git.getCommit(repo, reverted.sha))?.trailers).toEqual({ Reverts: bad.sha });
    // only the reverted commit's objects, never a ref, were written for the helper commit
    expect((await git.listBranches(repo)).map((b) => b.name)).toEqual(['main']);
  });

  it('reports a revert that conflicts with later changes', async () => {
    const { repo } = await repoWith({ 'config.yml': 'replicas: 1\n' });
    const bad = await put(repo, 'main', { 'config.yml': 'replicas: 9\n' });
    await put(repo, 'main', { 'config.yml': 'replicas: 5\n' });
    await expect(git.revert(repo, { branch: 'main', sha: bad.sha, author, message: 'revert' })).rejects.toMatchObject({ name: 'GitMergeConflictError', details: { paths: ['config.yml'] } });
  });
});

describe('failures become GitUnavailableError', () => {
  function pathOf(repo: RepositoryLocator) {
    return join(dataDir, repo.tenantId, repo.projectId, `${repo.name}.git`);
  }

  it('given garbage in HEAD', async () => {
    const { repo } = await repoWith();
    await writeFile(join(pathOf(repo), 'HEAD'), 'garbage\n');
    const error = await git.getRepository(repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitUnavailableError);
    expect((error as Error).message).toMatch(/not a git repository/i);
    await expect(put(repo, 'main', { a: '1' })).rejects.toBeInstanceOf(GitUnavailableError);
  });

  it('given a deleted objects directory', async () => {
    const { repo } = await repoWith();
    await rm(join(pathOf(repo), 'objects'), { recursive: true, force: true });
    await expect(git.listFiles(repo, 'main')).rejects.toBeInstanceOf(GitUnavailableError);
    await expect(git.readFile(repo, 'main', 'README.md')).rejects.toBeInstanceOf(GitUnavailableError);
  });

  it('given garbage in a branch ref', async () => {
    const { repo } = await repoWith();
    await writeFile(join(pathOf(repo), 'refs', 'heads', 'main'), 'not-a-sha\n');
    await expect(git.getRepository(repo)).rejects.toBeInstanceOf(GitUnavailableError);
  });

  it('given a missing git binary', async () => {
    const broken = new LocalGitProvider({ dataDir, gitBinary: join(dataDir, 'no-such-git') });
    await expect(broken.createRepository(locator(), { defaultBranch: 'main', author })).rejects.toMatchObject({ name: 'GitUnavailableError', message: expect.stringContaining('ENOENT') });
  });

  it('given an unwritable location (a file where the project directory should be)', async () => {
    // works as root too: no permission bit stops root, but a file cannot hold a directory
    await mkdir(join(dataDir, 'blocked'), { recursive: true });
    await writeFile(join(dataDir, 'blocked', 'proj'), 'not a directory');
    await expect(git.createRepository({ tenantId: 'blocked', projectId: 'proj', name: 'r' }, { defaultBranch: 'main', author })).rejects.toBeInstanceOf(GitUnavailableError);
  });

  it('given an unwritable object store (a file where an object directory must go)', async () => {
    const { repo } = await repoWith();
    const content = 'unwritable content\n';
    const oid = execFileSync('git', ['hash-object', '--stdin'], { input: content }).toString().trim();
    await writeFile(join(pathOf(repo), 'objects', oid.slice(0, 2)), 'blocker');
    const head = await git.resolveBranch(repo, 'main');
    await expect(put(repo, 'main', { 'x.txt': content })).rejects.toBeInstanceOf(GitUnavailableError);
    expect(await git.resolveBranch(repo, 'main')).toBe(head);
  });
});

describe('read-only repository (immutable as root, chmod a-w otherwise)', () => {
  it('maps the write failure to GitUnavailableError and leaves the branch alone', async () => {
    const { repo } = await repoWith();
    const path = join(dataDir, repo.tenantId, repo.projectId, `${repo.name}.git`);
    const head = await git.resolveBranch(repo, 'main');
    const lock = makeReadOnly(path);
    try {
      await expect(put(repo, 'main', { a: '1' })).rejects.toBeInstanceOf(GitUnavailableError);
      expect(await git.resolveBranch(repo, 'main')).toBe(head);
    } finally {
      lock.release();
    }
  });
});
