import path from 'node:path';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { Envelope } from '@delivery/contracts';
import { PostgresEventStore, eventStoreMigrations } from '@delivery/eventstore';
import { createServiceDataSource, platformMigrations, runMigrations } from '@delivery/persistence';
import { buildOnce, createTestBus, createTestDatabase, spawnCompiled, type TestBus, type TestDatabase } from '@delivery/testing';
import { BusPublisher, createEnvelope, relayCheckpointsMigration, toNewEvent } from '../src';

jest.setTimeout(180_000);

async function readSubject(bus: TestBus, stream: string, subject: string): Promise<Envelope[]> {
  const consumer = await bus.js.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
  const pending = (await consumer.info(true)).num_pending;
  const out: Envelope[] = [];
  while (out.length < pending) {
    const batch = await consumer.fetch({ max_messages: Math.min(pending - out.length, 1000), expires: 2_000 });
    for await (const msg of batch) out.push(msg.json<Envelope>());
  }
  await consumer.delete().catch(() => undefined);
  return out;
}

describe('crash safety (SIGKILL, real processes)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  beforeAll(async () => {
    buildOnce();
    bus = await createTestBus({ ackWaitSeconds: 2 });
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await bus?.close();
    await db?.drop();
  });

  it('a consumer killed between its database commit and its ack: the redelivery has no second effect', async () => {
    const env = { BUS_NAMESPACE: bus.names.namespace, DATABASE_URL: db.url, LOG_LEVEL: 'silent', SERVICE_PORT: '0' };
    const publisher = new BusPublisher(bus.js, bus.names);
    const commands = ['one', 'two', 'three'].map((n) =>
      createEnvelope('CreateCommit', { repositoryId: 'repo-1', branch: 'main', message: `crash ${n}` }, { source: 'test', tenantId: 'acme', projectId: 'shop' }),
    );

    for (const command of commands) {
      const crashing = spawnCompiled(path.join(__dirname, 'probe.main.ts'), { ...env, PROBE_CRASH_AFTER_COMMIT: '1' });
      await crashing.ready;
      await publisher.publish(command);
      expect((await crashing.exited).signal).toBe('SIGKILL');
    }
    const stream = bus.names.commandStream('source-control');
    const afterCrash = await bus.jsm.consumers.info(stream, 'commit-commands');
    expect(afterCrash.num_ack_pending + afterCrash.num_pending).toBeGreaterThan(0); // never acked
    const probeRows = async () => {
      const dataSource = createServiceDataSource({ url: db.url, schema: 'commit' });
      await dataSource.initialize();
      const rows: Array<{ envelope_id: string; deliveries: number }> = await dataSource.query('SELECT envelope_id, deliveries FROM commit.probe_commits ORDER BY envelope_id');
      await dataSource.destroy();
      return rows;
    };
    // Each killed process had committed its command's effect before dying.
    const committedBeforeRestart = await probeRows();
    expect(committedBeforeRestart.map((r) => r.envelope_id)).toEqual(commands.map((c) => c.id).sort());

    const healthy = spawnCompiled(path.join(__dirname, 'probe.main.ts'), env);
    await healthy.ready;
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const info = await bus.jsm.consumers.info(stream, 'commit-commands');
        if (info.num_ack_pending === 0 && info.num_pending === 0) break;
        if (Date.now() > deadline) throw new Error(`redeliveries not settled: ${JSON.stringify({ pending: info.num_pending, ackPending: info.num_ack_pending })}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The redeliveries found their envelopes in the inbox: still one row per command, untouched.
      expect(await probeRows()).toEqual(committedBeforeRestart);

      // Each CommitCreated is on the bus exactly once, whichever relay (killed or restarted) published it.
      const events = await waitForCount(bus, commands.length);
      expect(events.map((e) => e.causationId).sort()).toEqual(commands.map((c) => c.id).sort());
    } finally {
      healthy.process.kill('SIGTERM');
      await healthy.exited;
    }
  });

  it('a relay killed mid-batch: after restart every event is published once and in order per stream', async () => {
    const schema = 'relay_crash';
    const dataSource = createServiceDataSource({ url: db.url, schema, migrations: platformMigrations(schema, ...eventStoreMigrations, relayCheckpointsMigration) });
    await runMigrations(dataSource);
    const store = new PostgresEventStore(dataSource, schema);
    const STREAMS = 20;
    const PER_STREAM = 60;
    // Interleaved appends: global order mixes streams, so per-stream order is a real property to check.
    for (let version = 0; version < PER_STREAM; version++) {
      await Promise.all(
        Array.from({ length: STREAMS }, (_, s) =>
          store.append(
            `repo-${s}`,
            [toNewEvent(createEnvelope('CommitCreated', { repositoryId: `repo-${s}`, branch: 'main', sha: version.toString(16).padStart(40, '0') }, { source: 'commit', tenantId: 'acme', projectId: 'shop', correlationId: `repo-${s}` }))],
            version - 1,
          ),
        ),
      );
    }
    const total = STREAMS * PER_STREAM;
    const env = { BUS_NAMESPACE: bus.names.namespace, DATABASE_URL: db.url, RELAY_SCHEMA: schema, RELAY_BATCH: '100' };

    for (const killAfter of [250, 430]) {
      const relay = spawnCompiled(path.join(__dirname, 'relay.main.ts'), { ...env, RELAY_KILL_AFTER: String(killAfter) });
      expect((await relay.exited).signal).toBe('SIGKILL');
      const [{ position }] = (await dataSource.query(`SELECT position FROM ${schema}.relay_checkpoints`)) as [{ position: string }];
      const published = (await bus.jsm.streams.info(bus.names.eventStream('source-control'))).state.messages;
      // Killed inside a batch: JetStream holds more than the checkpoint says was done.
      expect(published).toBeGreaterThan(Number(position));
    }
    const relay = spawnCompiled(path.join(__dirname, 'relay.main.ts'), env);
    await relay.ready;
    const events = await waitForCount(bus, total, (e) => e.correlationId.startsWith('repo-'));
    relay.process.kill('SIGKILL');
    await relay.exited;
    await store.close();
    await dataSource.destroy();

    expect(new Set(events.map((e) => e.id)).size).toBe(total);
    for (let s = 0; s < STREAMS; s++) {
      const shas = events.filter((e) => e.correlationId === `repo-${s}`).map((e) => (e.payload as { sha: string }).sha);
      expect(shas).toEqual(Array.from({ length: PER_STREAM }, (_, v) => v.toString(16).padStart(40, '0')));
    }
  });
});

async function waitForCount(bus: TestBus, count: number, filter: (e: Envelope) => boolean = () => true): Promise<Envelope[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const events = (await readSubject(bus, bus.names.eventStream('source-control'), bus.names.eventFilter('source-control', 'CommitCreated'))).filter(filter);
    if (events.length >= count || Date.now() > deadline) {
      // Let any straggling duplicate arrive before asserting exactly-once.
      await new Promise((r) => setTimeout(r, 300));
      return (await readSubject(bus, bus.names.eventStream('source-control'), bus.names.eventFilter('source-control', 'CommitCreated'))).filter(filter);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
