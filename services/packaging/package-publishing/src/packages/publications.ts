import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { quoteSchema, schemaOf } from '@delivery/persistence';

export interface PublicationRow {
  tenantId: string;
  projectId: string;
  buildId: string;
  format: 'npm' | 'nuget';
  name: string;
  version: string;
  feed: string;
  feedKind: string;
  integrity: string;
  digest: string;
  size: number;
  url: string | null;
  publishedAt: string;
  traceId: string;
}

type NewPublication = Omit<PublicationRow, 'publishedAt' | 'url'> & { url?: string; commandId: string };

const COLUMNS = `tenant_id, project_id, build_id, format, name, version, feed, feed_kind, integrity, digest, size, url, published_at, trace_id`;

// package_publications: the read side of what this service put into feeds (first publication of a version wins).
@Injectable()
export class Publications {
  async record(manager: EntityManager, row: NewPublication): Promise<void> {
    await manager.query(
      `INSERT INTO ${quoteSchema(schemaOf(manager))}.package_publications
         (tenant_id, project_id, build_id, format, name, version, feed, feed_kind, integrity, digest, size, url, command_id, trace_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (tenant_id, feed, format, name, version) DO NOTHING`,
      [row.tenantId, row.projectId, row.buildId, row.format, row.name, row.version, row.feed, row.feedKind, row.integrity, row.digest, row.size, row.url ?? null, row.commandId, row.traceId],
    );
  }

  async list(source: DataSource, filter: { tenantId: string; projects: readonly string[] | undefined; name?: string; limit: number }): Promise<PublicationRow[]> {
    const rows: RawRow[] = await source.query(
      `SELECT ${COLUMNS} FROM ${quoteSchema(schemaOf(source))}.package_publications
       WHERE tenant_id = $1 AND ($2::text[] IS NULL OR project_id = ANY($2)) AND ($3::text IS NULL OR name = $3)
       ORDER BY published_at DESC, name, version LIMIT $4`,
      [filter.tenantId, filter.projects ?? null, filter.name ?? null, filter.limit],
    );
    return rows.map(rowOf);
  }

  async versionOf(source: DataSource, filter: { tenantId: string; projects: readonly string[] | undefined; name: string; version: string }): Promise<PublicationRow[]> {
    const rows: RawRow[] = await source.query(
      `SELECT ${COLUMNS} FROM ${quoteSchema(schemaOf(source))}.package_publications
       WHERE tenant_id = $1 AND ($2::text[] IS NULL OR project_id = ANY($2)) AND name = $3 AND version = $4
       ORDER BY published_at, feed`,
      [filter.tenantId, filter.projects ?? null, filter.name, filter.version],
    );
    return rows.map(rowOf);
  }
}

interface RawRow {
  tenant_id: string;
  project_id: string;
  build_id: string;
  format: 'npm' | 'nuget';
  name: string;
  version: string;
  feed: string;
  feed_kind: string;
  integrity: string;
  digest: string;
  size: string | number;
  url: string | null;
  published_at: Date;
  trace_id: string;
}

function rowOf(row: RawRow): PublicationRow {
  return {
    tenantId: row.tenant_id,
    projectId: row.project_id,
    buildId: row.build_id,
    format: row.format,
    name: row.name,
    version: row.version,
    feed: row.feed,
    feedKind: row.feed_kind,
    integrity: row.integrity,
    digest: row.digest,
    size: Number(row.size),
    url: row.url,
    publishedAt: row.published_at.toISOString(),
    traceId: row.trace_id,
  };
}
