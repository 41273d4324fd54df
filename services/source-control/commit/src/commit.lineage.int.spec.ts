import { ValidationError } from '@delivery/messaging';
import { createGitSandbox, type GitSandbox } from '@delivery/repository-directory/testing';
import { commandOf } from './commit.testing';
import { ADOPTION_WINDOW, eventTrailers, filesBetween, findCommitOf, lineageTrailers } from './commit.lineage';

const author = { name: 'agent', email: 'agent@example.com' };
const locator = { tenantId: 'acme', projectId: 'web', name: 'lineage' };

// The crash-window adoption on its own, against real git: what a redelivered or keyed command finds on its branch.
describe('commit lineage', () => {
  let sandbox: GitSandbox;

  beforeAll(async () => {
    sandbox = await createGitSandbox();
    await sandbox.git.createRepository(locator, { defaultBranch: 'main', author, initialFiles: [{ action: 'add', path: 'a.txt', content: 'a' }] });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const commit = (trailers: Record<string, string>, changes: Array<{ action: 'add'; path: string; content: string }> = []) =>
    sandbox.git.commit(locator, { branch: 'main', changes, message: 'work', author, trailers });

  it('finds the commit carrying the command’s id, and only that one', async () => {
    const command = commandOf('CreateCommit', { repositoryId: 'r', branch: 'main', message: 'm' });
    const mine = await commit(lineageTrailers(command, {}), [{ action: 'add', path: 'mine.txt', content: 'm' }]);
    await commit({ 'Command-Id': 'someone-else' });
    expect((await findCommitOf(sandbox.git, locator, 'main', { commandId: command.id }))?.sha).toBe(mine.sha);
    expect(await findCommitOf(sandbox.git, locator, 'main', { commandId: 'never-committed' })).toBeUndefined();
    expect(await filesBetween(sandbox.git, locator, mine.parentSha, mine.sha)).toEqual([{ path: 'mine.txt', action: 'add' }]);
  });

  it('with an idempotency key, finds another command’s commit under that key, preferring its own', async () => {
    const other = await commit({ 'Command-Id': 'first-attempt', 'Idempotency-Key': 'k-1' });
    expect((await findCommitOf(sandbox.git, locator, 'main', { commandId: 'second-attempt', idempotencyKey: 'k-1' }))?.sha).toBe(other.sha);
    const own = await commit({ 'Command-Id': 'second-attempt' });
    expect((await findCommitOf(sandbox.git, locator, 'main', { commandId: 'second-attempt', idempotencyKey: 'k-1' }))?.sha).toBe(own.sha);
    expect(await findCommitOf(sandbox.git, locator, 'main', { commandId: 'third', idempotencyKey: 'k-2' })).toBeUndefined();
  });

  it('a branch that does not exist holds nothing to adopt; the search looks back a bounded window', async () => {
    expect(await findCommitOf(sandbox.git, locator, 'not-yet', { commandId: 'x' })).toBeUndefined();
    await commit({ 'Command-Id': 'long-ago' });
    for (let i = 0; i < ADOPTION_WINDOW; i++) await commit({ 'Command-Id': `filler-${i}` });
    expect(await findCommitOf(sandbox.git, locator, 'main', { commandId: 'filler-0' })).toBeDefined();
    expect(await findCommitOf(sandbox.git, locator, 'main', { commandId: 'long-ago' })).toBeUndefined();
  });

  it('lineage trailers cannot be forged or overflow what CommitCreated carries', () => {
    const command = commandOf('CreateCommit', { repositoryId: 'r', branch: 'main', message: 'm' });
    expect(lineageTrailers(command, { artifactId: 'a-1', idempotencyKey: 'k', extra: { 'Release-Id': 'r-1', 'COMMAND-ID': 'forged', 'Trace-Id': 'forged' } })).toEqual({
      'Release-Id': 'r-1',
      'Command-Id': command.id,
      'Trace-Id': command.traceId,
      'Artifact-Id': 'a-1',
      'Idempotency-Key': 'k',
    });
    const many = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`X-${i}`, 'v']));
    expect(() => lineageTrailers(command, { extra: many })).toThrow(ValidationError);
    expect(() => lineageTrailers(command, { idempotencyKey: 'two\nlines' })).toThrow(/one line/);
    expect(() => lineageTrailers(command, { idempotencyKey: ' padded' })).toThrow(ValidationError);
    expect(eventTrailers({ 'Command-Id': 'c', 'lower-case': 'x', Long: 'v'.repeat(501) })).toEqual({ 'Command-Id': 'c' });
  });
});
