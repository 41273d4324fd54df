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

/** For tests and tools without a migration list: idempotent. */
export async function ensureEventStoreSchema(dataSource: DataSource, schema: string): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    // Concurrent CREATE ... IF NOT EXISTS can still collide on the catalog: serialize per schema.
    await runner.startTransaction();
    await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`eventstore-ddl:${schema}`]);
    for (const sql of eventStoreDdl(schema)) await runner.query(sql);
    await runner.commitTransaction();
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}
