import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy } from '@nats-io/jetstream';
import { Client } from 'pg';
import { BusPublisher, createEnvelope } from '@delivery/messaging';
import { buildCompletedPayload, buildOnce, type Child, createTestBus, createTestDatabase, eventually, spawnCompiled, type TestBus, type TestDatabase } from '@delivery/testing';
import { evolve, initialState, type ReleaseEvent, type ReleaseState } from '../src/domain/release-plan.decider';
import { planBody, promoted, type PromoteCommand } from '../src/release.testing';

jest.setTimeout(240_000);

const RELEASES = 15;
const PATH = ['dev1', 'dev2', 'dev3'];

// The release service as a real process, SIGKILLed while commands and promotion answers are in flight. The test
// plays environment-promotion: it answers every PromoteDeployment with DeploymentPromoted. After the restarts
// every release is deployed once, and the saga sent exactly one PromoteDeployment per environment.
describe('release service under SIGKILL (real processes, NATS, Postgres)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  let pg: Client;
  let child: Child | undefined;
  let answering: { stop(): void } | undefined;

  beforeAll(async () => {
    buildOnce();
    bus = await createTestBus({ ackWaitSeconds: 2, maxDeliver: 30 });
    db = await createTestDatabase('releasecrash');
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    answering?.stop();
    if (child?.process.exitCode === null) child.process.kill('SIGKILL');
    await pg?.end();
    await bus?.close();
    await db?.drop();
  });

  it('every release is deployed exactly once with one PromoteDeployment per environment', async () => {
    const env = {
      BUS_NAMESPACE: bus.names.namespace,
      DATABASE_URL: db.url,
      JWT_SECRET: 'release-crash-test-secret-0123456789abcdef',
      SERVICE_PORT: '0',
      LOG_LEVEL: 'silent',
      CONSUMER_CONCURRENCY: '8',
      RETRY_INITIAL_MS: '50',
      RETRY_MAX_MS: '200',
    };
    const publisher = new BusPublisher(bus.js, bus.names);
    const options = { source: 'test-agent', tenantId: 'acme', projectId: 'web', actor: { kind: 'agent' as const, id: 'agent-7' } };
    const count = async (sql: string) => {
      const { rows } = await pg.query<{ n: number }>(sql).catch(() => ({ rows: [{ n: 0 }] }));
      return rows[0]?.n ?? 0;
    };
    const events = () => count(`SELECT count(*)::int AS n FROM release.events`);
    const start = () => (child = spawnCompiled('services/release/release/src/main.ts', env));

    // kills the process mid-work (after it made some progress) until `done`, at most three times a phase
    let kills = 0;
    const crashUntil = async (done: () => Promise<boolean>, what: string) => {
      for (let round = 0; round < 3 && !(await done()); round++) {
        const before = await events();
        await eventually(async () => ((await events()) > before || (await done()) ? true : undefined), `progress towards ${what}`, 60_000);
        await sleep(Math.random() * 150);
        if (await done()) break;
        child!.process.kill('SIGKILL');
        await child!.exited;
        kills++;
        start();
      }
      await eventually(async () => ((await done()) ? true : undefined), what, 120_000);
    };

    start();
    await publisher.publish(
      createEnvelope(
        'BuildCompleted',
        buildCompletedPayload('crash-build', 'Succeeded', { runId: 'run-1' }),
        { ...options, source: 'build-result' },
      ),
    );
    await eventually(async () => ((await count(`SELECT count(*)::int AS n FROM release.builds`)) === 1 ? true : undefined), 'the build known', 60_000);
    answering = await answerPromotions(bus, publisher);

    const ids = Array.from({ length: RELEASES }, (_, i) => `crash-${i}`);
    for (const releaseId of ids) await publisher.publish(createEnvelope('PlanRelease', { ...planBody('crash-build', PATH), releaseId }, options));
    await crashUntil(async () => (await count(`SELECT count(*)::int AS n FROM release.events WHERE type = 'ReleasePlanned'`)) === RELEASES, 'every release planned');
    for (const releaseId of ids) await publisher.publish(createEnvelope('SubmitRelease', { releaseId }, options));
    await crashUntil(async () => (await count(`SELECT count(*)::int AS n FROM release.events WHERE type = 'ReleaseDeployed'`)) === RELEASES, 'every release deployed');
    expect(kills).toBeGreaterThan(0);

    const { rows: repeated } = await pg.query(
      `SELECT stream_id, type, data->>'environment' AS environment, count(*)::int AS n FROM release.events
        WHERE type IN ('PromoteDeployment', 'ReleasePromotionStarted', 'ReleaseEnvironmentPromoted', 'ReleaseDeployed') GROUP BY 1, 2, 3 HAVING count(*) > 1`,
    );
    expect(repeated).toEqual([]);
    expect(await count(`SELECT count(*)::int AS n FROM release.events WHERE type = 'PromoteDeployment'`)).toBe(RELEASES * PATH.length);
    expect(await count(`SELECT count(*)::int AS n FROM release.events WHERE type = 'ReleaseCommandRejected'`)).toBe(0);

    // the read-model row that decisions start from is exactly the fold of the release's stream, at its version
    for (const releaseId of ids) {
      const { rows: events } = await pg.query(`SELECT type, data, version FROM release.events WHERE stream_id = $1 ORDER BY version`, [`release-${releaseId}`]);
      const { rows: [row] } = await pg.query(`SELECT state, version, saga_version FROM release.releases WHERE release_id = $1`, [releaseId]);
      expect(row.state).toEqual(events.reduce((state: ReleaseState, e: { type: string; data: unknown }) => evolve(state, { type: e.type, payload: e.data } as ReleaseEvent), initialState));
      expect(row.version).toBe(events.length - 1);
      expect(row.saga_version).toBe(PATH.length - 1);
    }
  });
});

/** environment-promotion's part: every PromoteDeployment on the bus is answered with DeploymentPromoted. */
async function answerPromotions(bus: TestBus, publisher: BusPublisher): Promise<{ stop(): void }> {
  const consumer = await bus.js.consumers.get(bus.names.commandStream('release'), {
    filter_subjects: `${bus.names.namespace}.*.cmd.environment-promotion.PromoteDeployment`,
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume();
  void (async () => {
    for await (const msg of messages) await publisher.publish(promoted(msg.json<PromoteCommand>()));
  })();
  return { stop: () => messages.stop() };
}
