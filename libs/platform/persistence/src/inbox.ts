import type { DataSource, EntityManager } from 'typeorm';
import { defineMigration } from './migration.factory';
import { quoteSchema } from './schema-name';

// DESIGN §3 exactly-once effects: a consumer records each handled envelope id in the same transaction as its
// state change. A redelivery after a crash between commit and ack finds the row and skips the work.
export const inboxMigration = defineMigration({
  name: 'PlatformInbox',
  // Early timestamp: platform tables exist before any service migration that might reference them.
  timestamp: 1_000_000_000_001,
  up: (schema) => [
    `CREATE TABLE IF NOT EXISTS ${quoteSchema(schema)}.inbox (
       consumer text NOT NULL,
       envelope_id uuid NOT NULL,
       handled_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (consumer, envelope_id)
     )`,
    // Pruning old rows (older than the stream's redelivery horizon) scans by time.
    `CREATE INDEX IF NOT EXISTS inbox_handled_at_idx ON ${quoteSchema(schema)}.inbox (handled_at)`,
  ],
  down: (schema) => [`DROP TABLE IF EXISTS ${quoteSchema(schema)}.inbox`],
});

export interface InboxKey {
  consumer: string;
  envelopeId: string;
}

export type HandleOnceResult<T> = { handled: true; result: T } | { handled: false };

export function schemaOf(source: DataSource | EntityManager): string {
  const options = 'connection' in source ? source.connection.options : source.options;
  return 'schema' in options && typeof options.schema === 'string' ? options.schema : 'public';
}

/**
 * Claims an envelope inside the caller's open transaction. true: first delivery, do the work;
 * false: already handled. A concurrent claim of the same id blocks on the primary key until the first
 * transaction ends, so exactly one of them gets true (or both retry the work if the first rolls back).
 */
export async function claimInbox(manager: EntityManager, key: InboxKey): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO ${quoteSchema(schemaOf(manager))}.inbox (consumer, envelope_id) VALUES ($1, $2)
     ON CONFLICT DO NOTHING RETURNING envelope_id`,
    [key.consumer, key.envelopeId],
  );
  return rows.length === 1;
}

export async function handleOnce<T>(
  dataSource: DataSource,
  key: InboxKey,
  work: (manager: EntityManager) => Promise<T>,
): Promise<HandleOnceResult<T>> {
  return dataSource.transaction(async (manager): Promise<HandleOnceResult<T>> => {
    if (!(await claimInbox(manager, key))) return { handled: false };
    return { handled: true, result: await work(manager) };
  });
}

export interface HandleBatchResult<T> {
  /** ids claimed by this call, in input order: the work ran for these */
  fresh: string[];
  /** ids already handled before (or repeated within the batch) */
  duplicates: string[];
  /** undefined when nothing was fresh (work is not called) */
  result: T | undefined;
}

// Batch variant for throughput (one transaction, one round trip for the claims). All or nothing: if work throws,
// every claim of the batch rolls back with it.
export async function handleOnceBatch<T>(
  dataSource: DataSource,
  consumer: string,
  envelopeIds: readonly string[],
  work: (manager: EntityManager, freshIds: string[]) => Promise<T>,
): Promise<HandleBatchResult<T>> {
  if (envelopeIds.length === 0) return { fresh: [], duplicates: [], result: undefined };
  return dataSource.transaction(async (manager) => {
    const rows: { envelope_id: string }[] = await manager.query(
      `INSERT INTO ${quoteSchema(schemaOf(manager))}.inbox (consumer, envelope_id)
       SELECT $1, id FROM unnest($2::uuid[]) AS t(id)
       ON CONFLICT DO NOTHING RETURNING envelope_id::text`,
      [consumer, envelopeIds],
    );
    const claimed = new Set(rows.map((row) => row.envelope_id));
    const fresh: string[] = [];
    const duplicates: string[] = [];
    for (const id of envelopeIds) {
      const normalized = id.toLowerCase();
      if (claimed.delete(normalized)) fresh.push(id);
      else duplicates.push(id);
    }
    const result = fresh.length > 0 ? await work(manager, fresh) : undefined;
    return { fresh, duplicates, result };
  });
}

// Rows only need to outlive the stream's redelivery window; callers prune on a timer.
export async function pruneInbox(dataSource: DataSource, olderThan: Date): Promise<number> {
  const [, count]: [unknown, number] = await dataSource.query(
    `DELETE FROM ${quoteSchema(schemaOf(dataSource))}.inbox WHERE handled_at < $1`,
    [olderThan],
  );
  return count;
}
