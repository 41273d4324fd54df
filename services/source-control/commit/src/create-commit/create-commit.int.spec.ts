import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Envelope } from '@delivery/contracts';
import { createEnvelope, uuidv7 } from '@delivery/messaging';
import { createGitSandbox, repositoryKnown, type GitSandbox } from '@delivery/repository-directory/testing';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, eventually, makeReadOnly, type ServiceFixture, waitForDeadLetters } from '@delivery/testing';
import { commitService } from '../commit.service';
import { commandOf, commitCreated, commitFailed, commitsCreated, protectBranch, seedKnown } from '../commit.testing';

const author = { name: 'someone', email: 'someone@example.com' };

// CreateCommit over the bus on real git, NATS and Postgres. Limits are small here so that the path policy's
// size and count rules can be met with small commands.
describe('CreateCommit', () => {
  let fx: ServiceFixture;
  let service: RunningService;
  let sandbox: GitSandbox;

  beforeAll(async () => {
    sandbox = await createGitSandbox();
    process.env.GIT_MAX_FILES = '10';
    process.env.GIT_MAX_FILE_BYTES = '1024';
    fx = await createServiceFixture('commit');
    service = await fx.start(commitService());
  });
  afterAll(async () => {
    await fx?.close();
    await sandbox?.close();
    delete process.env.GIT_MAX_FILES;
    delete process.env.GIT_MAX_FILE_BYTES;
  });

  const logOf = (locator: { tenantId: string; projectId: string; name: string }, branch = 'main') => sandbox.git.log(locator, branch, { limit: 100 });

  it('adds, updates and deletes files with the lineage trailers, under the command’s trace', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'files', { files: { 'README.md': '# files\n', 'old.txt': 'old' } });
    const command = await fx.send('CreateCommit', {
      repositoryId: repo.repositoryId,
      branch: 'main',
      message: 'Change files',
      changes: [
        { action: 'add', path: 'src/new.ts', content: 'export const x = 1;\n' },
        { action: 'update', path: 'README.md', content: '# files, updated\n' },
        { action: 'delete', path: 'old.txt' },
      ],
      artifactId: 'artifact-42',
      trailers: { 'Release-Id': 'release-9', 'Command-Id': 'forged' },
    });
    const event = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId);
    expect(event).toMatchObject({ traceId: command.traceId, causationId: command.id, tenantId: 'acme', projectId: 'web', source: 'commit' });
    expect(event.payload).toMatchObject({
      branch: 'main',
      parentSha: repo.headSha,
      message: 'Change files',
      author: { kind: 'agent', id: 'agent-7' },
      artifactId: 'artifact-42',
      files: [
        { path: 'src/new.ts', action: 'add' },
        { path: 'README.md', action: 'update' },
        { path: 'old.txt', action: 'delete' },
      ],
      trailers: { 'Command-Id': command.id, 'Trace-Id': command.traceId, 'Artifact-Id': 'artifact-42', 'Release-Id': 'release-9' },
    });
    expect(event.payload.duplicate).toBeUndefined();

    const git = sandbox.git;
    expect((await git.readFile(repo.locator, 'main', 'src/new.ts'))?.toString()).toBe('export const x = 1;\n');
    expect((await git.readFile(repo.locator, 'main', 'README.md'))?.toString()).toBe('# files, updated\n');
    expect(await git.readFile(repo.locator, 'main', 'old.txt')).toBeUndefined();
    const commit = await git.getCommit(repo.locator, event.payload.sha);
    expect(commit).toMatchObject({ message: 'Change files', parents: [repo.headSha], author: { name: 'agent-7 (agent)', email: 'agent-7@agent.delivery.invalid' } });
    // the caller cannot forge the lineage trailers
    expect(commit?.trailers).toEqual({ 'Release-Id': 'release-9', 'Command-Id': command.id, 'Trace-Id': command.traceId, 'Artifact-Id': 'artifact-42' });
  });

  it('commits as the given author', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'authored');
    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'By a person', author: { kind: 'user', id: 'u-1', name: 'Ada Lovelace', email: 'ada@example.com' } });
    const event = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId);
    expect(event.payload.author).toEqual({ kind: 'user', id: 'u-1', name: 'Ada Lovelace', email: 'ada@example.com' });
    expect((await sandbox.git.getCommit(repo.locator, event.payload.sha))?.author).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
  });

  it('a redelivered command makes one commit and one event', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'redelivered');
    const command = await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'Once', changes: [{ action: 'add', path: 'once.txt', content: '1' }] });
    await fx.publisher.publish(command, { msgId: `${command.id}-again` }); // past the duplicate window: the inbox is what dedupes
    // handled after both copies: messages of one correlationId are handled in arrival order
    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'Marker' }, { correlationId: command.correlationId });
    await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.message === 'Marker');
    const log = await logOf(repo.locator);
    expect(log.map((c) => c.message)).toEqual(['Marker', 'Once', 'Initial commit']);
    const events = await service.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE type = 'CommitCreated' AND data->>'message' = 'Once' AND data->>'repositoryId' = $1`, [repo.repositoryId]);
    expect(events[0].n).toBe(1);
  });

  it('the same idempotency key in two commands makes one commit; the second answer is a duplicate', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'keyed');
    const payload = { repositoryId: repo.repositoryId, branch: 'main', message: 'Keyed', idempotencyKey: 'render-release-7', changes: [{ action: 'add' as const, path: 'k.txt', content: 'k' }] };
    // in parallel: the second waits on the first one's claim of the key
    const [first, second] = await Promise.all([fx.send('CreateCommit', payload), fx.send('CreateCommit', payload)]);
    const answers = await commitsCreated(fx, 2, (e) => e.payload.repositoryId === repo.repositoryId);
    const original = answers.find((e) => !e.payload.duplicate);
    const duplicate = answers.find((e) => e.payload.duplicate === true);
    expect(original && duplicate).toBeTruthy();
    expect([original?.causationId, duplicate?.causationId].sort()).toEqual([first.id, second.id].sort());
    expect(duplicate?.payload).toMatchObject({ sha: original?.payload.sha, parentSha: repo.headSha, files: [{ path: 'k.txt', action: 'add' }], idempotencyKey: 'render-release-7' });
    expect((await logOf(repo.locator)).map((c) => c.message)).toEqual(['Keyed', 'Initial commit']);
    expect(original?.payload.trailers?.['Idempotency-Key']).toBe('render-release-7');
  });

  it('a redelivery adopts the commit its crashed attempt left in git instead of committing again', async () => {
    // the repository exists in git but not yet in the service's directory: the first deliveries are retried
    // (repository.unknown-yet), so the command really arrives again, with deliveries > 1
    const locator = { tenantId: 'acme', projectId: 'web', name: 'crashed' };
    const info = await sandbox.git.createRepository(locator, { defaultBranch: 'main', author, initialFiles: [{ action: 'add', path: 'README.md', content: '#' }] });
    const repositoryId = uuidv7();
    const command = commandOf('CreateCommit', { repositoryId, branch: 'main', message: 'Survives a crash', changes: [{ action: 'add', path: 'c.txt', content: 'c' }] });
    const crashed = await sandbox.git.commit(locator, {
      branch: 'main',
      changes: [{ action: 'add', path: 'c.txt', content: 'c' }],
      message: 'Survives a crash',
      author,
      trailers: { 'Command-Id': command.id, 'Trace-Id': command.traceId },
    });
    const consumer = () => fx.bus.jsm.consumers.info(fx.bus.names.commandStream('source-control'), fx.bus.names.commandsDurable('commit'));
    const before = (await consumer()).num_redelivered;
    await fx.publisher.publish(command);
    await eventually(async () => ((await consumer()).num_redelivered > before ? true : undefined), 'a redelivery', 5_000);
    await fx.publisher.publish(
      createEnvelope('RepositoryProvisioned', { repositoryId, name: 'crashed', defaultBranch: 'main', purpose: 'application', provider: 'local', cloneUrl: info.cloneUrl, headSha: info.headSha }, { source: 'repository', tenantId: 'acme', projectId: 'web' }),
    );
    await repositoryKnown(service, repositoryId);
    const event = await commitCreated(fx, (e) => e.payload.repositoryId === repositoryId);
    expect(event.causationId).toBe(command.id);
    expect(event.payload).toMatchObject({ sha: crashed.sha, parentSha: info.headSha, files: [{ path: 'c.txt', action: 'add' }] });
    expect(event.payload.duplicate).toBeUndefined();
    expect((await logOf(locator)).map((c) => c.message)).toEqual(['Survives a crash', 'Initial commit']);
  });

  it('a keyed command adopts the commit a crashed attempt wrote under its key', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'crashed-keyed');
    const command = commandOf('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'Keyed crash', idempotencyKey: 'crash-key' });
    const crashed = await sandbox.git.commit(repo.locator, { branch: 'main', changes: [], message: 'Keyed crash', author, trailers: { 'Command-Id': command.id, 'Idempotency-Key': 'crash-key' } });
    await fx.publisher.publish(command);
    const event = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId);
    expect(event.payload).toMatchObject({ sha: crashed.sha, idempotencyKey: 'crash-key' });
    expect((await logOf(repo.locator))).toHaveLength(2);
  });

  it('expectedParentSha is a compare-and-swap; null asks for a new branch; createBranch starts one from the default branch', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'cas');
    const stale = '0123456789abcdef0123456789abcdef01234567';
    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'Stale', expectedParentSha: stale });
    const conflict = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId);
    expect(conflict.payload).toMatchObject({ branch: 'main', error: { code: 'git.ref-conflict', retryable: false } });

    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'On head', expectedParentSha: repo.headSha });
    const onHead = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.branch === 'main');
    expect(onHead.payload.parentSha).toBe(repo.headSha);

    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'Not new', expectedParentSha: null });
    const exists = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.error.code !== 'git.ref-conflict');
    expect(exists.payload.error).toMatchObject({ code: 'branch.exists', retryable: false });

    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'feature/new', message: 'New branch', expectedParentSha: null, changes: [{ action: 'add', path: 'n.txt', content: 'n' }] });
    const fresh = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.branch === 'feature/new');
    expect(fresh.payload.parentSha).toBe(onHead.payload.sha);

    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'feature/created', message: 'Created', createBranch: true });
    const created = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.branch === 'feature/created');
    expect(created.payload.parentSha).toBe(onHead.payload.sha);

    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'nowhere', message: 'No branch' });
    const missing = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.branch === 'nowhere');
    expect(missing.payload.error).toMatchObject({ code: 'git.not-found', retryable: false });
    expect(await sandbox.git.resolveBranch(repo.locator, 'main')).toBe(onHead.payload.sha);
  });

  it('refuses paths outside the tree, .git, oversize files and too many files, naming the path and the rule', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'paths');
    const cases: Array<{ branch: string; changes: Array<{ action: 'add'; path: string; content: string }>; code: string; subject: string; rule: RegExp }> = [
      { branch: 'traversal', changes: [{ action: 'add', path: '../x', content: 'x' }], code: 'git.invalid-path', subject: '../x', rule: /^parent-segment/ },
      { branch: 'absolute', changes: [{ action: 'add', path: '/etc/passwd', content: 'x' }], code: 'git.invalid-path', subject: '/etc/passwd', rule: /^absolute/ },
      { branch: 'dot-git', changes: [{ action: 'add', path: '.git/config', content: 'x' }], code: 'git.invalid-path', subject: '.git/config', rule: /^git-directory/ },
      { branch: 'nested-git', changes: [{ action: 'add', path: 'a/.GIT/hooks/post-update', content: 'x' }], code: 'git.invalid-path', subject: 'a/.GIT/hooks/post-update', rule: /^git-directory/ },
      { branch: 'oversize', changes: [{ action: 'add', path: 'big.bin', content: 'x'.repeat(2000) }], code: 'git.invalid-path', subject: 'big.bin', rule: /^file-too-large: .*2000 bytes, more than the limit of 1024/ },
      { branch: 'many', changes: Array.from({ length: 11 }, (_, i) => ({ action: 'add' as const, path: `f${i}.txt`, content: `${i}` })), code: 'git.too-many-files', subject: 'rule', rule: /^too-many-files$/ },
    ];
    await Promise.all(cases.map((c) => fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: c.branch, changes: c.changes, idempotencyKey: c.branch })));
    for (const c of cases) {
      const failure = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.idempotencyKey === c.branch);
      expect(failure.payload.error).toMatchObject({ code: c.code, retryable: false });
      const detail = failure.payload.error.details?.find((d) => d.subject === c.subject);
      expect(detail?.message).toMatch(c.rule);
    }
    expect(await logOf(repo.locator)).toHaveLength(1);
    // a refusal releases the key: the same key with a valid change commits
    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'fixed', changes: [{ action: 'add', path: 'x', content: 'x' }], idempotencyKey: 'traversal' });
    await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId && e.payload.idempotencyKey === 'traversal');
  });

  it('refuses a direct commit to a protected branch', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'protected');
    await protectBranch(fx, service, repo.repositoryId, 'main');
    await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'Sneaky' });
    const refused = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId);
    expect(refused.payload.error).toMatchObject({ code: 'branch.protected', retryable: false });
    expect(refused.payload.error.message).toMatch(/pull requests/);
    expect(await logOf(repo.locator)).toHaveLength(1);
  });

  it('a damaged repository is a retryable failure and a dead letter; the service keeps working', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'damaged');
    const bare = join(sandbox.dataDir, 'acme', 'web', 'damaged.git');
    await rm(join(bare, 'objects'), { recursive: true, force: true });
    await writeFile(join(bare, 'HEAD'), 'not a ref\n');
    const command = await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'Into the void' });
    const failure = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId);
    expect(failure.payload.error).toMatchObject({ code: expect.stringMatching(/^git\./), retryable: true });
    const letters = await waitForDeadLetters<{ envelope: Envelope }>(fx.bus, 1, (l) => l.envelope.id === command.id);
    expect(letters).toHaveLength(1);
    const healthy = await seedKnown(fx, sandbox, service, 'healthy');
    await fx.send('CreateCommit', { repositoryId: healthy.repositoryId, branch: 'main', message: 'Still fine' });
    await commitCreated(fx, (e) => e.payload.repositoryId === healthy.repositoryId);
  });

  it('a read-only repository is a retryable failure and a dead letter; once writable again, the replay commits', async () => {
    const repo = await seedKnown(fx, sandbox, service, 'read-only');
    const bare = join(sandbox.dataDir, 'acme', 'web', 'read-only.git');
    const lock = makeReadOnly(bare);
    try {
      const command = await fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: 'On a read-only disk', changes: [{ action: 'add', path: 'ro.txt', content: 'x' }] });
      const failure = await commitFailed(fx, (e) => e.payload.repositoryId === repo.repositoryId);
      expect(failure.payload.error).toMatchObject({ code: expect.stringMatching(/^git\./), retryable: true });
      const [letter] = await waitForDeadLetters<{ envelope: Envelope }>(fx.bus, 1, (l) => l.envelope.id === command.id);
      expect(letter?.envelope.id).toBe(command.id);
      lock.release();
      // what an operator's replay does: the same envelope, published again to its subject
      await fx.publisher.publish(command, { msgId: `${command.id}-replay` });
      const created = await commitCreated(fx, (e) => e.payload.repositoryId === repo.repositoryId);
      expect(created.causationId).toBe(command.id);
      expect((await sandbox.git.readFile(repo.locator, 'main', 'ro.txt'))?.toString()).toBe('x');
    } finally {
      lock.release();
    }
  });

  it('20 concurrent commits on one branch, shared by two instances of the service, all land', async () => {
    // each instance queues its own commits per branch; between the two, the provider's compare-and-swap retries
    const second = await fx.start(commitService({ relay: false }));
    const repo = await seedKnown(fx, sandbox, service, 'busy');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => fx.send('CreateCommit', { repositoryId: repo.repositoryId, branch: 'main', message: `c${i}`, changes: [{ action: 'add', path: `f/${i}.txt`, content: `${i}` }] })),
    );
    const events = await commitsCreated(fx, 20, (e) => e.payload.repositoryId === repo.repositoryId);
    expect(new Set(events.map((e) => e.payload.sha)).size).toBe(20);
    expect(new Set(events.map((e) => e.payload.parentSha)).size).toBe(20);
    expect(await logOf(repo.locator)).toHaveLength(21);
    expect((await sandbox.git.listFiles(repo.locator, 'main', 'f')).sort()).toHaveLength(20);
    await second.close();
  });
});
