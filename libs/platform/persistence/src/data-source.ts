import { DataSource, MigrationExecutor, type Migration, type MixedList, type EntitySchema } from 'typeorm';
import type { MigrationClass } from './migration.factory';
import { assertSchemaName, quoteSchema } from './schema-name';

export interface ServiceDataSourceOptions {
  /** postgres://user:pass@host:port/db */
  url: string;
  /** the service's own schema (DESIGN §4): entities, migrations table and platform tables live in it */
  schema: string;
  // TypeORM's own entity list type (classes, schemas or glob strings).
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  /** usually [...platformMigrations(schema), ...the service's own] */
  migrations?: MigrationClass[];
  poolSize?: number;
  /** shows in pg_stat_activity; defaults to the schema name */
  applicationName?: string;
  logging?: boolean;
}

export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  const schema = assertSchemaName(options.schema);
  const names = new Set<string>();
  for (const migration of options.migrations ?? []) {
    if (names.has(migration.name)) throw new Error(`migration ${migration.name} is listed twice for schema ${schema}`);
    names.add(migration.name);
  }
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema,
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
    migrationsTableName: 'migrations',
    // Replicas must not race: migrations run only through runMigrations (advisory lock), never on initialize.
    migrationsRun: false,
    synchronize: false,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? schema,
    logging: options.logging ?? false,
    // Unqualified names in raw SQL resolve to the service's schema first.
    extra: { options: `-c search_path=${schema},public` },
  });
}

// Namespace of the migration advisory locks (second key: hash of the schema name).
const MIGRATION_LOCK_NAMESPACE = 0x6d696772; // 'migr'

/**
 * Creates the schema and runs pending migrations under a session advisory lock held on the same connection,
 * so replicas starting together run them one after the other (the second finds nothing pending).
 * Initializes the data source when needed. Returns the migrations this call applied.
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const options = dataSource.options;
  const schema = options.type === 'postgres' && options.schema ? options.schema : 'public';
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_NAMESPACE, schema]);
    try {
      // Inside the lock: concurrent CREATE SCHEMA IF NOT EXISTS can still collide on pg_namespace.
      await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteSchema(schema)}`);
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'all';
      return await executor.executePendingMigrations();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_NAMESPACE, schema]);
    }
  } finally {
    await runner.release();
  }
}
