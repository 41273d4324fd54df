import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { EventStore } from '@delivery/eventstore';
import { toEnvelope } from '@delivery/messaging';
import { quoteSchema, schemaOf } from '@delivery/persistence';
import { EVENT_STORE } from '@delivery/service-kit';
import { fold, type HistoryItem, type PromotionState, type Status } from './domain/promotion.state';

/** One stream per release and environment: every attempt, its commands and its events (README, Streams). */
export const promotionStream = (releaseId: string, environment: string) => `promotion-${releaseId}-${environment}`;

export interface PromotionRow {
  stream: string;
  tenantId: string;
  projectId: string;
  promoteId: string;
  status: Status;
}

type Runner = EntityManager | DataSource;
const table = (runner: Runner, name: string) => `${quoteSchema(schemaOf(runner))}.${name}`;

// Reads and writes a promotion's history: its stream in the event store plus the foreign events it observed.
@Injectable()
export class PromotionRepository {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** The state: the stream and the observations, each observation folded in after the stream version it followed. */
  async load(runner: Runner, stream: string): Promise<PromotionState> {
    const events = await this.store.read(stream, runner instanceof DataSource ? {} : { transaction: runner });
    const observed: ObservationRow[] = await runner.query(
      `SELECT after_version, observed_at, envelope FROM ${table(runner, 'promotion_observations')} WHERE stream = $1 ORDER BY id`,
      [stream],
    );
    const after = (version: number) => observed.filter((o) => o.after_version === version).map((o) => ({ envelope: o.envelope, at: new Date(o.observed_at).toISOString(), fromStream: false }));
    const items: Array<HistoryItem & { fromStream: boolean }> = [...after(-1)];
    for (const event of events) items.push({ envelope: toEnvelope(event), at: event.recordedAt.toISOString(), fromStream: true }, ...after(event.version));
    return fold(items);
  }

  async observe(manager: EntityManager, stream: string, afterVersion: number, envelope: Envelope, at: Date): Promise<void> {
    await manager.query(`INSERT INTO ${table(manager, 'promotion_observations')} (stream, after_version, observed_at, envelope) VALUES ($1, $2, $3, $4)`, [
      stream,
      afterVersion,
      at.toISOString(),
      JSON.stringify(envelope),
    ]);
  }

  /** The index row of a stream, locked for this transaction: one input of a promotion at a time. */
  async lock(manager: EntityManager, stream: string): Promise<PromotionRow | undefined> {
    const rows: IndexRow[] = await manager.query(`SELECT stream, tenant_id, project_id, promote_id, status FROM ${table(manager, 'promotions')} WHERE stream = $1 FOR UPDATE`, [stream]);
    return rows[0] && rowOf(rows[0]);
  }

  /** Creates the index row of a first attempt (or leaves an existing one) and locks it. */
  async claim(manager: EntityManager, stream: string, command: Envelope<PayloadOf<'PromoteDeployment'>>): Promise<PromotionRow> {
    const { releaseId, environment, application } = command.payload;
    await manager.query(
      `INSERT INTO ${table(manager, 'promotions')} (stream, tenant_id, project_id, release_id, environment, application, promote_id, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'promoting') ON CONFLICT (stream) DO NOTHING`,
      [stream, command.tenantId, command.projectId, releaseId, environment, application, command.id],
    );
    return (await this.lock(manager, stream)) as PromotionRow;
  }

  async updateIndex(manager: EntityManager, stream: string, promoteId: string, status: Status): Promise<void> {
    await manager.query(`UPDATE ${table(manager, 'promotions')} SET promote_id = $2, status = $3, updated_at = now() WHERE stream = $1`, [stream, promoteId, status]);
  }

  /** Streams of the promotions in progress on one application in one environment of a tenant. */
  async active(manager: EntityManager, tenantId: string, environment: string, application: string): Promise<string[]> {
    const rows: Array<{ stream: string }> = await manager.query(
      `SELECT stream FROM ${table(manager, 'promotions')} WHERE tenant_id = $1 AND environment = $2 AND application = $3 AND status IN ('promoting', 'rolling-back') ORDER BY stream`,
      [tenantId, environment, application],
    );
    return rows.map((r) => r.stream);
  }

  async streamOfAttempt(manager: EntityManager, promoteId: string): Promise<string | undefined> {
    const rows: Array<{ stream: string }> = await manager.query(`SELECT stream FROM ${table(manager, 'promotions')} WHERE promote_id = $1`, [promoteId]);
    return rows[0]?.stream;
  }

  /** Keeps the newest GitOpsSynced of each application: the next promotion plans its traffic from it. */
  async recordRuntime(manager: EntityManager, synced: Envelope<PayloadOf<'GitOpsSynced'>>): Promise<void> {
    const { environment, application } = synced.payload;
    await manager.query(
      `INSERT INTO ${table(manager, 'runtime_reports')} (tenant_id, environment, application, occurred_at, envelope) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, environment, application) DO UPDATE SET occurred_at = EXCLUDED.occurred_at, envelope = EXCLUDED.envelope
       WHERE runtime_reports.occurred_at <= EXCLUDED.occurred_at`,
      [synced.tenantId, environment, application, synced.occurredAt, JSON.stringify(synced)],
    );
  }

  async runtime(manager: EntityManager, tenantId: string, environment: string, application: string): Promise<Envelope<PayloadOf<'GitOpsSynced'>> | undefined> {
    const rows: Array<{ envelope: Envelope<PayloadOf<'GitOpsSynced'>> }> = await manager.query(
      `SELECT envelope FROM ${table(manager, 'runtime_reports')} WHERE tenant_id = $1 AND environment = $2 AND application = $3`,
      [tenantId, environment, application],
    );
    return rows[0]?.envelope;
  }
}

interface ObservationRow {
  after_version: number;
  observed_at: Date;
  envelope: Envelope;
}

interface IndexRow {
  stream: string;
  tenant_id: string;
  project_id: string;
  promote_id: string;
  status: Status;
}

const rowOf = (row: IndexRow): PromotionRow => ({ stream: row.stream, tenantId: row.tenant_id, projectId: row.project_id, promoteId: row.promote_id, status: row.status });
