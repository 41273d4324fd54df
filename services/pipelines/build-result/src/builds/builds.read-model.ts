import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { PayloadOf } from '@delivery/contracts';
import { quoteSchema, schemaOf } from '@delivery/persistence';
import type { PageRequest } from '@delivery/service-kit';
import type { BuildCompleted } from '../build.messages';

type Build = PayloadOf<'BuildCompleted'>;

export interface BuildRow extends Build {
  tenantId: string;
  projectId: string;
  traceId: string;
  runFinishedAt: string;
  createdAt: string;
}

export interface BuildFilter {
  tenantId: string;
  /** the projects the caller's token is limited to; undefined: all of the tenant's */
  projects: readonly string[] | undefined;
  repositoryId?: string;
  status?: string;
}

interface Row {
  build_id: string;
  tenant_id: string;
  project_id: string;
  run_id: string;
  repository_id: string;
  branch: string;
  sha: string;
  pull_request_id: string | null;
  status: Build['status'];
  tests: Build['tests'];
  coverage: Build['coverage'];
  failed_tests: Build['failedTests'];
  artifacts: Build['artifacts'];
  trace_id: string;
  run_finished_at: Date;
  created_at: Date;
}

const rowOf = (row: Row): BuildRow => ({
  buildId: row.build_id,
  tenantId: row.tenant_id,
  projectId: row.project_id,
  runId: row.run_id,
  repositoryId: row.repository_id,
  branch: row.branch,
  sha: row.sha,
  pullRequestId: row.pull_request_id,
  status: row.status,
  tests: row.tests,
  coverage: row.coverage,
  failedTests: row.failed_tests,
  artifacts: row.artifacts,
  traceId: row.trace_id,
  runFinishedAt: row.run_finished_at.toISOString(),
  createdAt: row.created_at.toISOString(),
});

// The builds read model: written with the BuildCompleted it mirrors, read by the REST views, tenant scoped.
@Injectable()
export class BuildsReadModel {
  /** false when the run has a build already (one build per run) */
  async record(manager: EntityManager, completed: BuildCompleted, runFinishedAt: string): Promise<boolean> {
    const b = completed.payload;
    const rows: unknown[] = await manager.query(
      `INSERT INTO ${quoteSchema(schemaOf(manager))}.builds
         (build_id, tenant_id, project_id, run_id, repository_id, branch, sha, pull_request_id, status, tests, coverage, failed_tests, artifacts, trace_id, run_finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (tenant_id, run_id) DO NOTHING RETURNING build_id`,
      [
        b.buildId,
        completed.tenantId,
        completed.projectId,
        b.runId,
        b.repositoryId,
        b.branch,
        b.sha,
        b.pullRequestId,
        b.status,
        JSON.stringify(b.tests),
        b.coverage === null ? null : JSON.stringify(b.coverage),
        JSON.stringify(b.failedTests),
        JSON.stringify(b.artifacts),
        completed.traceId,
        runFinishedAt,
      ],
    );
    return rows.length === 1;
  }

  async find(source: DataSource | EntityManager, buildId: string): Promise<BuildRow | undefined> {
    const rows: Row[] = await source.query(`SELECT * FROM ${quoteSchema(schemaOf(source))}.builds WHERE build_id = $1`, [buildId]);
    const row = rows[0];
    return row ? rowOf(row) : undefined;
  }

  /** newest first; page.after is the last build id of the previous page */
  async list(source: DataSource, filter: BuildFilter, page: PageRequest): Promise<BuildRow[]> {
    const rows: Row[] = await source.query(
      `SELECT * FROM ${quoteSchema(schemaOf(source))}.builds
        WHERE tenant_id = $1 AND ($2::text[] IS NULL OR project_id = ANY($2)) AND ($3::text IS NULL OR repository_id = $3)
          AND ($4::text IS NULL OR status = $4) AND ($5::uuid IS NULL OR build_id < $5)
        ORDER BY build_id DESC LIMIT $6`,
      [filter.tenantId, filter.projects ?? null, filter.repositoryId ?? null, filter.status ?? null, page.after ?? null, page.limit],
    );
    return rows.map(rowOf);
  }
}
