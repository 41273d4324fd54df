import type { ClientBase, Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DuplicateEventIdError,
  WrongExpectedVersionError,
  type AppendOptions,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from './event-store.port';
import { assertAppendInput, assertLimit, checkExpectedVersion } from './event-store.validation';
import { assertEventStoreSchema, eventStoreChannel } from './postgres-event-store.migration';
import { listenClientConfig, PostgresNotifyListener } from './postgres-notify.listener';

export interface PostgresEventStoreOptions {
  /** subscriptions re-read at least this often even without a notification (ms, default 500) */
  pollIntervalMs?: number;
  /** page size of subscription reads (default 500) */
  pageSize?: number;
}

const UNIQUE_VIOLATION = '23505';

interface EventRow {
  position: string;
  stream_id: string;
  version: number;
  event_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

interface StoredId {
  id: string;
  streamId: string;
  version: number;
  position: string;
}

interface AppendRow {
  /** the stream's last version before this append; null: no stream */
  version: number | null;
  /** position of the stream's last event before this append */
  position: string | null;
  existing: StoredId[];
  /** position of the last inserted event; null when nothing was inserted */
  appended: string | null;
}

type Query = (sql: string, params?: unknown[]) => Promise<unknown[]>;

// Selects from `events e`; ORDER BY must name e.position, or it would sort by this text alias.
const COLUMNS = 'e.position::text AS position, e.stream_id, e.version, e.event_id, e.type, e.data, e.metadata, e.recorded_at';

/**
 * The default event store and, through the relay, the outbox (DESIGN §3): one `events` table per service schema.
 *
 * Idempotency (EventStoreDB semantics): re-appending the same event ids, in the same order, to the same stream
 * at the same place (numeric or 'no-stream' expectation pointing at them; 'any'/'stream-exists' wherever they
 * are) returns the original result and writes nothing. Ids stored anywhere else raise DuplicateEventIdError,
 * unless the expected version already conflicts, which wins.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  private readonly table: string;
  private readonly channel: string;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly closing = new AbortController();
  private listener: PostgresNotifyListener | undefined;
  private readonly appendSql: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
    options: PostgresEventStoreOptions = {},
  ) {
    if (dataSource.options.type !== 'postgres') throw new Error(`PostgresEventStore needs a postgres DataSource, got ${dataSource.options.type}`);
    this.schema = assertEventStoreSchema(schema);
    this.table = `"${this.schema}".events`;
    this.channel = eventStoreChannel(this.schema);
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.pageSize = options.pageSize ?? 500;
    assertLimit(this.pageSize, 'pageSize', 1);
    // the append lock and statement live in the schema's append_events function (appendFunctionDdl)
    this.appendSql = `SELECT version, position, existing, appended, notified FROM "${this.schema}".append_events($1, $2::uuid[], $3::jsonb, $4, $5, $6)`;
  }

  async append(streamId: string, events: NewEvent[], expected: ExpectedVersion, options: AppendOptions = {}): Promise<AppendResult> {
    assertAppendInput(streamId, events, expected);
    this.assertOpen();
    if (options.transaction !== undefined) {
      const manager = this.callerTransaction(options.transaction);
      const client = (manager.queryRunner as { databaseConnection?: ClientBase } | undefined)?.databaseConnection;
      const query: Query = client ? this.clientQuery(client) : (sql, params) => manager.query(sql, params);
      try {
        return await this.appendWith(query, streamId, events, expected);
      } catch (error) {
        // The caller's transaction is aborted by the violation; report the conflict with the committed version.
        if (isUniqueViolation(error)) throw new WrongExpectedVersionError(streamId, expected, await this.currentVersion(streamId));
        throw error;
      }
    }
    try {
      return await this.appendInOwnTransaction(streamId, events, expected);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Only reachable if someone wrote around the lock: retry once, now seeing the winner (idempotent or conflict).
      try {
        return await this.appendInOwnTransaction(streamId, events, expected);
      } catch (retryError) {
        if (isUniqueViolation(retryError)) throw new WrongExpectedVersionError(streamId, expected, await this.currentVersion(streamId));
        throw retryError;
      }
    }
  }

  async read(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const fromVersion = options.fromVersion ?? 0;
    if (!Number.isInteger(fromVersion) || fromVersion < 0) throw new RangeError(`fromVersion must be an integer >= 0, got ${fromVersion}`);
    if (options.limit !== undefined) assertLimit(options.limit);
    const runner = options.transaction === undefined ? this.dataSource : this.callerTransaction(options.transaction);
    const rows: EventRow[] = await runner.query(
      `SELECT ${COLUMNS} FROM ${this.table} e WHERE e.stream_id = $1 AND e.version >= $2 ORDER BY e.version LIMIT $3`,
      [streamId, fromVersion, options.limit ?? null],
    );
    return rows.map(toRecordedEvent);
  }

  async countAfter(position: bigint | undefined): Promise<number> {
    this.assertOpen();
    const [row]: Array<{ n: string }> = await this.dataSource.query(`SELECT count(*) AS n FROM ${this.table} e WHERE e.position > $1`, [(position ?? 0n).toString()]);
    return Number(row?.n ?? 0);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    if (options.limit !== undefined) assertLimit(options.limit);
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ${this.table} e WHERE e.position > $1 ORDER BY e.position LIMIT $2`,
      [(options.fromPosition ?? 0n).toString(), options.limit ?? null],
    );
    return rows.map(toRecordedEvent);
  }

  // Catches up page by page, then waits for a NOTIFY from an append (or the poll interval) and reads again.
  async *subscribe(options: SubscribeOptions = {}): AsyncGenerator<RecordedEvent> {
    this.assertOpen();
    const pageSize = options.limit ?? this.pageSize;
    assertLimit(pageSize, 'limit (page size)', 1);
    const signal = options.signal ? AbortSignal.any([options.signal, this.closing.signal]) : this.closing.signal;
    const listener = this.notifyListener();
    listener.acquire();
    try {
      let position = options.fromPosition;
      while (!signal.aborted) {
        listener.ensureConnected();
        // Read the generation before the page: a notification landing during the read makes the wait return at once.
        const seen = listener.generation;
        const page = await this.readAll({ fromPosition: position, limit: pageSize });
        for (const event of page) {
          if (signal.aborted) return;
          yield event;
          position = event.position;
        }
        if (page.length < pageSize) await listener.wait(seen, this.pollIntervalMs, signal);
      }
    } finally {
      listener.release();
    }
  }

  /** Ends subscriptions and the LISTEN connection; the DataSource belongs to the caller and stays open. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.listener?.close();
  }

  // Straight on a pool client: three round trips (BEGIN, the append, COMMIT) where a TypeORM transaction takes
  // more; the append lock is held for the last two only.
  private async appendInOwnTransaction(streamId: string, events: NewEvent[], expected: ExpectedVersion): Promise<AppendResult> {
    const client = await this.pool().connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await this.appendWith(this.clientQuery(client), streamId, events, expected);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError; // the pool must not hand this connection out again
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  // The append call runs as a named prepared statement, prepared once per connection (plpgsql caches the plan
  // of the statement inside; planning it on every append cost more than running it).
  private clientQuery(client: ClientBase): Query {
    const name = `eventstore_append_${this.schema}`;
    return async (sql, params) => (await client.query(sql === this.appendSql ? { name, text: sql, values: params } : { text: sql, values: params })).rows;
  }

  // Positions must grow in commit order, or a relay tailing `position > checkpoint` skips forever an event whose
  // transaction took a smaller bigserial value but committed later. append_events takes the per-schema append
  // lock before it calls nextval(); the lock is released only after the commit is visible, so positions follow
  // commit order. The lock also serializes the version check, so two appends to one stream cannot both pass it.
  private async appendWith(query: Query, streamId: string, events: NewEvent[], expected: ExpectedVersion): Promise<AppendResult> {
    const rows = events.map((event) => ({ id: event.id, type: event.type, data: event.data ?? null, metadata: event.metadata }));
    const mode = expected === -1 ? 'no-stream' : typeof expected === 'number' ? 'exact' : expected;
    const [row] = (await query(this.appendSql, [
      streamId,
      events.map((event) => event.id.toLowerCase()),
      JSON.stringify(rows),
      mode,
      typeof expected === 'number' ? expected : null,
      this.channel,
    ])) as AppendRow[];
    if (!row) throw new Error('append statement returned no row');
    const current = row.version ?? -1;
    if (row.appended !== null) return { nextExpectedVersion: current + events.length, position: BigInt(row.appended) };
    // Nothing inserted: an idempotent re-append, a conflict, or an empty append.
    if (row.existing.length > 0) return resolveExisting(streamId, events, expected, current, row.existing);
    checkExpectedVersion(streamId, expected, current);
    if (events.length > 0) throw new Error(`append to "${streamId}" inserted nothing although the expected version held`);
    return { nextExpectedVersion: current, position: BigInt(row.position ?? 0) };
  }

  private callerTransaction(transaction: unknown): EntityManager {
    const manager = transaction as Partial<EntityManager> | null;
    if (!manager || typeof manager.query !== 'function' || !manager.queryRunner?.isTransactionActive) {
      throw new TypeError('{ transaction } needs a TypeORM EntityManager inside an open transaction (dataSource.transaction(manager => ...))');
    }
    if (manager.connection !== this.dataSource) throw new TypeError('{ transaction }: the EntityManager belongs to another DataSource');
    return manager as EntityManager;
  }

  // Read through a fresh connection: the caller's transaction may be aborted or hold an older snapshot.
  private async currentVersion(streamId: string): Promise<number> {
    const [row] = (await this.dataSource.query(`SELECT max(version) AS version FROM ${this.table} WHERE stream_id = $1`, [streamId])) as Array<{
      version: number | null;
    }>;
    return row?.version ?? -1;
  }

  private pool(): Pool {
    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    if (!pool) throw new Error('PostgresEventStore needs an initialized DataSource');
    return pool;
  }

  private notifyListener(): PostgresNotifyListener {
    this.listener ??= new PostgresNotifyListener(listenClientConfig(this.pool(), 'eventstore-listen', this.schema), this.channel, this.pollIntervalMs);
    return this.listener;
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new Error(`event store "${this.schema}" is closed`);
  }
}

function resolveExisting(streamId: string, events: NewEvent[], expected: ExpectedVersion, current: number, existing: StoredId[]): AppendResult {
  const byId = new Map(existing.map((stored) => [stored.id, stored]));
  const stored = events.map((event) => byId.get(event.id.toLowerCase()));
  const first = stored[0];
  const sameAppend =
    first !== undefined &&
    first.streamId === streamId &&
    stored.every((s, i) => s !== undefined && s.streamId === streamId && s.version === first.version + i);
  if (sameAppend) {
    const matchesExpectation =
      typeof expected === 'number' ? first.version === expected + 1 : expected === 'no-stream' ? first.version === 0 : true;
    if (matchesExpectation) {
      const last = stored[stored.length - 1]!;
      return { nextExpectedVersion: last.version, position: BigInt(last.position) };
    }
  }
  checkExpectedVersion(streamId, expected, current);
  throw new DuplicateEventIdError(
    streamId,
    existing.map((s) => s.id),
  );
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    version: row.version,
    position: BigInt(row.position),
    recordedAt: row.recorded_at,
  };
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return e?.code === UNIQUE_VIOLATION || e?.driverError?.code === UNIQUE_VIOLATION;
}

