import type { DataSource, EntityManager } from 'typeorm';
import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '@delivery/testing';
import { createServiceDataSource, runMigrations } from './data-source';
import { GroupCommitInbox } from './group-commit.inbox';
import { handleOnce } from './inbox';
import { platformMigrations } from './platform-migrations';
import { defineMigration } from './migration.factory';

const SCHEMA = 'group_svc';
const effects = defineMigration({
  name: 'Effects',
  timestamp: 1_700_000_000_000,
  up: (schema) => [`CREATE TABLE "${schema}".effects (envelope_id uuid PRIMARY KEY, note text NOT NULL, txid bigint NOT NULL DEFAULT txid_current())`],
  down: (schema) => [`DROP TABLE "${schema}".effects`],
});
const id = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;

interface Note {
  envelopeId: string;
  note: string;
}

describe('group-commit inbox (real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  // a pool: the checks of 200 resolving submissions run concurrently
  let observer: Pool;

  const work = async (manager: EntityManager, notes: Note[]) => {
    if (notes.some((n) => n.note === 'poison')) throw new Error('poison note');
    await manager.query(`INSERT INTO ${SCHEMA}.effects (envelope_id, note) SELECT * FROM unnest($1::uuid[], $2::text[])`, [notes.map((n) => n.envelopeId), notes.map((n) => n.note)]);
  };
  const committed = async (envelopeId: string) => (await observer.query(`SELECT 1 FROM ${SCHEMA}.effects WHERE envelope_id = $1`, [envelopeId])).rowCount === 1;

  beforeAll(async () => {
    db = await createTestDatabase('group');
    ds = createServiceDataSource({ url: db.url, schema: SCHEMA, migrations: platformMigrations(SCHEMA, effects), poolSize: 4 });
    await runMigrations(ds);
    observer = new Pool({ connectionString: db.url, max: 4 });
  });
  afterAll(async () => {
    await observer?.end();
    await ds?.destroy();
    await db?.drop();
  });

  it('shares transactions among concurrent messages, and resolves each only once its own commit is visible', async () => {
    const inbox = new GroupCommitInbox<Note>({ dataSource: ds, work });
    const visibleWhenResolved = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        inbox.submit({ consumer: 'c', envelopeId: id(i), value: { envelopeId: id(i), note: `n${i}` } }).then(() => committed(id(i))),
      ),
    );
    expect(visibleWhenResolved.every(Boolean)).toBe(true);
    const [{ transactions }] = (await observer.query(`SELECT count(DISTINCT txid)::int AS transactions FROM ${SCHEMA}.effects`)).rows;
    expect(transactions).toBeLessThan(50); // 200 messages, far fewer commits
  });

  it('applies a duplicate once: within a batch, and after an earlier handling', async () => {
    await handleOnce(ds, { consumer: 'c', envelopeId: id(1000) }, (m) => work(m, [{ envelopeId: id(1000), note: 'first' }]));
    const inbox = new GroupCommitInbox<Note>({ dataSource: ds, work });
    await Promise.all([
      inbox.submit({ consumer: 'c', envelopeId: id(1000), value: { envelopeId: id(1000), note: 'again' } }),
      inbox.submit({ consumer: 'c', envelopeId: id(1001), value: { envelopeId: id(1001), note: 'once' } }),
      inbox.submit({ consumer: 'c', envelopeId: id(1001), value: { envelopeId: id(1001), note: 'twice' } }),
    ]);
    const rows = (await observer.query(`SELECT envelope_id, note FROM ${SCHEMA}.effects WHERE envelope_id = ANY($1::uuid[]) ORDER BY envelope_id`, [[id(1000), id(1001)]])).rows;
    expect(rows).toEqual([
      { envelope_id: id(1000), note: 'first' },
      { envelope_id: id(1001), note: 'once' },
    ]);
  });

  it('fails one bad message alone: its neighbours commit, its inbox claim rolls back so a redelivery can retry', async () => {
    const inbox = new GroupCommitInbox<Note>({ dataSource: ds, work });
    const results = await Promise.allSettled([2000, 2001, 2002].map((n) => inbox.submit({ consumer: 'c', envelopeId: id(n), value: { envelopeId: id(n), note: n === 2001 ? 'poison' : 'fine' } })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await committed(id(2000))).toBe(true);
    expect(await committed(id(2002))).toBe(true);
    expect((await observer.query(`SELECT 1 FROM ${SCHEMA}.inbox WHERE envelope_id = $1`, [id(2001)])).rowCount).toBe(0);
  });

  it('keeps consumers apart: the same envelope handled by two subscriptions applies for each', async () => {
    const seen: string[] = [];
    const inbox = new GroupCommitInbox<string>({ dataSource: ds, work: async (_m, values) => void seen.push(...values) });
    await Promise.all(['a', 'b'].map((consumer) => inbox.submit({ consumer, envelopeId: id(3000), value: consumer })));
    expect(seen.sort()).toEqual(['a', 'b']);
  });
});
