import { createTestDatabase, type TestDatabase } from '@delivery/testing';
import { createServiceDataSource, runMigrations } from './data-source';
import { defineMigration } from './migration.factory';
import { platformMigrations } from './platform-migrations';
import { InvalidSchemaNameError } from './schema-name';

const slowMigration = defineMigration({
  name: 'Slow',
  timestamp: 1_700_000_000_000,
  // Not idempotent on purpose: running it twice would fail, so a race between replicas would show.
  up: (schema) => ['SELECT pg_sleep(0.3)', `CREATE TABLE "${schema}".things (id int PRIMARY KEY)`],
  down: (schema) => [`DROP TABLE "${schema}".things`],
});

describe('service data source (real Postgres)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('persist');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('rejects schema names that are not plain identifiers', () => {
    for (const schema of ['Release', '1abc', 'a-b', 'x"; drop', '', 'a'.repeat(64)]) {
      expect(() => createServiceDataSource({ url: db.url, schema })).toThrow(InvalidSchemaNameError);
    }
  });

  it('refuses a migration listed twice', () => {
    expect(() =>
      createServiceDataSource({ url: db.url, schema: 'dup', migrations: [...platformMigrations('dup'), ...platformMigrations('dup')] }),
    ).toThrow(/listed twice/);
  });

  it('creates the schema, keeps its migrations table inside it, and does not run migrations on initialize', async () => {
    const schema = 'svc_one';
    const ds = createServiceDataSource({ url: db.url, schema, migrations: platformMigrations(schema, slowMigration) });
    try {
      await ds.initialize();
      const before = await ds.query(`SELECT to_regclass('${schema}.inbox') AS t`);
      expect(before[0].t).toBeNull();

      const applied = await runMigrations(ds);
      expect(applied.map((m) => m.name)).toEqual(['PlatformInbox1000000000001', 'Slow1700000000000']);

      const tables: { table_name: string }[] = await ds.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      );
      expect(tables.map((t) => t.table_name)).toEqual(['inbox', 'migrations', 'things']);
      // search_path puts the service schema first for raw SQL.
      expect((await ds.query('SELECT current_schema() AS s'))[0].s).toBe(schema);

      await expect(runMigrations(ds)).resolves.toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('serializes replicas starting together: each migration runs once', async () => {
    const schema = 'svc_race';
    const replicas = [1, 2, 3].map(() =>
      createServiceDataSource({ url: db.url, schema, migrations: platformMigrations(schema, slowMigration), poolSize: 2 }),
    );
    try {
      const applied = await Promise.all(replicas.map((ds) => runMigrations(ds)));
      expect(applied.map((a) => a.length).sort()).toEqual([0, 0, 2]);
      const rows = await replicas[0]!.query(`SELECT name FROM ${schema}.migrations ORDER BY id`);
      expect(rows.map((r: { name: string }) => r.name)).toEqual(['PlatformInbox1000000000001', 'Slow1700000000000']);
    } finally {
      await Promise.all(replicas.map((ds) => (ds.isInitialized ? ds.destroy() : undefined)));
    }
  });

  it('keeps two services apart in one database', async () => {
    const a = createServiceDataSource({ url: db.url, schema: 'svc_a', migrations: platformMigrations('svc_a') });
    const b = createServiceDataSource({ url: db.url, schema: 'svc_b', migrations: platformMigrations('svc_b') });
    try {
      await runMigrations(a);
      await runMigrations(b);
      await a.query(`INSERT INTO inbox (consumer, envelope_id) VALUES ('x', gen_random_uuid())`);
      expect((await b.query('SELECT count(*)::int AS n FROM inbox'))[0].n).toBe(0);
      expect((await a.query('SELECT count(*)::int AS n FROM inbox'))[0].n).toBe(1);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });
});
