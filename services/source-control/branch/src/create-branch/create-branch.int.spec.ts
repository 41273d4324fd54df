import { REPOSITORIES_READ, REPOSITORIES_WRITE } from '@delivery/repository-directory';
import { seedRepository } from '@delivery/repository-directory/testing';
import { createEnvelope, uuidv7 } from '@delivery/messaging';
import { CommandRunner } from '@delivery/service-kit';
import { startBranchTestbed, type BranchTestbed } from '../branch.test-fixture';
import { CreateBranchHandler } from './create-branch.handler';

// CreateBranch on real git, NATS and Postgres, through both doors.
describe('CreateBranch', () => {
  let bed: BranchTestbed;

  beforeAll(async () => {
    bed = await startBranchTestbed('branch-create');
  });
  afterAll(() => bed?.close());

  const rejected = (repositoryId: string, branch: string) => bed.event('BranchCommandRejected', (p) => p.repositoryId === repositoryId && p.branch === branch);

  describe('over the bus', () => {
    it('creates a branch from a branch, under the traceId and caused by the command (even sent before the projection caught up)', async () => {
      const repo = await seedRepository(bed.fx, bed.sandbox, 'from-branch'); // no wait: a first delivery may be nak'd
      const command = await bed.fx.send('CreateBranch', { repositoryId: repo.repositoryId, name: 'feature/x', from: { branch: 'main' } });
      const event = await bed.event('BranchCreated', (p) => p.repositoryId === repo.repositoryId);
      expect(event).toMatchObject({ traceId: command.traceId, causationId: command.id, tenantId: 'acme', projectId: 'web', source: 'branch' });
      expect(event.payload).toEqual({ repositoryId: repo.repositoryId, name: 'feature/x', sha: repo.headSha, fromBranch: 'main' });
      expect(await bed.sandbox.git.resolveBranch(repo.locator, 'feature/x')).toBe(repo.headSha);
    });

    it('creates a branch from a sha, with no fromBranch', async () => {
      const repo = await bed.seed('from-sha');
      const next = await bed.sandbox.git.commit(repo.locator, { branch: 'main', changes: [{ action: 'add', path: 'b.txt', content: 'b' }], message: 'b', author: { name: 'x', email: 'x@example.com' } });
      await bed.fx.send('CreateBranch', { repositoryId: repo.repositoryId, name: 'at-first', from: { sha: repo.headSha } });
      const event = await bed.event('BranchCreated', (p) => p.repositoryId === repo.repositoryId);
      expect(event.payload).toMatchObject({ name: 'at-first', sha: repo.headSha, fromBranch: null });
      expect(next.sha).not.toBe(repo.headSha);
    });

    it('refuses an existing branch, an unknown start point and a name git refuses with BranchCommandRejected', async () => {
      const repo = await bed.seed('refusals');
      await bed.sandbox.git.createBranch(repo.locator, 'taken', 'main');
      await bed.fx.send('CreateBranch', { repositoryId: repo.repositoryId, name: 'taken', from: { branch: 'main' } });
      await bed.fx.send('CreateBranch', { repositoryId: repo.repositoryId, name: 'orphan', from: { branch: 'nowhere' } });
      await bed.fx.send('CreateBranch', { repositoryId: repo.repositoryId, name: 'lost', from: { sha: 'f'.repeat(40) } });
      await bed.fx.send('CreateBranch', { repositoryId: repo.repositoryId, name: 'a..b', from: { branch: 'main' } });
      const [taken, orphan, lost, bad] = await Promise.all([rejected(repo.repositoryId, 'taken'), rejected(repo.repositoryId, 'orphan'), rejected(repo.repositoryId, 'lost'), rejected(repo.repositoryId, 'a..b')]);
      expect(taken.payload).toMatchObject({ command: 'CreateBranch', error: { code: 'git.branch-exists', retryable: false } });
      expect(orphan.payload.error).toMatchObject({ code: 'branch.start-not-found', retryable: false });
      expect(lost.payload.error.code).toBe('branch.start-not-found');
      expect(bad.payload.error).toMatchObject({ code: 'git.invalid-branch', retryable: false });
      expect(await bed.count('BranchCreated', repo.repositoryId)).toBe(0);
    });

    it('refuses an unknown repository, and another tenant’s, once the projection had its chances', async () => {
      const repo = await bed.seed('elsewhere');
      const unknown = uuidv7();
      await bed.fx.send('CreateBranch', { repositoryId: unknown, name: 'x', from: { branch: 'main' } });
      await bed.fx.send('CreateBranch', { repositoryId: repo.repositoryId, name: 'intruder', from: { branch: 'main' } }, { tenantId: 'globex' });
      const [missing, foreign] = await Promise.all([rejected(unknown, 'x'), rejected(repo.repositoryId, 'intruder')]);
      expect(missing.payload.error).toMatchObject({ code: 'repository.not-found', retryable: false });
      expect(foreign).toMatchObject({ tenantId: 'globex', payload: { error: { code: 'repository.not-found' } } });
      expect(await bed.sandbox.git.resolveBranch(repo.locator, 'intruder')).toBeUndefined();
    });

    it('a redelivered command yields one branch and one BranchCreated', async () => {
      const repo = await bed.seed('twice');
      const command = await bed.fx.send('CreateBranch', { repositoryId: repo.repositoryId, name: 'once', from: { branch: 'main' } });
      await bed.fx.publisher.publish(command, { msgId: `${command.id}-again` }); // past the duplicate window: the inbox dedupes
      await bed.event('BranchCreated', (p) => p.repositoryId === repo.repositoryId);
      await bed.settled();
      expect(await bed.count('BranchCreated', repo.repositoryId)).toBe(1);
      expect(await bed.count('BranchCommandRejected', repo.repositoryId)).toBe(0);
    });
    it('a redelivery adopts the branch its crashed first attempt left where it would put it; anything else stays refused', async () => {
      const repo = await bed.seed('adopt');
      await bed.sandbox.git.createBranch(repo.locator, 'left-behind', 'main'); // the ref a crashed attempt created
      const runner = bed.service.app.get(CommandRunner);
      const handler = bed.service.app.get(CreateBranchHandler);
      const attempt = (name: string, from: string, deliveries: number) =>
        runner.run(
          createEnvelope('CreateBranch', { repositoryId: repo.repositoryId, name, from: { branch: from } }, { source: 'test-agent', tenantId: 'acme', projectId: 'web' }),
          { transport: 'bus', consumer: 'adoption-test', deliveries },
          handler,
        );
      expect(await attempt('left-behind', 'main', 1)).toMatchObject({ status: 'refused', failure: { code: 'git.branch-exists' } });
      expect(await attempt('left-behind', 'main', 2)).toEqual({ status: 'done', result: { repositoryId: repo.repositoryId, name: 'left-behind', sha: repo.headSha, fromBranch: 'main' } });
      await bed.sandbox.git.commit(repo.locator, { branch: 'main', changes: [{ action: 'add', path: 'n.txt', content: 'n' }], message: 'n', author: { name: 'x', email: 'x@example.com' } });
      expect(await attempt('left-behind', 'main', 3)).toMatchObject({ status: 'refused', failure: { code: 'git.branch-exists' } });
    });
  });

  describe('REST', () => {
    const post = async (status: number, repositoryId: string, body: unknown, scopes = [REPOSITORIES_WRITE], claims = {}) =>
      bed.fx.http(bed.service).post(`/repositories/${repositoryId}/branches`).set('Authorization', await bed.auth(scopes, claims)).send(body as object).expect(status);

    it('POST creates from a branch (201) and from a sha, answering with BranchCreated', async () => {
      const repo = await bed.seed('rest-create');
      const created = await post(201, repo.repositoryId, { name: 'request/42', from: { branch: 'main' } });
      expect(created.body).toEqual({ repositoryId: repo.repositoryId, name: 'request/42', sha: repo.headSha, fromBranch: 'main' });
      const fromSha = await post(201, repo.repositoryId, { name: 'pinned', from: { sha: repo.headSha } });
      expect(fromSha.body).toMatchObject({ name: 'pinned', fromBranch: null });
      await bed.event('BranchCreated', (p) => p.repositoryId === repo.repositoryId && p.name === 'pinned');
      expect(await bed.sandbox.git.resolveBranch(repo.locator, 'request/42')).toBe(repo.headSha);
    });

    it('answers 409 for an existing branch, 404 for an unknown start, 400 for bad names and bodies, each with a rejection event', async () => {
      const repo = await bed.seed('rest-refusals');
      const conflict = await post(409, repo.repositoryId, { name: 'main', from: { branch: 'main' } });
      expect(conflict.body).toMatchObject({ code: 'git.branch-exists' });
      const missing = await post(404, repo.repositoryId, { name: 'y', from: { branch: 'nowhere' } });
      expect(missing.body).toMatchObject({ code: 'branch.start-not-found' });
      const lock = await post(400, repo.repositoryId, { name: 'x.lock', from: { branch: 'main' } });
      expect(lock.body).toMatchObject({ code: 'git.invalid-branch' });
      expect(lock.body.message).toMatch(/\.lock/);
      await post(400, repo.repositoryId, { name: '-x', from: { branch: 'main' } }); // the schema's pattern
      await post(400, repo.repositoryId, { name: 'z' });
      await post(400, repo.repositoryId, { name: 'z', from: { sha: 'abc' } });
      const event = await rejected(repo.repositoryId, 'x.lock');
      expect(event.payload).toMatchObject({ command: 'CreateBranch', error: { code: 'git.invalid-branch' } });
    });

    it('answers 404 for an unknown repository, another tenant’s or another project’s, and 403 without the scope', async () => {
      const repo = await bed.seed('rest-guarded');
      const body = { name: 'x', from: { branch: 'main' } };
      await post(404, uuidv7(), body);
      await post(404, repo.repositoryId, body, [REPOSITORIES_WRITE], { tenant: 'globex' });
      await post(404, repo.repositoryId, body, [REPOSITORIES_WRITE], { projects: ['api'] });
      await post(403, repo.repositoryId, body, [REPOSITORIES_READ]);
      expect(await bed.sandbox.git.resolveBranch(repo.locator, 'x')).toBeUndefined();
    });
  });
});
