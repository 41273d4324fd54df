import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { quoteSchema, schemaOf } from '@delivery/persistence';

export type BuildStatus = 'Succeeded' | 'Failed' | 'Canceled';

// The builds this service heard of (BuildCompleted), tenant-scoped: another tenant's build is unknown.
@Injectable()
export class Builds {
  async record(manager: EntityManager, build: { tenantId: string; projectId: string; buildId: string; status: BuildStatus }): Promise<void> {
    await manager.query(
      `INSERT INTO ${quoteSchema(schemaOf(manager))}.builds (tenant_id, project_id, build_id, status) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, build_id) DO UPDATE SET status = EXCLUDED.status, project_id = EXCLUDED.project_id, completed_at = now()`,
      [build.tenantId, build.projectId, build.buildId, build.status],
    );
  }

  async statusOf(manager: EntityManager, tenantId: string, buildId: string): Promise<BuildStatus | undefined> {
    const rows: Array<{ status: BuildStatus }> = await manager.query(`SELECT status FROM ${quoteSchema(schemaOf(manager))}.builds WHERE tenant_id = $1 AND build_id = $2`, [tenantId, buildId]);
    return rows[0]?.status;
  }
}
