import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@delivery/testing';
import { DuplicateEventIdError, WrongExpectedVersionError, type RecordedEvent } from './event-store.port';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store.adapter';
import {
  EVENT_STORE_MIGRATION_NAME,
  InvalidEventStoreSchemaError,
  ensureEventStoreSchema,
  eventStoreChannel,
  eventStoreMigrations,
  EVENT_STORE_APPEND_MIGRATION_NAME,
} from './postgres-event-store.migration';
import { conformanceEvent, describeEventStoreConformance } from './testing/event-store.conformance';

let db: TestDatabase;
let dataSource: DataSource;
let schemas = 0;
const stores: PostgresEventStore[] = [];

beforeAll(async () => {
  db = await createTestDatabase('eventstore');
  dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 20, applicationName: 'eventstore-int' });
  await dataSource.initialize();
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await dataSource?.destroy();
  await db?.drop();
});

// A schema of its own per store: each test sees only its own $all.
async function freshStore(options?: PostgresEventStoreOptions): Promise<PostgresEventStore> {
  const schema = `svc_${++schemas}`;
  await ensureEventStoreSchema(dataSource, schema);
  const store = new PostgresEventStore(dataSource, schema, options);
  stores.push(store);
  return store;
}

describeEventStoreConformance('PostgresEventStore conformance', () => freshStore());

describe('PostgresEventStore: the events commit with the caller state', () => {
  let store: PostgresEventStore;
  beforeAll(async () => {
    store = await freshStore();
    await dataSource.query(`CREATE TABLE "${store.schema}".things (id text PRIMARY KEY, tenant_id text NOT NULL, project_id text NOT NULL)`);
  });

  it('commits the events together with the state change', async () => {
    const event = conformanceEvent('ThingCreated');
    const result = await dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO "${store.schema}".things VALUES ($1, 'acme', 'rocket')`, ['t1']);
      return store.append('thing-t1', [event], -1, { transaction: manager });
    });
    expect(result).toEqual({ nextExpectedVersion: 0, position: (await store.read('thing-t1'))[0]!.position });
    expect(await dataSource.query(`SELECT id FROM "${store.schema}".things`)).toEqual([{ id: 't1' }]);
  });

  it('leaves no event behind when the caller rolls back, and the stream stays new', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query(`INSERT INTO "${store.schema}".things VALUES ($1, 'acme', 'rocket')`, ['t2']);
        await store.append('thing-t2', [conformanceEvent('ThingCreated')], -1, { transaction: manager });
        // Not visible outside the transaction before it commits; visible inside it, on the same connection.
        expect(await store.read('thing-t2')).toEqual([]);
        expect((await store.read('thing-t2', { transaction: manager })).map((e) => e.type)).toEqual(['ThingCreated']);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await store.read('thing-t2')).toEqual([]);
    expect(await dataSource.query(`SELECT id FROM "${store.schema}".things WHERE id = 't2'`)).toEqual([]);
    expect((await store.append('thing-t2', [conformanceEvent()], -1)).nextExpectedVersion).toBe(0);
    await expect(store.read('thing-t2', { transaction: dataSource.manager })).rejects.toThrow(/open transaction/);
  });

  it('rejects a manager that is not inside a transaction, or belongs to another DataSource', async () => {
    await expect(store.append('thing-x', [conformanceEvent()], -1, { transaction: dataSource.manager })).rejects.toThrow(/open transaction/);
    await expect(store.append('thing-x', [conformanceEvent()], -1, { transaction: {} })).rejects.toThrow(TypeError);
  });

  it('reports a race lost on the unique constraint (stale snapshot) as WrongExpectedVersionError', async () => {
    await store.append('thing-rr', [conformanceEvent()], -1);
    const error = await dataSource
      .transaction('REPEATABLE READ', async (manager) => {
        await manager.query('SELECT 1'); // the snapshot is taken here
        await store.append('thing-rr', [conformanceEvent('Winner')], 0);
        await store.append('thing-rr', [conformanceEvent('Loser')], 0, { transaction: manager });
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error).toMatchObject({ streamId: 'thing-rr', expected: 0, actual: 1 });
    expect((await store.read('thing-rr')).map((e) => e.type)).toEqual(['ThingHappened', 'Winner']);
  });
});

describe('PostgresEventStore: positions follow commit order', () => {
  it('never lets a tailing reader skip an event while concurrent transactions commit out of start order', async () => {
    const store = await freshStore({ pollIntervalMs: 50 });
    const writers = 8;
    const perWriter = 30;
    let writing = true;

    // Tailer 1: the relay's loop, readAll strictly after the last position it saw.
    const polled: bigint[] = [];
    const polling = (async () => {
      let last = 0n;
      for (;;) {
        const finished = !writing; // read the flag before the page: the last empty page then proves the end
        const page = await store.readAll({ fromPosition: last, limit: 7 });
        for (const event of page) polled.push((last = event.position));
        if (finished && page.length === 0) return;
      }
    })();
    // Tailer 2: a subscription.
    const controller = new AbortController();
    const subscribed: bigint[] = [];
    const subscribing = (async () => {
      for await (const event of store.subscribe({ signal: controller.signal })) subscribed.push(event.position);
    })();

    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          const stream = `writer-${w}-${i % 3}`;
          const batch = [conformanceEvent('Written', { w, i }), ...(i % 5 === 0 ? [conformanceEvent('Written', { w, i, extra: true })] : [])];
          if (i % 2 === 0) {
            // Hold the transaction open after the insert, so later transactions try to commit first.
            await dataSource.transaction(async (manager) => {
              await store.append(stream, batch, 'any', { transaction: manager });
              await sleep(Math.random() * 8);
            });
          } else {
            await store.append(stream, batch, 'any');
          }
        }
      }),
    );
    writing = false;
    await polling;
    const all = (await store.readAll()).map((e) => e.position);
    expect(all).toHaveLength(writers * perWriter + writers * Math.ceil(perWriter / 5));
    expect(polled).toEqual(all);
    await waitFor(() => subscribed.length >= all.length);
    controller.abort();
    await subscribing;
    expect(subscribed).toEqual(all);
  });
});

describe('PostgresEventStore: idempotency and edge cases', () => {
  let store: PostgresEventStore;
  beforeAll(async () => {
    store = await freshStore();
  });

  it('returns the original result, position included, for a re-append', async () => {
    const batch = [conformanceEvent(), conformanceEvent()];
    const first = await store.append('idem-1', batch, 'no-stream');
    await store.append('other', [conformanceEvent()], -1);
    expect(await store.append('idem-1', batch, 'no-stream')).toEqual(first);
    expect(await store.append('idem-1', batch, 'any')).toEqual(first);
    expect(await store.append('idem-1', batch.map((e) => ({ ...e, id: e.id.toUpperCase() })), -1)).toEqual(first);
  });

  it('rejects ids stored elsewhere: another stream, a partial batch, another place', async () => {
    const [a, b] = [conformanceEvent(), conformanceEvent()];
    await store.append('dup-1', [a, b], -1);
    await expect(store.append('dup-2', [a], -1)).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(store.append('dup-1', [a, conformanceEvent()], 'any')).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(store.append('dup-1', [b, a], 'any')).rejects.toBeInstanceOf(DuplicateEventIdError);
    // A conflicting expectation is reported as the conflict it is.
    await expect(store.append('dup-1', [a], 5)).rejects.toMatchObject({ name: 'WrongExpectedVersionError', actual: 1 });
    expect(await store.read('dup-1')).toHaveLength(2);
  });

  it('checks the expectation and writes nothing for an empty append', async () => {
    expect(await store.append('empty', [], 'no-stream')).toEqual({ nextExpectedVersion: -1, position: 0n });
    const written = await store.append('empty', [conformanceEvent()], -1);
    expect(await store.append('empty', [], 0)).toEqual(written);
    await expect(store.append('empty', [], 'no-stream')).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });

  it('rejects bad input before touching the database', async () => {
    const event = conformanceEvent();
    await expect(store.append('bad', [event, event], -1)).rejects.toThrow(/twice/);
    await expect(store.append('bad', [conformanceEvent(undefined, undefined, { tenantId: '' })], -1)).rejects.toThrow(/tenantId/);
    await expect(store.append('bad', [conformanceEvent()], -2)).rejects.toThrow(RangeError);
    await expect(store.read('bad', { fromVersion: -1 })).rejects.toThrow(RangeError);
    expect(() => new PostgresEventStore(dataSource, 'Bad-Schema')).toThrow(InvalidEventStoreSchemaError);
    expect(() => new PostgresEventStore(dataSource, 'x; DROP TABLE y')).toThrow(InvalidEventStoreSchemaError);
  });

  it('stores tenant and project as columns and keeps null data', async () => {
    await store.append('cols', [conformanceEvent('Nothing', null, { tenantId: 'globex', projectId: 'p9' })], -1);
    const rows = await dataSource.query(`SELECT tenant_id, project_id, data FROM "${store.schema}".events WHERE stream_id = 'cols'`);
    expect(rows).toEqual([{ tenant_id: 'globex', project_id: 'p9', data: null }]);
    expect((await store.read('cols'))[0]!.data).toBeNull();
  });
});

describe('PostgresEventStore: subscriptions', () => {
  it('wakes on NOTIFY (no polling needed) and survives a dropped LISTEN connection', async () => {
    const store = await freshStore({ pollIntervalMs: 60_000 });
    const controller = new AbortController();
    const received: RecordedEvent[] = [];
    const consuming = (async () => {
      for await (const event of store.subscribe({ signal: controller.signal })) received.push(event);
    })();
    await waitFor(async () => (await listenerPids(store)).length === 1);
    await store.append('live', [conformanceEvent()], -1);
    await waitFor(() => received.length === 1, 2000);

    await dataSource.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1::int[])', [await listenerPids(store)]);
    await waitFor(async () => (await listenerPids(store)).length === 1, 5000); // reconnected
    await store.append('live', [conformanceEvent()], 0);
    await waitFor(() => received.length === 2, 2000);
    controller.abort();
    await consuming;
    await waitFor(async () => (await listenerPids(store)).length === 0, 5000); // released with the last subscription
  });

  it('falls back to polling for rows that were never notified', async () => {
    const store = await freshStore({ pollIntervalMs: 100 });
    const controller = new AbortController();
    const received: string[] = [];
    const consuming = (async () => {
      for await (const event of store.subscribe({ signal: controller.signal })) received.push(event.id);
    })();
    const id = randomUUID();
    await sleep(50);
    await dataSource.query(
      `INSERT INTO "${store.schema}".events (stream_id, version, event_id, type, data, metadata, tenant_id, project_id)
       VALUES ('silent', 0, $1, 'Silent', '{}', $2, 'acme', 'rocket')`,
      [id, JSON.stringify(conformanceEvent().metadata)],
    );
    await waitFor(() => received.includes(id), 3000);
    controller.abort();
    await consuming;
  });

  it('close() ends running subscriptions and refuses further use', async () => {
    const store = await freshStore();
    const consuming = (async () => {
      for await (const _ of store.subscribe()) void _;
    })();
    await sleep(50);
    await store.close();
    await consuming;
    await expect(store.readAll()).rejects.toThrow(/closed/);
  });
});

describe('PostgresEventStore: schema as a migration', () => {
  it('runs from a TypeORM migration list and rolls back', async () => {
    const migrations = eventStoreMigrations.map((factory) => factory('svc_migrated'));
    const migrating = new DataSource({ type: 'postgres', url: db.url, migrations, migrationsTableName: 'svc_migrated_migrations' });
    await migrating.initialize();
    try {
      const applied = await migrating.runMigrations({ transaction: 'all' });
      expect(applied.map((m) => m.name)).toEqual([EVENT_STORE_MIGRATION_NAME, EVENT_STORE_APPEND_MIGRATION_NAME]);
      const store = new PostgresEventStore(migrating, 'svc_migrated');
      expect((await store.append('m', [conformanceEvent()], -1)).nextExpectedVersion).toBe(0);
      await store.close();
      await ensureEventStoreSchema(migrating, 'svc_migrated'); // idempotent beside the migration
      await migrating.undoLastMigration();
      expect(await migrating.query(`SELECT to_regprocedure('svc_migrated.append_events(text, uuid[], jsonb, text, integer, text)') AS f`)).toEqual([{ f: null }]);
      await migrating.undoLastMigration();
      expect(await migrating.query(`SELECT to_regclass('svc_migrated.events') AS t`)).toEqual([{ t: null }]);
    } finally {
      await migrating.destroy();
    }
  });

  it('names a notification channel within the 63-byte limit', () => {
    expect(eventStoreChannel('release')).toBe('release_events');
    expect(eventStoreChannel(`s${'x'.repeat(62)}`).length).toBeLessThanOrEqual(63);
  });
});

async function listenerPids(store: PostgresEventStore): Promise<number[]> {
  const rows: Array<{ pid: number }> = await dataSource.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1 AND pid <> pg_backend_pid()`,
    [`LISTEN "${eventStoreChannel(store.schema)}"`],
  );
  return rows.map((r) => r.pid);
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await sleep(10);
  }
}

describe('PostgresEventStore: countAfter (the relay lag)', () => {
  it('counts the events after a position, all of them from the start', async () => {
    const store = await freshStore();
    expect(await store.countAfter(undefined)).toBe(0);
    const first = await store.append('lag-1', [conformanceEvent(), conformanceEvent()], 'no-stream');
    await store.append('lag-2', [conformanceEvent()], 'no-stream');
    expect(await store.countAfter(undefined)).toBe(3);
    expect(await store.countAfter(first.position)).toBe(1);
  });
});
