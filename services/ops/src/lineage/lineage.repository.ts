import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { quoteSchema, schemaOf } from '@delivery/persistence';
import type { DeadLetterDetails, LineageEntry, LineageKind, RecordedLineageEntry } from './lineage-entry';

/** Whose entries a reader sees: one tenant (optionally some of its projects), or every tenant (platform operators). */
export type LineageScope = { tenantId: string; projects?: readonly string[] } | { allTenants: true };

interface LineageRow {
  envelope_id: string;
  trace_id: string;
  type: string;
  kind: LineageKind;
  source: string;
  tenant_id: string;
  project_id: string | null;
  causation_id: string | null;
  correlation_id: string | null;
  actor: LineageEntry['actor'];
  occurred_at: Date;
  subject: string;
  stream: string;
  stream_seq: string;
  payload: unknown;
  dead_letter: DeadLetterDetails | null;
  recorded_at: Date;
}

export const MAX_STORY_ENTRIES = 5_000;

@Injectable()
export class LineageRepository {
  private readonly table: string;

  constructor(private readonly dataSource: DataSource) {
    this.table = `${quoteSchema(schemaOf(dataSource))}.lineage_entries`;
  }

  /** true when the entry is new; a redelivery or a replay of the same envelope changes nothing. */
  async record(entry: LineageEntry): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO ${this.table} (envelope_id, trace_id, type, kind, source, tenant_id, project_id, causation_id, correlation_id,
         actor, occurred_at, subject, stream, stream_seq, payload, dead_letter)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (envelope_id) DO NOTHING RETURNING envelope_id`,
      [
        entry.id,
        entry.traceId,
        entry.type,
        entry.kind,
        entry.source,
        entry.tenantId,
        entry.projectId,
        entry.causationId,
        entry.correlationId,
        json(entry.actor),
        entry.occurredAt,
        entry.subject,
        entry.stream,
        entry.streamSeq,
        json(entry.payload),
        json(entry.deadLetter),
      ],
    );
    return rows.length === 1;
  }

  byTrace(traceId: string, scope: LineageScope, limit = MAX_STORY_ENTRIES): Promise<RecordedLineageEntry[]> {
    return this.story('trace_id', traceId, scope, limit);
  }

  byCorrelation(correlationId: string, scope: LineageScope, limit = MAX_STORY_ENTRIES): Promise<RecordedLineageEntry[]> {
    return this.story('correlation_id', correlationId, scope, limit);
  }

  // Ordered by when things happened; the stream sequence breaks ties, the time-ordered id (UUIDv7) last.
  private async story(column: 'trace_id' | 'correlation_id', value: string, scope: LineageScope, limit: number): Promise<RecordedLineageEntry[]> {
    const params: unknown[] = [value, limit];
    let where = `${column} = $1`;
    if (!('allTenants' in scope)) {
      params.push(scope.tenantId);
      where += ` AND tenant_id = $${params.length}`;
      if (scope.projects) {
        params.push([...scope.projects]);
        where += ` AND project_id = ANY($${params.length}::text[])`;
      }
    }
    const rows: LineageRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.table} WHERE ${where} ORDER BY occurred_at, stream_seq, envelope_id LIMIT $2`,
      params,
    );
    return rows.map(toEntry);
  }
}

function toEntry(row: LineageRow): RecordedLineageEntry {
  return {
    id: row.envelope_id,
    traceId: row.trace_id,
    type: row.type,
    kind: row.kind,
    source: row.source,
    tenantId: row.tenant_id,
    projectId: row.project_id,
    causationId: row.causation_id,
    correlationId: row.correlation_id,
    actor: row.actor,
    occurredAt: row.occurred_at.toISOString(),
    subject: row.subject,
    stream: row.stream,
    streamSeq: Number(row.stream_seq),
    payload: row.payload,
    deadLetter: row.dead_letter,
    recordedAt: row.recorded_at.toISOString(),
  };
}

// node-postgres sends a JS object as JSON but an array as a Postgres array: serialize jsonb values ourselves.
function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
