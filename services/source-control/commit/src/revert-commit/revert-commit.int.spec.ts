import { createGitSandbox, type GitSandbox, type SeededRepository } from '@delivery/repository-directory/testing';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, type ServiceFixture } from '@delivery/testing';
import { commitService } from '../commit.service';
import { commitCreated, commitFailed, commitsCreated, protectBranch, seedKnown } from '../commit.testing';

// RevertCommit over the bus on real git, NATS and Postgres: how desired state in git is rolled back.
describe('RevertCommit', () => {
  let fx: ServiceFixture;
  let service: RunningService;
  let sandbox: GitSandbox;

  beforeAll(async () => {
    sandbox = await createGitSandbox();
    fx = await createServiceFixture('commit');
    service = await fx.start(commitService());
  });
  afterAll(async () => {
    await fx?.close();
    await sandbox?.close();
  });

  // a repository with a commit on main that changes a.txt and adds b.txt
  async function withChange(name: string): Promise<{ repo: SeededRepository; sha: string }> {
    const repo = await seedKnown(fx, sandbox, service, name, { files: { 'a.txt': 'one\n' } });
    await fx.send('CreateCommit', {
      repositoryId: repo.repositoryId,
      branch: 'main',
      message: 'Bump a, add b',
      changes: [
        { action: 'update', path: 'a.txt', content: 'two\n' },
        { action: 'add', path: 'b.txt', content: 'b\n' },
      ],
    });
    const change = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.message === 'Bump a, add b');
    return { repo, sha: change.payload.sha };
  }

  it('writes a commit undoing the given one, with the lineage trailers and revertOf', async () => {
    const { repo, sha } = await withChange('reverted');
    const command = await fx.send('RevertCommit', { repositoryId: repo.repositoryId, branch: 'main', sha, trailers: { 'Release-Id': 'r-1' } });
    const event = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.revertOf === sha);
    expect(event).toMatchObject({ traceId: command.traceId, causationId: command.id });
    expect(event.payload).toMatchObject({
      branch: 'main',
      parentSha: sha,
      message: `Revert "Bump a, add b"\n\nThis reverts commit ${sha}.`,
      author: { kind: 'agent', id: 'agent-7' },
      files: [
        { path: 'a.txt', action: 'update' },
        { path: 'b.txt', action: 'delete' },
      ],
      trailers: { 'Command-Id': command.id, 'Trace-Id': command.traceId, 'Release-Id': 'r-1' },
    });
    expect((await sandbox.git.readFile(repo.locator, 'main', 'a.txt'))?.toString()).toBe('one\n');
    expect(await sandbox.git.readFile(repo.locator, 'main', 'b.txt')).toBeUndefined();
    expect((await sandbox.git.getCommit(repo.locator, event.payload.sha))?.trailers).toMatchObject({ 'Command-Id': command.id, 'Trace-Id': command.traceId });
  });

  it('a redelivered revert and a second command with the same key revert once', async () => {
    const { repo, sha } = await withChange('reverted-once');
    const command = await fx.send('RevertCommit', { repositoryId: repo.repositoryId, branch: 'main', sha, idempotencyKey: 'rollback-1', message: 'Roll back' });
    await fx.publisher.publish(command, { msgId: `${command.id}-again` });
    const again = await fx.send('RevertCommit', { repositoryId: repo.repositoryId, branch: 'main', sha, idempotencyKey: 'rollback-1', message: 'Roll back' }, { correlationId: command.correlationId });
    const answers = await commitsCreated(fx, 2, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.revertOf === sha);
    expect(answers.map((e) => e.causationId)).toEqual([command.id, again.id]);
    expect(answers[1]?.payload).toMatchObject({ sha: answers[0]?.payload.sha, duplicate: true, message: 'Roll back' });
    const log = await sandbox.git.log(repo.locator, 'main');
    expect(log.map((c) => c.message)).toEqual(['Roll back', 'Bump a, add b', 'Initial commit']);
  });

  it('refuses a commit that is not on the branch, an unknown commit and a protected branch', async () => {
    const { repo, sha } = await withChange('refused-reverts');
    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'side', message: 'Side', createBranch: true });
    const side = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.branch === 'side');

    await fx.send('RevertCommit', { repositoryId: repo.repositoryId, branch: 'main', sha: side.payload.sha, idempotencyKey: 'elsewhere' });
    const elsewhere = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.idempotencyKey === 'elsewhere');
    expect(elsewhere.payload.error).toMatchObject({ code: 'git.not-on-branch', retryable: false });

    await fx.send('RevertCommit', { repositoryId: repo.repositoryId, branch: 'main', sha: 'ffffffffffffffffffffffffffffffffffffffff', idempotencyKey: 'unknown' });
    const unknown = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.idempotencyKey === 'unknown');
    expect(unknown.payload.error).toMatchObject({ code: 'commit.not-found', retryable: false });

    await protectBranch(fx, service, repo.repositoryId, 'main');
    await fx.send('RevertCommit', { repositoryId: repo.repositoryId, branch: 'main', sha, idempotencyKey: 'protected' });
    const protectedBranch = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.idempotencyKey === 'protected');
    expect(protectedBranch.payload.error).toMatchObject({ code: 'branch.protected', retryable: false });
    expect(await sandbox.git.log(repo.locator, 'main')).toHaveLength(2);
  });
});
