import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@delivery/testing';
import { createServiceDataSource, runMigrations } from './data-source';
import { claimInbox, handleOnce, handleOnceBatch, pruneInbox } from './inbox';
import { platformMigrations } from './platform-migrations';
import { defineMigration } from './migration.factory';

const SCHEMA = 'inbox_svc';
const effects = defineMigration({
  name: 'Effects',
  timestamp: 1_700_000_000_000,
  up: (schema) => [`CREATE TABLE "${schema}".effects (envelope_id uuid NOT NULL, note text NOT NULL)`],
  down: (schema) => [`DROP TABLE "${schema}".effects`],
});

const id = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;

describe('inbox (real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('persist');
    ds = createServiceDataSource({ url: db.url, schema: SCHEMA, migrations: platformMigrations(SCHEMA, effects), poolSize: 4 });
    await runMigrations(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const effectCount = async (envelopeId: string) =>
    Number((await ds.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.effects WHERE envelope_id = $1`, [envelopeId]))[0].n);
  const inboxRows = async (envelopeId: string) =>
    Number((await ds.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.inbox WHERE envelope_id = $1`, [envelopeId]))[0].n);

  it('runs the work once for a duplicate delivery', async () => {
    const key = { consumer: 'c1', envelopeId: id(1) };
    const work = jest.fn(async (manager: import('typeorm').EntityManager) => {
      await manager.query(`INSERT INTO ${SCHEMA}.effects VALUES ($1, 'first')`, [key.envelopeId]);
      return 42;
    });

    await expect(handleOnce(ds, key, work)).resolves.toEqual({ handled: true, result: 42 });
    await expect(handleOnce(ds, key, work)).resolves.toEqual({ handled: false });

    expect(work).toHaveBeenCalledTimes(1);
    expect(await effectCount(key.envelopeId)).toBe(1);
  });

  it('keys the inbox by consumer: another consumer handles the same envelope on its own', async () => {
    const envelopeId = id(2);
    await handleOnce(ds, { consumer: 'a', envelopeId }, async () => undefined);
    await expect(handleOnce(ds, { consumer: 'b', envelopeId }, async () => 'b')).resolves.toEqual({ handled: true, result: 'b' });
  });

  it('rolls the inbox row back with failed work, so the redelivery runs the work again', async () => {
    const key = { consumer: 'c1', envelopeId: id(3) };
    let attempts = 0;
    const work = async (manager: import('typeorm').EntityManager) => {
      attempts++;
      await manager.query(`INSERT INTO ${SCHEMA}.effects VALUES ($1, $2)`, [key.envelopeId, `attempt ${attempts}`]);
      if (attempts === 1) throw new Error('transient');
      return attempts;
    };

    await expect(handleOnce(ds, key, work)).rejects.toThrow('transient');
    expect(await inboxRows(key.envelopeId)).toBe(0);
    expect(await effectCount(key.envelopeId)).toBe(0);

    await expect(handleOnce(ds, key, work)).resolves.toEqual({ handled: true, result: 2 });
    expect(await inboxRows(key.envelopeId)).toBe(1);
    expect(await effectCount(key.envelopeId)).toBe(1);
  });

  // Holds the first transaction open until the other claim is seen waiting on the inbox primary key.
  // Asked on another connection: inside a transaction pg_stat_activity is a snapshot that never changes.
  const waitForBlockedClaim = async () => {
    for (let i = 0; i < 100; i++) {
      const [row] = await ds.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO%inbox%'`,
      );
      if (row.n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the duplicate claim never blocked');
  };

  it('lets exactly one of two concurrent duplicates run the work', async () => {
    const key = { consumer: 'c1', envelopeId: id(4) };
    let runs = 0;
    const work = async (manager: import('typeorm').EntityManager) => {
      runs++;
      await manager.query(`INSERT INTO ${SCHEMA}.effects VALUES ($1, 'x')`, [key.envelopeId]);
      await waitForBlockedClaim();
    };

    const results = await Promise.all([handleOnce(ds, key, work), handleOnce(ds, key, work)]);

    expect(results.map((r) => r.handled).sort()).toEqual([false, true]);
    expect(runs).toBe(1);
    expect(await effectCount(key.envelopeId)).toBe(1);
  });

  it('lets the waiting duplicate run the work when the first one rolls back', async () => {
    const key = { consumer: 'c1', envelopeId: id(5) };
    let runs = 0;
    const work = async () => {
      const attempt = ++runs;
      if (attempt === 1) {
        await waitForBlockedClaim();
        throw new Error('first fails');
      }
      return attempt;
    };

    // Either call may claim first; whichever does fails, and the one waiting behind it then runs the work.
    const settled = await Promise.allSettled([handleOnce(ds, key, work), handleOnce(ds, key, work)]);

    expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(settled.find((s) => s.status === 'fulfilled')).toEqual({ status: 'fulfilled', value: { handled: true, result: 2 } });
    expect(runs).toBe(2);
  });

  it('claims a batch in one transaction, skipping known and repeated ids', async () => {
    await handleOnce(ds, { consumer: 'batch', envelopeId: id(10) }, async () => undefined);
    const work = jest.fn(async (_m: unknown, fresh: string[]) => fresh.length);

    const result = await handleOnceBatch(ds, 'batch', [id(10), id(11), id(12), id(11)], work);

    expect(result).toEqual({ fresh: [id(11), id(12)], duplicates: [id(10), id(11)], result: 2 });
    expect(work).toHaveBeenCalledTimes(1);
    await expect(handleOnceBatch(ds, 'batch', [id(11), id(12)], work)).resolves.toEqual({
      fresh: [],
      duplicates: [id(11), id(12)],
      result: undefined,
    });
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('rolls a whole batch back when its work throws', async () => {
    await expect(
      handleOnceBatch(ds, 'batch', [id(20), id(21)], async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await inboxRows(id(20))).toBe(0);
    expect(await inboxRows(id(21))).toBe(0);
  });

  it('claims inside a transaction the caller already opened', async () => {
    const claimed = await ds.transaction(async (manager) => [
      await claimInbox(manager, { consumer: 'tx', envelopeId: id(30) }),
      await claimInbox(manager, { consumer: 'tx', envelopeId: id(30) }),
    ]);
    expect(claimed).toEqual([true, false]);
  });

  it('prunes rows older than a horizon', async () => {
    await handleOnce(ds, { consumer: 'old', envelopeId: id(40) }, async () => undefined);
    await ds.query(`UPDATE ${SCHEMA}.inbox SET handled_at = now() - interval '30 days' WHERE envelope_id = $1`, [id(40)]);
    expect(await pruneInbox(ds, new Date(Date.now() - 7 * 86_400_000))).toBe(1);
    expect(await inboxRows(id(40))).toBe(0);
  });
});
