import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope } from '@delivery/contracts';
import type { RunningService } from '@delivery/service-kit';
import { LocalGitProvider } from '@delivery/git-provider';
import { REPOSITORIES_READ, REPOSITORIES_WRITE } from '@delivery/repository-directory';
import { createServiceFixture, eventually, waitForEvent, type ServiceFixture } from '@delivery/testing';
import { repositoryService } from '../repository.service';

// ProvisionRepository on real git, NATS and Postgres, through both doors.
describe('ProvisionRepository', () => {
  let fx: ServiceFixture;
  let service: RunningService;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'repository-svc-'));
    process.env.GIT_DATA_DIR = dataDir;
    fx = await createServiceFixture('repository');
    service = await fx.start(repositoryService());
  });
  afterAll(async () => {
    await fx?.close();
    await rm(dataDir, { recursive: true, force: true });
    delete process.env.GIT_DATA_DIR;
  });

  const provisioned = (name: string) => waitForEvent<Envelope<{ name: string; repositoryId: string; headSha: string | null; cloneUrl: string }>>(fx.bus, 'source-control', 'RepositoryProvisioned', (e) => e.payload.name === name);
  const failedFor = (name: string) => waitForEvent<Envelope<{ name: string; error: { code: string; message: string; retryable: boolean } }>>(fx.bus, 'source-control', 'RepositoryProvisioningFailed', (e) => e.payload.name === name);

  it('over the bus: creates a bare repository with the initial files, under the traceId and caused by the command', async () => {
    const command = await fx.send('ProvisionRepository', { name: 'web-app', initialFiles: [{ path: 'README.md', content: '# web' }] });
    const event = await provisioned('web-app');
    expect(event).toMatchObject({ traceId: command.traceId, causationId: command.id, tenantId: 'acme', projectId: 'web' });
    expect(event.payload).toMatchObject({ defaultBranch: 'main', purpose: 'application', provider: 'local' });
    const git = new LocalGitProvider({ dataDir });
    const locator = { tenantId: 'acme', projectId: 'web', name: 'web-app' };
    expect((await git.getRepository(locator))?.headSha).toBe(event.payload.headSha);
    expect((await git.readFile(locator, 'main', 'README.md'))?.toString()).toBe('# web');
  });

  it('a redelivered command yields one repository and one event', async () => {
    const command = await fx.send('ProvisionRepository', { name: 'twice' });
    await fx.publisher.publish(command, { msgId: `${command.id}-again` }); // past the duplicate window: the inbox is what dedupes
    await provisioned('twice');
    await eventually(async () => ((await service.dataSource.query(`SELECT count(*)::int AS n FROM inbox WHERE envelope_id = $1`, [command.id]))[0].n === 1 ? true : undefined), 'inbox row');
    const rows = await service.dataSource.query(`SELECT count(*)::int AS n FROM repositories WHERE name = 'twice'`);
    expect(rows[0].n).toBe(1);
    const events = await service.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE type = 'RepositoryProvisioned' AND data->>'name' = 'twice'`);
    expect(events[0].n).toBe(1);
  });

  it('the same name in the same project is refused with a failure event; another project may use it', async () => {
    await fx.send('ProvisionRepository', { name: 'dup' });
    await provisioned('dup');
    await fx.send('ProvisionRepository', { name: 'dup' });
    const failure = await failedFor('dup');
    expect(failure.payload.error).toMatchObject({ code: 'repository.name-taken', retryable: false });
    await fx.send('ProvisionRepository', { name: 'dup' }, { projectId: 'api' });
    const other = await waitForEvent<Envelope<{ name: string }>>(fx.bus, 'source-control', 'RepositoryProvisioned', (e) => e.payload.name === 'dup' && e.projectId === 'api');
    expect(other.projectId).toBe('api');
  });

  it('adopts a repository a crashed attempt left on disk', async () => {
    const git = new LocalGitProvider({ dataDir });
    await git.createRepository({ tenantId: 'acme', projectId: 'web', name: 'orphan' }, { defaultBranch: 'main', author: { name: 'x', email: 'x@example.com' } });
    await fx.send('ProvisionRepository', { name: 'orphan' });
    expect((await provisioned('orphan')).payload.headSha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a damaged data directory becomes a retryable failure event and a dead letter, not a crash', async () => {
    await writeFile(join(dataDir, 'acme', 'broken'), 'not a directory');
    const command = await fx.send('ProvisionRepository', { name: 'nowhere' }, { projectId: 'broken' });
    const failure = await failedFor('nowhere');
    expect(failure.payload.error).toMatchObject({ code: 'git.storage-unavailable', retryable: true });
    const letters = await import('@delivery/testing').then((t) => t.waitForDeadLetters<{ envelope: Envelope }>(fx.bus, 1, (l) => l.envelope.id === command.id));
    expect(letters).toHaveLength(1);
    await fx.send('ProvisionRepository', { name: 'still-fine' });
    await provisioned('still-fine');
  });

  describe('REST', () => {
    it('POST /repositories provisions, GET reads it back, lists page by page', async () => {
      const token = await fx.token({ scopes: [REPOSITORIES_WRITE, REPOSITORIES_READ] });
      const created = await fx.http(service).post('/repositories').set('Authorization', `Bearer ${token}`).send({ projectId: 'rest', name: 'from-rest', defaultBranch: 'trunk' }).expect(201);
      expect(created.body).toMatchObject({ name: 'from-rest', defaultBranch: 'trunk', projectId: 'rest', tenantId: 'acme' });
      await provisioned('from-rest');
      await fx.http(service).get(`/repositories/${created.body.repositoryId}`).set('Authorization', `Bearer ${token}`).expect(200);
      await fx.http(service).post('/repositories').set('Authorization', `Bearer ${token}`).send({ projectId: 'rest', name: 'second' }).expect(201);
      const first = await fx.http(service).get('/repositories?projectId=rest&limit=1').set('Authorization', `Bearer ${token}`).expect(200);
      expect(first.body.items).toHaveLength(1);
      const second = await fx.http(service).get(`/repositories?projectId=rest&limit=1&after=${first.body.next}`).set('Authorization', `Bearer ${token}`).expect(200);
      expect(second.body.items[0].repositoryId).not.toBe(first.body.items[0].repositoryId);
    });

    it('a token limited to some projects lists and reads only their repositories, page by page', async () => {
      const admin = await fx.token({ scopes: [REPOSITORIES_WRITE, REPOSITORIES_READ] });
      for (const [projectId, name] of [['alpha', 'a1'], ['beta', 'b1'], ['alpha', 'a2'], ['beta', 'b2']]) {
        await fx.http(service).post('/repositories').set('Authorization', `Bearer ${admin}`).send({ projectId, name }).expect(201);
      }
      const alphaOnly = await fx.token({ scopes: [REPOSITORIES_READ], projects: ['alpha'] });
      const first = await fx.http(service).get('/repositories?limit=1').set('Authorization', `Bearer ${alphaOnly}`).expect(200);
      const second = await fx.http(service).get(`/repositories?limit=1&after=${first.body.next}`).set('Authorization', `Bearer ${alphaOnly}`).expect(200);
      expect([...first.body.items, ...second.body.items].map((r: { name: string }) => r.name).sort()).toEqual(['a1', 'a2']);
      const third = await fx.http(service).get(`/repositories?limit=1&after=${second.body.next}`).set('Authorization', `Bearer ${alphaOnly}`).expect(200);
      expect(third.body).toEqual({ items: [], next: null });
      const beta = (await fx.http(service).get('/repositories?projectId=beta').set('Authorization', `Bearer ${admin}`).expect(200)).body.items[0];
      await fx.http(service).get(`/repositories/${beta.repositoryId}`).set('Authorization', `Bearer ${alphaOnly}`).expect(404);
      await fx.http(service).get('/repositories?projectId=beta').set('Authorization', `Bearer ${alphaOnly}`).expect(404);
    });

    it('answers 409 for a taken name, 400 for a bad body, 404 for another tenant, 403 without the scope', async () => {
      const token = await fx.token({ scopes: [REPOSITORIES_WRITE, REPOSITORIES_READ] });
      await fx.http(service).post('/repositories').set('Authorization', `Bearer ${token}`).send({ projectId: 'rest', name: 'taken' }).expect(201);
      const conflict = await fx.http(service).post('/repositories').set('Authorization', `Bearer ${token}`).send({ projectId: 'rest', name: 'taken' }).expect(409);
      expect(conflict.body).toMatchObject({ code: 'repository.name-taken' });
      const bad = await fx.http(service).post('/repositories').set('Authorization', `Bearer ${token}`).send({ projectId: 'rest', name: '../etc' }).expect(400);
      expect(bad.body.message).toMatch(/name/);
      await fx.http(service).post('/repositories').set('Authorization', `Bearer ${token}`).send({ name: 'no-project' }).expect(400);
      const traversal = await fx.http(service).post('/repositories').set('Authorization', `Bearer ${token}`).send({ projectId: 'rest', name: 'files', initialFiles: [{ path: '../x', content: '' }] }).expect(400);
      expect(traversal.body.message).toMatch(/\.\./);
      const mine = await fx.http(service).post('/repositories').set('Authorization', `Bearer ${token}`).send({ projectId: 'rest', name: 'mine' }).expect(201);
      const stranger = await fx.token({ tenant: 'globex', scopes: [REPOSITORIES_READ] });
      await fx.http(service).get(`/repositories/${mine.body.repositoryId}`).set('Authorization', `Bearer ${stranger}`).expect(404);
      const reader = await fx.token({ scopes: [REPOSITORIES_READ] });
      await fx.http(service).post('/repositories').set('Authorization', `Bearer ${reader}`).send({ projectId: 'rest', name: 'nope' }).expect(403);
    });
  });
});
