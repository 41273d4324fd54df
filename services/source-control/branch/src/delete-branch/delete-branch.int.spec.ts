import { BRANCH_POLICIES_WRITE, REPOSITORIES_READ, REPOSITORIES_WRITE } from '@delivery/repository-directory';
import { startBranchTestbed, type BranchTestbed } from '../branch.test-fixture';

const PROTECTED = { protected: true, requiredChecks: ['pipeline/build'], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['squash' as const] };
const AUTHOR = { name: 'x', email: 'x@example.com' };

// DeleteBranch on real git, NATS and Postgres, through both doors.
describe('DeleteBranch', () => {
  let bed: BranchTestbed;

  beforeAll(async () => {
    bed = await startBranchTestbed('branch-delete');
  });
  afterAll(() => bed?.close());

  const rejected = (repositoryId: string, branch: string) => bed.event('BranchCommandRejected', (p) => p.repositoryId === repositoryId && p.branch === branch);

  describe('over the bus', () => {
    it('deletes a branch and names its last sha; a stale expectedSha is refused and leaves the branch', async () => {
      const repo = await bed.seed('bus-delete');
      await bed.sandbox.git.createBranch(repo.locator, 'done', 'main');
      await bed.sandbox.git.createBranch(repo.locator, 'moved', 'main');
      const moved = await bed.sandbox.git.commit(repo.locator, { branch: 'moved', changes: [{ action: 'add', path: 'm.txt', content: 'm' }], message: 'm', author: AUTHOR });
      const command = await bed.fx.send('DeleteBranch', { repositoryId: repo.repositoryId, name: 'done' });
      await bed.fx.send('DeleteBranch', { repositoryId: repo.repositoryId, name: 'moved', expectedSha: repo.headSha });
      const deleted = await bed.event('BranchDeleted', (p) => p.repositoryId === repo.repositoryId);
      expect(deleted).toMatchObject({ causationId: command.id, payload: { name: 'done', lastSha: repo.headSha } });
      expect(await bed.sandbox.git.resolveBranch(repo.locator, 'done')).toBeUndefined();
      const stale = await rejected(repo.repositoryId, 'moved');
      expect(stale.payload).toMatchObject({ command: 'DeleteBranch', error: { code: 'git.ref-conflict', retryable: false } });
      expect(await bed.sandbox.git.resolveBranch(repo.locator, 'moved')).toBe(moved.sha);
    });

    it('refuses the default branch, a missing branch and a protected branch', async () => {
      const repo = await bed.seed('bus-refusals', { defaultBranch: 'trunk' });
      await bed.sandbox.git.createBranch(repo.locator, 'release/1', 'trunk');
      await bed.fx.send('SetBranchPolicy', { repositoryId: repo.repositoryId, branch: 'release/1', policy: PROTECTED });
      await bed.event('BranchPolicySet', (p) => p.repositoryId === repo.repositoryId);
      await bed.fx.send('DeleteBranch', { repositoryId: repo.repositoryId, name: 'trunk' });
      await bed.fx.send('DeleteBranch', { repositoryId: repo.repositoryId, name: 'ghost' });
      await bed.fx.send('DeleteBranch', { repositoryId: repo.repositoryId, name: 'release/1' });
      const [trunk, ghost, release] = await Promise.all([rejected(repo.repositoryId, 'trunk'), rejected(repo.repositoryId, 'ghost'), rejected(repo.repositoryId, 'release/1')]);
      expect(trunk.payload.error).toMatchObject({ code: 'branch.default', retryable: false });
      expect(ghost.payload.error).toMatchObject({ code: 'branch.not-found', retryable: false });
      expect(release.payload.error).toMatchObject({ code: 'branch.protected', retryable: false });
      expect(await bed.sandbox.git.resolveBranch(repo.locator, 'release/1')).toBe(repo.headSha);
      expect(await bed.count('BranchDeleted', repo.repositoryId)).toBe(0);
    });
  });

  describe('REST', () => {
    const remove = async (status: number, repositoryId: string, path: string, scopes = [REPOSITORIES_WRITE], claims = {}) =>
      bed.fx.http(bed.service).delete(`/repositories/${repositoryId}/branches/${path}`).set('Authorization', await bed.auth(scopes, claims)).expect(status);

    it('DELETE takes URL-encoded names and ?expectedSha=, answering with BranchDeleted', async () => {
      const repo = await bed.seed('rest-delete');
      await bed.sandbox.git.createBranch(repo.locator, 'request/42', 'main');
      await bed.sandbox.git.createBranch(repo.locator, 'request/43', 'main');
      const deleted = await remove(200, repo.repositoryId, 'request%2F42');
      expect(deleted.body).toEqual({ repositoryId: repo.repositoryId, name: 'request/42', lastSha: repo.headSha });
      const stale = await remove(409, repo.repositoryId, `request%2F43?expectedSha=${'a'.repeat(40)}`);
      expect(stale.body).toMatchObject({ code: 'git.ref-conflict' });
      await remove(400, repo.repositoryId, 'request%2F43?expectedSha=nope');
      await remove(200, repo.repositoryId, `request%2F43?expectedSha=${repo.headSha}`);
      expect(await bed.sandbox.git.listBranches(repo.locator)).toEqual([{ name: 'main', sha: repo.headSha }]);
      await bed.event('BranchDeleted', (p) => p.repositoryId === repo.repositoryId && p.name === 'request/43');
    });

    it('answers 409 for the default and a protected branch, 404 for a missing branch or another tenant’s repository, 403 without the scope', async () => {
      const repo = await bed.seed('rest-refusals');
      await bed.sandbox.git.createBranch(repo.locator, 'keep', 'main');
      const policy = await bed.auth([BRANCH_POLICIES_WRITE]);
      await bed.fx.http(bed.service).put(`/repositories/${repo.repositoryId}/branches/keep/policy`).set('Authorization', policy).send(PROTECTED).expect(200);
      expect((await remove(409, repo.repositoryId, 'main')).body).toMatchObject({ code: 'branch.default' });
      const refused = await remove(409, repo.repositoryId, 'keep');
      expect(refused.body).toMatchObject({ code: 'branch.protected' });
      expect((await remove(404, repo.repositoryId, 'ghost')).body).toMatchObject({ code: 'branch.not-found' });
      await remove(404, repo.repositoryId, 'keep', [REPOSITORIES_WRITE], { tenant: 'globex' });
      await remove(403, repo.repositoryId, 'keep', [REPOSITORIES_READ]);
      expect((await rejected(repo.repositoryId, 'keep')).payload.error.code).toBe('branch.protected');
      expect(await bed.sandbox.git.resolveBranch(repo.locator, 'keep')).toBe(repo.headSha);
    });
  });
});
