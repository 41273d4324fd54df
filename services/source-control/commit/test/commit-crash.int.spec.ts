import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { BusPublisher, createEnvelope } from '@delivery/messaging';
import { createGitSandbox, seedRepository, type GitSandbox } from '@delivery/repository-directory/testing';
import { buildOnce, createTestBus, createTestDatabase, eventually, spawnCompiled, type Child, type TestBus, type TestDatabase } from '@delivery/testing';

jest.setTimeout(240_000);

const BRANCHES = ['main', 'b1', 'b2'];
const COMMANDS = 60;

// The commit service as a real process, SIGKILLed again and again while commands are in flight: between the git
// write and the database commit, between the commit and the ack, anywhere. After the restarts every command has
// exactly one commit in git and exactly one CommitCreated. (With the redelivery's adoption of a crashed attempt's
// commit switched off, this test finds duplicate commits.)
describe('commit service under SIGKILL (real processes, git, NATS, Postgres)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  let sandbox: GitSandbox;
  let pg: Client;
  let child: Child | undefined;

  beforeAll(async () => {
    buildOnce();
    bus = await createTestBus({ ackWaitSeconds: 2, maxDeliver: 30 });
    db = await createTestDatabase('commitcrash');
    sandbox = await createGitSandbox();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    if (child?.process.exitCode === null) child.process.kill('SIGKILL');
    await pg?.end();
    await bus?.close();
    await db?.drop();
    await sandbox?.close();
  });

  it('every command in flight when the process dies is committed exactly once after the restarts', async () => {
    const env = {
      BUS_NAMESPACE: bus.names.namespace,
      DATABASE_URL: db.url,
      JWT_SECRET: 'commit-crash-test-secret-0123456789abcdef',
      SERVICE_PORT: '0',
      LOG_LEVEL: 'silent',
      GIT_DATA_DIR: sandbox.dataDir,
      CONSUMER_CONCURRENCY: '8',
      RETRY_INITIAL_MS: '50',
      RETRY_MAX_MS: '200',
    };
    const publisher = new BusPublisher(bus.js, bus.names);
    const repo = await seedRepository({ publisher }, sandbox, 'crashy');
    for (const branch of BRANCHES.slice(1)) await sandbox.git.createBranch(repo.locator, branch, 'main');
    const commands = Array.from({ length: COMMANDS }, (_, i) =>
      createEnvelope(
        'CreateCommit',
        { repositoryId: repo.repositoryId, branch: BRANCHES[i % BRANCHES.length]!, message: `crash ${i}`, changes: [{ action: 'add', path: `crash/${i}.txt`, content: `${i}\n` }] },
        { source: 'test-agent', tenantId: 'acme', projectId: 'web', actor: { kind: 'agent', id: 'agent-7' } },
      ),
    );
    const answered = async () => {
      const { rows } = await pg.query<{ n: number }>(`SELECT count(DISTINCT metadata->>'causationId')::int AS n FROM commit.events WHERE type = 'CommitCreated'`).catch(() => ({ rows: [{ n: 0 }] }));
      return rows[0]?.n ?? 0;
    };

    const start = () => (child = spawnCompiled('services/source-control/commit/src/main.ts', env));
    start();
    for (const command of commands) await publisher.publish(command);
    let killedMidFlight = 0;
    while (killedMidFlight < 4) {
      const before = await answered();
      if (before >= COMMANDS) break;
      // once this incarnation is answering commands, kill it somewhere in the middle of its work
      await eventually(async () => ((await answered()) > before ? true : undefined), 'progress after a restart', 60_000);
      await sleep(Math.random() * 200);
      if ((await answered()) >= COMMANDS) break;
      child!.process.kill('SIGKILL');
      await child!.exited;
      killedMidFlight++;
      start();
    }
    await eventually(async () => ((await answered()) === COMMANDS ? true : undefined), 'every command answered', 120_000);
    expect(killedMidFlight).toBeGreaterThan(0);

    // one CommitCreated per command in the event store (the bus dedupes the relay's retries by msgID)
    const { rows: repeated } = await pg.query(`SELECT metadata->>'causationId' AS command, count(*)::int AS n FROM commit.events WHERE type = 'CommitCreated' GROUP BY 1 HAVING count(*) > 1`);
    expect(repeated).toEqual([]);
    // one git commit per command, found by the Command-Id trailer every commit carries
    const perCommand = new Map<string, number>();
    for (const branch of BRANCHES) {
      for (const commit of await sandbox.git.log(repo.locator, branch, { limit: 200 })) {
        const id = commit.trailers['Command-Id'];
        if (id) perCommand.set(id, (perCommand.get(id) ?? 0) + 1);
      }
    }
    expect(commands.filter((c) => perCommand.get(c.id) !== 1).map((c) => [c.payload.message, perCommand.get(c.id) ?? 0])).toEqual([]);
    expect(perCommand.size).toBe(COMMANDS);
  });
});
