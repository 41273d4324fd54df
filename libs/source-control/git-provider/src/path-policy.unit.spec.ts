import { GitInvalidInputError } from './git-provider.port';
import { formatCommitMessage, parseTrailers, stripTrailerBlock, validateIdentity } from './commit-message';
import { validateBranchName, validateFileChanges, validateLocatorToken, validateRepoPath } from './path-policy';

function ruleOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GitInvalidInputError);
    return (error as GitInvalidInputError).details?.['rule'];
  }
  throw new Error('expected a GitInvalidInputError');
}

const GOOD_BRANCHES = ['main', 'feature/x', 'release/1.2.3', 'a-b_c', 'user@host', 'fix/issue#3', 'a.b', 'x/y/z'];
const BAD_BRANCHES = ['', '-x', 'HEAD', '@', 'a..b', 'a b', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', '/a', 'a/', 'a//b', 'a.', '.a', 'a/.b', 'a.lock', 'a/b.lock/c', 'a@{1}', 'a\tb', 'a\u007fb'];

describe('validateRepoPath', () => {
  it.each([
    ['/etc/passwd', 'absolute'],
    ['a/../b', 'parent-segment'],
    ['..', 'parent-segment'],
    ['a\\b', 'backslash'],
    ['a//b', 'empty-segment'],
    ['a/', 'empty-segment'],
    ['', 'empty'],
    ['.git/config', 'git-directory'],
    ['src/.GIT/hooks/x', 'git-directory'],
    ['a/./b', 'dot-segment'],
    ['a\u0000b', 'control-character'],
    ['a\nb', 'control-character'],
    [`${'x'.repeat(256)}/a`, 'too-long'],
  ])('given %j, rejects it with rule %s', (path, rule) => {
    expect(ruleOf(() => validateRepoPath(path))).toBe(rule);
  });

  it('given a nested path with dots in names, accepts it', () => {
    expect(validateRepoPath('src/.github/a.b..c/.gitignore')).toBe('src/.github/a.b..c/.gitignore');
  });

  it('puts the path and a readable reason in the error', () => {
    try {
      validateRepoPath('../x');
    } catch (error) {
      expect((error as GitInvalidInputError).details).toEqual({ path: '../x', rule: 'parent-segment' });
      expect((error as Error).message).toContain('".." segments are not allowed');
    }
  });
});

describe('validateFileChanges', () => {
  it('given utf8, base64 and delete changes, decodes them with modes', () => {
    const result = validateFileChanges([
      { action: 'add', path: 'a.txt', content: 'héllo' },
      { action: 'update', path: 'bin/run', content: Buffer.from([0, 1, 2]).toString('base64'), encoding: 'base64', executable: true },
      { action: 'delete', path: 'old.txt' },
    ]);
    expect(result[0]).toEqual({ action: 'upsert', path: 'a.txt', content: Buffer.from('héllo'), mode: '100644' });
    expect(result[1]).toEqual({ action: 'upsert', path: 'bin/run', content: Buffer.from([0, 1, 2]), mode: '100755' });
    expect(result[2]).toEqual({ action: 'delete', path: 'old.txt' });
  });

  it('given more files than the limit, rejects them', () => {
    const changes = Array.from({ length: 4 }, (_, i) => ({ action: 'add' as const, path: `f${i}`, content: '' }));
    expect(ruleOf(() => validateFileChanges(changes, { maxFiles: 3 }))).toBe('too-many-files');
    expect(validateFileChanges(changes, { maxFiles: 4 })).toHaveLength(4);
  });

  it('given the default limit, rejects 501 files', () => {
    const changes = Array.from({ length: 501 }, (_, i) => ({ action: 'add' as const, path: `f${i}`, content: '' }));
    expect(ruleOf(() => validateFileChanges(changes))).toBe('too-many-files');
  });

  it('given an oversize file (decoded size), rejects it', () => {
    expect(ruleOf(() => validateFileChanges([{ action: 'add', path: 'a', content: 'x'.repeat(11) }], { maxFileBytes: 10 }))).toBe('file-too-large');
    const tenBytes = Buffer.alloc(10).toString('base64'); // 16 base64 chars, 10 decoded bytes: allowed
    expect(validateFileChanges([{ action: 'add', path: 'a', content: tenBytes, encoding: 'base64' }], { maxFileBytes: 10 })).toHaveLength(1);
    const elevenBytes = Buffer.alloc(11).toString('base64');
    expect(ruleOf(() => validateFileChanges([{ action: 'add', path: 'a', content: elevenBytes, encoding: 'base64' }], { maxFileBytes: 10 }))).toBe('file-too-large');
  });

  it('given the default limit, rejects a file over 5 MiB', () => {
    expect(ruleOf(() => validateFileChanges([{ action: 'add', path: 'a', content: 'x'.repeat(5 * 1024 * 1024 + 1) }]))).toBe('file-too-large');
  });

  it('given invalid base64, rejects it', () => {
    expect(ruleOf(() => validateFileChanges([{ action: 'add', path: 'a', content: '!!!!', encoding: 'base64' }]))).toBe('encoding');
  });

  it('given the same path twice, rejects it', () => {
    expect(
      ruleOf(() =>
        validateFileChanges([
          { action: 'add', path: 'a', content: '1' },
          { action: 'delete', path: 'a' },
        ]),
      ),
    ).toBe('duplicate-path');
  });

  it('given a file and a file below it, rejects them', () => {
    expect(
      ruleOf(() =>
        validateFileChanges([
          { action: 'add', path: 'a/b', content: '1' },
          { action: 'add', path: 'a', content: '2' },
        ]),
      ),
    ).toBe('file-directory-conflict');
  });

  it('given a bad path inside a change, rejects it with the path', () => {
    expect(ruleOf(() => validateFileChanges([{ action: 'add', path: '.git/HEAD', content: 'x' }]))).toBe('git-directory');
  });
});

describe('validateBranchName (git check-ref-format --branch rules)', () => {
  it.each(GOOD_BRANCHES)('accepts %j', (name) => {
    expect(validateBranchName(name)).toBe(name);
  });
  it.each(BAD_BRANCHES)('rejects %j', (name) => {
    expect(ruleOf(() => validateBranchName(name))).toBe('branch-name');
  });
});

describe('validateLocatorToken', () => {
  it.each(['acme', 'team-1', 'a.b_c'])('accepts %j', (token) => {
    expect(validateLocatorToken('tenantId', token)).toBe(token);
  });
  it.each(['', '.', '..', '../x', 'a/b', '.hidden', '-x', 'a b', 'x'.repeat(101), 'a.lock'])('rejects %j', (token) => {
    expect(ruleOf(() => validateLocatorToken('projectId', token))).toBe('locator');
  });
});

describe('commit messages', () => {
  it('given trailers, appends them after a blank line and parses them back', () => {
    const message = formatCommitMessage('Add file\n\nbody text\n', { 'Artifact-Id': 'a1', 'Trace-Id': 't-2' });
    expect(message).toBe('Add file\n\nbody text\n\nArtifact-Id: a1\nTrace-Id: t-2\n');
    const trailers = parseTrailers('Artifact-Id: a1\nTrace-Id: t-2\n');
    expect(trailers).toEqual({ 'Artifact-Id': 'a1', 'Trace-Id': 't-2' });
    expect(stripTrailerBlock(message, trailers)).toBe('Add file\n\nbody text');
  });

  it.each<Record<string, string>>([{ 'Bad Key': 'x' }, { Key: 'multi\nline' }, { Key: '' }])('rejects the trailers %j', (trailers) => {
    expect(ruleOf(() => formatCommitMessage('m', trailers))).toBe('trailer');
  });

  it.each([{ name: '', email: 'a@b' }, { name: 'a', email: '<x>' }, { name: 'a\nb', email: 'a@b' }])('rejects the identity %j', (identity) => {
    expect(ruleOf(() => validateIdentity('author', identity))).toBe('identity');
  });
});
