import { eventStoreMigrations, PostgresEventStore } from '@delivery/eventstore';
import { createServiceDataSource, platformMigrations, runMigrations } from '@delivery/persistence';
import { createTestBus, createTestDatabase, type TestBus, type TestDatabase } from '@delivery/testing';
import { BusPublisher, createEnvelope, OutboxRelay, PostgresRelayCheckpoints, relayCheckpointsMigration, toNewEvent } from '../src';

describe('relay lag (real NATS + Postgres)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  beforeAll(async () => {
    bus = await createTestBus();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await bus?.close();
    await db?.drop();
  });

  it('samples how many appended events are not yet published, down to zero once caught up', async () => {
    const schema = 'lagging';
    const dataSource = createServiceDataSource({ url: db.url, schema, migrations: platformMigrations(schema, ...eventStoreMigrations, relayCheckpointsMigration) });
    await runMigrations(dataSource);
    const store = new PostgresEventStore(dataSource, schema);
    for (let i = 0; i < 5; i++) {
      const event = createEnvelope('CommitCreated', { repositoryId: 'repo-1', branch: 'main', sha: String(i).repeat(40) }, { source: 'commit', tenantId: 'acme', projectId: 'shop' });
      await store.append(`repo-1-${i}`, [toNewEvent(event)], 'no-stream');
    }
    const samples: number[] = [];
    const relay = new OutboxRelay({
      name: 'lag-test',
      store,
      publisher: new BusPublisher(bus.js, bus.names),
      checkpoints: new PostgresRelayCheckpoints(dataSource, schema),
      lagIntervalMs: 20,
      metrics: { published: () => undefined, lag: (n) => samples.push(n) },
    });
    relay.start();
    await relay.waitForPublished(5);
    for (let i = 0; i < 100 && samples.at(-1) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    await relay.stop();
    await store.close();
    await dataSource.destroy();
    expect(samples.at(-1)).toBe(0);
    expect(samples.every((n) => n >= 0 && n <= 5)).toBe(true);
  });
});
