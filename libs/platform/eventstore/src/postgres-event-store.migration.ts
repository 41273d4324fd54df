import { createHash } from 'node:crypto';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

// Same rule as @delivery/persistence: the schema is interpolated into DDL and SQL, so it must be a plain identifier.
const SCHEMA_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export class InvalidEventStoreSchemaError extends Error {
  constructor(readonly schema: string) {
    super(`invalid event store schema "${schema}": use lowercase letters, digits and underscores, starting with a letter, at most 63 chars`);
    this.name = 'InvalidEventStoreSchemaError';
  }
}

export function assertEventStoreSchema(schema: string): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) throw new InvalidEventStoreSchemaError(String(schema));
  return schema;
}

/** The LISTEN/NOTIFY channel an append notifies on (channel names are limited to 63 bytes). */
export function eventStoreChannel(schema: string): string {
  const readable = `${assertEventStoreSchema(schema)}_events`;
  return readable.length <= 63 ? readable : `events_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}

export function eventStoreDdl(schema: string): string[] {
  const s = `"${assertEventStoreSchema(schema)}"`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    // position: global order of all streams of this schema, assigned in commit order (see the adapter's lock).
    `CREATE TABLE IF NOT EXISTS ${s}.events (
      position bigserial PRIMARY KEY,
      stream_id text NOT NULL,
      version integer NOT NULL CHECK (version >= 0),
      event_id uuid NOT NULL,
      type text NOT NULL,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL,
      tenant_id text NOT NULL,
      project_id text NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT events_event_id_uq UNIQUE (event_id),
      CONSTRAINT events_stream_version_uq UNIQUE (stream_id, version)
    )`,
  ];
}

// First key of the append lock ('evst'); the second is hashtext(schema), so each service schema has its own.
const APPEND_LOCK_NAMESPACE = 0x65767374;

// The append as one server-side call: take the schema's append lock, then run the append statement with a fresh
// snapshot (a VOLATILE plpgsql function gets one per statement, so the version check sees what the previous lock
// holder committed). Before, the lock was its own round trip and a second stream's append took it again; each
// round trip made while holding it serializes every writer of the schema (BENCHMARKS.md, Releases).
// Positions grow in commit order: nextval() runs only under the lock, which is held until the commit.
// INSERT ... ORDER BY ord: rows reach nextval() in batch order, so positions follow versions. `state` is read once
// (a CTE used twice is materialized); when nothing is inserted the caller explains why from the state.
export function appendFunctionDdl(schema: string): string[] {
  const s = `"${assertEventStoreSchema(schema)}"`;
  const table = `${s}.events`;
  return [
    `CREATE OR REPLACE FUNCTION ${s}.append_events(p_stream text, p_ids uuid[], p_events jsonb, p_mode text, p_expected integer, p_channel text)
     RETURNS TABLE (version integer, "position" text, existing json, appended text, notified text)
     LANGUAGE plpgsql VOLATILE AS $fn$
     #variable_conflict use_column
     BEGIN
       PERFORM pg_advisory_xact_lock(${APPEND_LOCK_NAMESPACE}, hashtext('${assertEventStoreSchema(schema)}'));
       RETURN QUERY
       WITH state AS (
         SELECT (SELECT max(e.version) FROM ${table} e WHERE e.stream_id = p_stream) AS version,
                (SELECT e.position FROM ${table} e WHERE e.stream_id = p_stream ORDER BY e.version DESC LIMIT 1) AS position,
                (SELECT coalesce(json_agg(json_build_object('id', e.event_id, 'streamId', e.stream_id, 'version', e.version,
                                                            'position', e.position::text)), '[]'::json)
                   FROM ${table} e WHERE e.event_id = ANY(p_ids)) AS existing
       ), inserted AS (
         INSERT INTO ${table} (stream_id, version, event_id, type, data, metadata, tenant_id, project_id)
         SELECT p_stream, coalesce(s.version, -1) + e.ord::int, (e.value->>'id')::uuid, e.value->>'type', e.value->'data',
                e.value->'metadata', e.value->'metadata'->>'tenantId', e.value->'metadata'->>'projectId'
           FROM state s, jsonb_array_elements(p_events) WITH ORDINALITY AS e(value, ord)
          WHERE json_array_length(s.existing) = 0
            AND CASE p_mode WHEN 'any' THEN true
                            WHEN 'no-stream' THEN s.version IS NULL
                            WHEN 'stream-exists' THEN s.version IS NOT NULL
                            ELSE s.version = p_expected END
          ORDER BY e.ord
         RETURNING position
       )
       SELECT s.version, s.position::text, s.existing, a.position::text,
              CASE WHEN a.position IS NOT NULL THEN pg_notify(p_channel, a.position::text)::text END
         FROM state s, (SELECT max(i.position) AS position FROM inserted i) a;
     END
     $fn$`,
  ];
}

export function eventStoreDropDdl(schema: string): string[] {
  return [`DROP TABLE IF EXISTS "${assertEventStoreSchema(schema)}".events`];
}

export const EVENT_STORE_MIGRATION_NAME = 'CreateEventStore1767225600000';

/**
 * TypeORM instantiates migration classes itself, so the migration is a class built per schema. Shaped like
 * @delivery/persistence's MigrationFactory: `platformMigrations(schema, eventStoreMigration)`.
 */
export function eventStoreMigration(schema: string): new () => MigrationInterface {
  assertEventStoreSchema(schema);
  const migration = class implements MigrationInterface {
    readonly name = EVENT_STORE_MIGRATION_NAME;
    async up(queryRunner: QueryRunner): Promise<void> {
      for (const sql of eventStoreDdl(schema)) await queryRunner.query(sql);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      for (const sql of eventStoreDropDdl(schema)) await queryRunner.query(sql);
    }
  };
  Object.defineProperty(migration, 'name', { value: EVENT_STORE_MIGRATION_NAME });
  return migration;
}

export const EVENT_STORE_APPEND_MIGRATION_NAME = 'EventStoreAppendFunction1767225600001';

/** The append function (appendFunctionDdl), as a second migration so stores created before it get it too. */
export function eventStoreAppendMigration(schema: string): new () => MigrationInterface {
  assertEventStoreSchema(schema);
  const migration = class implements MigrationInterface {
    readonly name = EVENT_STORE_APPEND_MIGRATION_NAME;
    async up(queryRunner: QueryRunner): Promise<void> {
      for (const sql of appendFunctionDdl(schema)) await queryRunner.query(sql);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP FUNCTION IF EXISTS "${schema}".append_events(text, uuid[], jsonb, text, integer, text)`);
    }
  };
  Object.defineProperty(migration, 'name', { value: EVENT_STORE_APPEND_MIGRATION_NAME });
  return migration;
}

/** Both event-store migrations, in order: `platformMigrations(schema, ...eventStoreMigrations, …)`. */
export const eventStoreMigrations = [eventStoreMigration, eventStoreAppendMigration] as const;

/** For tests and tools without a migration list: idempotent. */
export async function ensureEventStoreSchema(dataSource: DataSource, schema: string): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    // Concurrent CREATE ... IF NOT EXISTS can still collide on the catalog: serialize per schema.
    await runner.startTransaction();
    await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`eventstore-ddl:${schema}`]);
    for (const sql of [...eventStoreDdl(schema), ...appendFunctionDdl(schema)]) await runner.query(sql);
    await runner.commitTransaction();
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}
