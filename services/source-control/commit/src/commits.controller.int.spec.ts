import { REPOSITORIES_READ, REPOSITORIES_WRITE } from '@delivery/repository-directory';
import { createGitSandbox, type GitSandbox } from '@delivery/repository-directory/testing';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, type ServiceFixture } from '@delivery/testing';
import { commitService } from './commit.service';
import { commitCreated, protectBranch, seedKnown } from './commit.testing';

// The REST door of the commit service, on real git, NATS and Postgres.
describe('commits over REST', () => {
  let fx: ServiceFixture;
  let service: RunningService;
  let sandbox: GitSandbox;
  let writer: string;
  let reader: string;

  beforeAll(async () => {
    sandbox = await createGitSandbox();
    fx = await createServiceFixture('commit');
    service = await fx.start(commitService());
    writer = await fx.token({ scopes: [REPOSITORIES_WRITE, REPOSITORIES_READ] });
    reader = await fx.token({ scopes: [REPOSITORIES_READ] });
  });
  afterAll(async () => {
    await fx?.close();
    await sandbox?.close();
  });

  const post = (path: string, token = writer) => fx.http(service).post(path).set('Authorization', `Bearer ${token}`);
  const get = (path: string, token = writer) => fx.http(service).get(path).set('Authorization', `Bearer ${token}`);

  it('POST /repositories/:id/commits commits (201), answers a repeated Idempotency-Key with the same commit (200)', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'rest');
    const body = { branch: 'main', message: 'From REST', changes: [{ action: 'add', path: 'rest.txt', content: 'r' }] };
    const created = await post(`/repositories/${repo.repositoryId}/commits`).set('Idempotency-Key', 'studio-1').send(body).expect(201);
    expect(created.body).toMatchObject({ repositoryId: repo.repositoryId, branch: 'main', parentSha: repo.headSha, idempotencyKey: 'studio-1', author: { kind: 'user', id: 'alice' } });
    expect(created.body.trailers).toMatchObject({ 'Idempotency-Key': 'studio-1', 'Command-Id': expect.any(String), 'Trace-Id': expect.stringMatching(/^[0-9a-f]{32}$/) });
    const again = await post(`/repositories/${repo.repositoryId}/commits`).set('Idempotency-Key', 'studio-1').send(body).expect(200);
    expect(again.body).toMatchObject({ sha: created.body.sha, duplicate: true });
    // the event goes out through the outbox as for a bus command
    const event = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId && !e.payload.duplicate);
    expect(event.payload.sha).toBe(created.body.sha);
    expect(await sandbox.git.log(repo.locator, 'main')).toHaveLength(2);
  });

  it('a request with an Idempotency-Key adopts the commit an earlier crashed request wrote with that key', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'rest-crash');
    const crashed = await sandbox.git.commit(repo.locator, {
      branch: 'main',
      changes: [{ action: 'add', path: 'x.txt', content: 'x' }],
      message: 'Half done',
      author: { name: 'x', email: 'x@example.com' },
      trailers: { 'Command-Id': '0190a0a0-0000-7000-8000-000000000000', 'Idempotency-Key': 'retry-me' },
    });
    const retried = await post(`/repositories/${repo.repositoryId}/commits`).set('Idempotency-Key', 'retry-me').send({ branch: 'main', message: 'Half done' }).expect(200);
    expect(retried.body).toMatchObject({ sha: crashed.sha, duplicate: true, files: [{ path: 'x.txt', action: 'add' }] });
    expect(await sandbox.git.log(repo.locator, 'main')).toHaveLength(2);
  });

  it('answers 400 for a bad path or body, 409 for a stale parent or a protected branch, 404 and 403 for the caller', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'rest-errors');
    const url = `/repositories/${repo.repositoryId}/commits`;
    const traversal = await post(url).send({ branch: 'main', message: 'm', changes: [{ action: 'add', path: 'a/../../x', content: '' }] }).expect(400);
    expect(traversal.body).toMatchObject({ code: 'git.invalid-path', details: { problems: [{ subject: 'a/../../x', message: expect.stringMatching(/^parent-segment/) }] } });
    const schema = await post(url).send({ branch: 'main' }).expect(400);
    expect(schema.body.message).toMatch(/message/);
    await post(url).send({ branch: 'main', message: 'm', changes: [{ action: 'add', path: 'bad\u0001', content: '' }] }).expect(400);

    const stale = await post(url).send({ branch: 'main', message: 'm', expectedParentSha: 'a'.repeat(40) }).expect(409);
    expect(stale.body).toMatchObject({ code: 'git.ref-conflict' });
    const exists = await post(url).send({ branch: 'main', message: 'm', expectedParentSha: null }).expect(409);
    expect(exists.body).toMatchObject({ code: 'branch.exists' });
    await post(url).send({ branch: 'nowhere', message: 'm' }).expect(404);

    await protectBranch(fx, service, repo.repositoryId, 'main');
    const refused = await post(url).send({ branch: 'main', message: 'm' }).expect(409);
    expect(refused.body).toMatchObject({ code: 'branch.protected' });

    await post('/repositories/no-such-repository/commits').send({ branch: 'main', message: 'm' }).expect(404);
    const stranger = await fx.token({ tenant: 'globex', scopes: [REPOSITORIES_WRITE, REPOSITORIES_READ] });
    await post(url, stranger).send({ branch: 'main', message: 'm' }).expect(404);
    await get(url, stranger).expect(404);
    const otherProject = await fx.token({ projects: ['api'], scopes: [REPOSITORIES_WRITE, REPOSITORIES_READ] });
    await post(url, otherProject).send({ branch: 'main', message: 'm' }).expect(404);
    await post(url, reader).send({ branch: 'main', message: 'm' }).expect(403);
    await fx.http(service).post(url).send({ branch: 'main', message: 'm' }).expect(401);
    expect(await sandbox.git.log(repo.locator, 'main')).toHaveLength(1);
  });

  it('POST /repositories/:id/reverts reverts (201)', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'rest-revert', { files: { 'a.txt': '1' } });
    const change = await post(`/repositories/${repo.repositoryId}/commits`).send({ branch: 'main', message: 'Two', changes: [{ action: 'update', path: 'a.txt', content: '2' }] }).expect(201);
    const revert = await post(`/repositories/${repo.repositoryId}/reverts`).send({ branch: 'main', sha: change.body.sha }).expect(201);
    expect(revert.body).toMatchObject({ revertOf: change.body.sha, parentSha: change.body.sha, files: [{ path: 'a.txt', action: 'update' }] });
    expect((await sandbox.git.readFile(repo.locator, 'main', 'a.txt'))?.toString()).toBe('1');
    await post(`/repositories/${repo.repositoryId}/reverts`).send({ branch: 'main', sha: 'f'.repeat(40) }).expect(404);
    await post(`/repositories/${repo.repositoryId}/reverts`, reader).send({ branch: 'main', sha: change.body.sha }).expect(403);
  });

  it('GET /repositories/:id/commits pages a branch newest first; GET …/commits/:sha shows one with its trailers', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'rest-log');
    const shas: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const created = await post(`/repositories/${repo.repositoryId}/commits`).send({ branch: 'main', message: `c${i}`, artifactId: `art-${i}` }).expect(201);
      shas.unshift(created.body.sha);
    }
    shas.push(repo.headSha);
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const page: { items: Array<{ sha: string }>; next: string | null } = (await get(`/repositories/${repo.repositoryId}/commits?branch=main&limit=2${next ? `&after=${next}` : ''}`, reader).expect(200)).body;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.sha));
      next = page.next;
    } while (next);
    expect(seen).toEqual(shas);
    const defaults = await get(`/repositories/${repo.repositoryId}/commits`, reader).expect(200);
    expect(defaults.body).toMatchObject({ items: expect.any(Array), next: null });
    expect(defaults.body.items).toHaveLength(6);

    const one = await get(`/repositories/${repo.repositoryId}/commits/${shas[0]}`, reader).expect(200);
    expect(one.body).toMatchObject({ sha: shas[0], parents: [shas[1]], message: 'c5', trailers: { 'Artifact-Id': 'art-5', 'Command-Id': expect.any(String) } });
    await get(`/repositories/${repo.repositoryId}/commits/${'e'.repeat(40)}`, reader).expect(404);
    await get(`/repositories/${repo.repositoryId}/commits/HEAD`, reader).expect(404);
    await get(`/repositories/${repo.repositoryId}/commits?branch=nowhere`, reader).expect(404);
    await get(`/repositories/${repo.repositoryId}/commits?after=main`, reader).expect(400);
    await get(`/repositories/${repo.repositoryId}/commits?limit=0`, reader).expect(400);
    await get(`/repositories/${repo.repositoryId}/commits`, await fx.token({ scopes: [] })).expect(403);
  });

  it('a cursor from another branch is refused', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'rest-cursor');
    const side = await post(`/repositories/${repo.repositoryId}/commits`).send({ branch: 'side', message: 'side', createBranch: true }).expect(201);
    await get(`/repositories/${repo.repositoryId}/commits?branch=main&after=${side.body.sha}`, reader).expect(400);
    const fromSide = await get(`/repositories/${repo.repositoryId}/commits?branch=side&after=${side.body.sha}`, reader).expect(200);
    expect(fromSide.body.items.map((c: { sha: string }) => c.sha)).toEqual([repo.headSha]);
  });
});
