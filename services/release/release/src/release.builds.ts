import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { quoteSchema, schemaOf } from '@delivery/persistence';
import type { BuildStatus } from './domain/release-plan.decider';

export interface KnownBuild {
  status: BuildStatus;
  /** the build's trace, which its release continues so the build's lineage shows the release */
  traceId: string;
}

// The builds this service may release, from BuildCompleted (tenant-scoped: another tenant's build is unknown).
@Injectable()
export class ReleaseBuilds {
  async record(manager: EntityManager, build: { buildId: string; tenantId: string; projectId: string; status: BuildStatus; traceId: string }): Promise<void> {
    await manager.query(
      `INSERT INTO ${quoteSchema(schemaOf(manager))}.builds (build_id, tenant_id, project_id, status, trace_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, build_id) DO UPDATE SET status = EXCLUDED.status, trace_id = EXCLUDED.trace_id, completed_at = now()`,
      [build.buildId, build.tenantId, build.projectId, build.status, build.traceId],
    );
  }

  async find(manager: EntityManager, tenantId: string, buildId: string): Promise<KnownBuild | undefined> {
    const rows: Array<{ status: BuildStatus; trace_id: string }> = await manager.query(
      `SELECT status, trace_id FROM ${quoteSchema(schemaOf(manager))}.builds WHERE build_id = $1 AND tenant_id = $2`,
      [buildId, tenantId],
    );
    const row = rows[0];
    return row ? { status: row.status, traceId: row.trace_id } : undefined;
  }
}
