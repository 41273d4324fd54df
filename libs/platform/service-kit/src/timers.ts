import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type Type } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '@delivery/contracts';
import type { EventStore } from '@delivery/eventstore';
import { currentTrace, newSpanId, newTraceId, runWithTrace, type TraceContext } from '@delivery/observability';
import { defineMigration, quoteSchema, schemaOf } from '@delivery/persistence';
import { appendAll, type StreamAppend } from './command-runner';
import { EVENT_STORE } from './service-kit.tokens';

// Durable timers (approval expiry, deployment windows, gate deadlines, soak times): rows in the service's own
// schema, written in the transaction that decides them and fired in a transaction that deletes the row and
// appends what the firing decides. A crash before the commit fires the timer again; after it, never: exactly
// once, like a command through the inbox. nats-server 2.9 has no scheduled messages, so the database keeps time.

export const timersMigration = defineMigration({
  name: 'PlatformTimers',
  timestamp: 1_000_000_000_003,
  up: (schema) => [
    `CREATE TABLE IF NOT EXISTS ${quoteSchema(schema)}.timers (
       key text PRIMARY KEY,
       kind text NOT NULL,
       due_at timestamptz NOT NULL,
       payload jsonb NOT NULL,
       trace jsonb,
       scheduled_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE INDEX IF NOT EXISTS timers_due_at_idx ON ${quoteSchema(schema)}.timers (due_at)`,
  ],
  down: (schema) => [`DROP TABLE IF EXISTS ${quoteSchema(schema)}.timers`],
});

export interface DueTimer<P = unknown> {
  key: string;
  kind: string;
  dueAt: Date;
  payload: P;
}

export interface TimerHandler {
  /** runs inside the transaction that deletes the timer, under the trace that scheduled it */
  fire(timer: DueTimer, manager: EntityManager): Promise<StreamAppend[]>;
}

/** What a fired timer inherits: the trace of the message whose handling scheduled it. */
interface StoredTrace {
  traceId: string;
  tenantId?: string;
  projectId?: string;
  correlationId?: string;
  causationId?: string | null;
  actor?: Actor;
}

@Injectable()
export class Timers {
  /** Schedules (or moves) the timer `key`; it fires once at dueAt or soon after. */
  async schedule(manager: EntityManager, timer: DueTimer): Promise<void> {
    const trace = currentTrace();
    const stored: StoredTrace | null = trace
      ? { traceId: trace.traceId, tenantId: trace.tenantId, projectId: trace.projectId, correlationId: trace.correlationId, causationId: trace.causationId, actor: trace.actor }
      : null;
    await manager.query(
      `INSERT INTO ${quoteSchema(schemaOf(manager))}.timers (key, kind, due_at, payload, trace) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, due_at = EXCLUDED.due_at, payload = EXCLUDED.payload, trace = EXCLUDED.trace, scheduled_at = now()`,
      [timer.key, timer.kind, timer.dueAt.toISOString(), JSON.stringify(timer.payload), stored === null ? null : JSON.stringify(stored)],
    );
  }

  /**
   * Locks the timer `key`'s row, waiting while the poller fires it: a transaction that goes on to lock what that
   * timer's handler locks, and then reschedules the timer, takes its locks in the poller's order (timer, then the
   * rest) instead of the reverse, which deadlocks with a firing handler. Nothing to lock when there is no such timer.
   */
  async hold(manager: EntityManager, key: string): Promise<void> {
    await manager.query(`SELECT 1 FROM ${quoteSchema(schemaOf(manager))}.timers WHERE key = $1 FOR UPDATE`, [key]);
  }

  /** Cancels the timer `key`, unless it is firing right now (its handler must then find nothing to do). */
  cancel(manager: EntityManager, key: string): Promise<void> {
    return this.cancelWhere(manager, 'key = $1', key);
  }

  /** Cancels every timer whose key starts with `keyPrefix`, except those firing right now. */
  cancelPrefix(manager: EntityManager, keyPrefix: string): Promise<void> {
    return this.cancelWhere(manager, 'starts_with(key, $1)', keyPrefix);
  }

  // SKIP LOCKED: the poller holds a firing timer's row while its handler waits for the caller's own locks; waiting
  // for that row here would deadlock the two transactions
  private async cancelWhere(manager: EntityManager, condition: string, value: string): Promise<void> {
    const schema = quoteSchema(schemaOf(manager));
    await manager.query(`DELETE FROM ${schema}.timers WHERE key IN (SELECT key FROM ${schema}.timers WHERE ${condition} FOR UPDATE SKIP LOCKED)`, [value]);
  }

  /** Timers of a key prefix, soonest first (REST views, tests). */
  async list(manager: EntityManager | DataSource, keyPrefix = ''): Promise<DueTimer[]> {
    const rows: TimerRow[] = await manager.query(
      `SELECT key, kind, due_at, payload, trace FROM ${quoteSchema(schemaOf(manager))}.timers WHERE starts_with(key, $1) ORDER BY due_at, key`,
      [keyPrefix],
    );
    return rows.map(timerOf);
  }
}

interface TimerRow {
  key: string;
  kind: string;
  due_at: Date;
  payload: unknown;
  trace: StoredTrace | null;
}

const timerOf = (row: TimerRow): DueTimer => ({ key: row.key, kind: row.kind, dueAt: new Date(row.due_at), payload: row.payload });

/** A timer whose firing failed is tried again this much later, so it cannot block the timers due after it. */
const RETRY_DELAY_SECONDS = 5;

/**
 * The provider that fires a service's due timers through `handler`: list it in the module's providers (and the
 * handler too). Polls every TIMER_POLL_MS (default 200); several replicas share the work (SKIP LOCKED).
 */
export function timerPoller(handler: Type<TimerHandler>): Type<unknown> {
  @Injectable()
  class TimerPoller implements OnApplicationBootstrap, OnModuleDestroy {
    private readonly logger = new Logger('Timers');
    private timer?: NodeJS.Timeout;
    private running?: Promise<void>;
    private stopped = false;

    constructor(
      @Inject(DataSource) private readonly dataSource: DataSource,
      @Inject(EVENT_STORE) private readonly store: EventStore,
      @Inject(handler) private readonly timerHandler: TimerHandler,
    ) {}

    onApplicationBootstrap(): void {
      const interval = Number(process.env.TIMER_POLL_MS ?? 200);
      this.timer = setInterval(() => {
        this.running ??= this.fireDue()
          .catch((error: unknown) => this.logger.error(`firing timers failed: ${String(error)}`))
          .finally(() => (this.running = undefined));
      }, interval);
      this.timer.unref();
    }

    async onModuleDestroy(): Promise<void> {
      this.stopped = true;
      clearInterval(this.timer);
      await this.running;
    }

    /** Fires due timers one transaction each until none is due. */
    private async fireDue(): Promise<void> {
      while (!this.stopped) {
        let key: string | undefined;
        try {
          key = await this.dataSource.transaction(async (manager) => {
            const schema = quoteSchema(schemaOf(manager));
            const rows: TimerRow[] = await manager.query(
              `SELECT key, kind, due_at, payload, trace FROM ${schema}.timers WHERE due_at <= now() ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
            );
            const row = rows[0];
            if (row === undefined) return undefined;
            key = row.key;
            await manager.query(`DELETE FROM ${schema}.timers WHERE key = $1`, [row.key]);
            const appends = await runWithTrace(traceOf(row), () => this.timerHandler.fire(timerOf(row), manager));
            await appendAll(this.store, appends, manager);
            return row.key;
          });
        } catch (error) {
          if (key === undefined) throw error;
          this.logger.error(`timer ${key} failed, retrying in ${RETRY_DELAY_SECONDS} s: ${String(error)}`);
          await this.dataSource.query(`UPDATE ${quoteSchema(schemaOf(this.dataSource))}.timers SET due_at = now() + make_interval(secs => $2) WHERE key = $1`, [key, RETRY_DELAY_SECONDS]);
          continue;
        }
        if (key === undefined) return;
      }
    }
  }
  Object.defineProperty(TimerPoller, 'name', { value: `${handler.name}Poller` });
  return TimerPoller;
}

function traceOf(row: TimerRow): TraceContext {
  const stored = row.trace;
  return { ...(stored ?? { traceId: newTraceId() }), spanId: newSpanId(), causationId: stored?.causationId ?? null };
}
