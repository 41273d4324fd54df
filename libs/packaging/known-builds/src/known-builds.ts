import { Controller, Injectable } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource, type EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { defineMigration, handleOnce, quoteSchema, schemaOf } from '@delivery/persistence';

// A failed build halts its flow: the packaging services make packages and images from succeeded builds only. Each
// keeps what BuildCompleted said of every build (deploy/nats subscribes both), tenant-scoped: another tenant's build
// is unknown.

export type BuildStatus = PayloadOf<'BuildCompleted'>['status'];

export const knownBuildsMigration = defineMigration({
  name: 'KnownBuilds',
  timestamp: 1_767_300_000_000,
  // IF NOT EXISTS: the table used to be created by each service's own first migration
  up: (schema) => [
    `CREATE TABLE IF NOT EXISTS ${quoteSchema(schema)}.builds (
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       build_id text NOT NULL,
       status text NOT NULL,
       completed_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (tenant_id, build_id)
     )`,
  ],
  down: (schema) => [`DROP TABLE IF EXISTS ${quoteSchema(schema)}.builds`],
});

@Injectable()
export class KnownBuilds {
  async record(manager: EntityManager, build: { tenantId: string; projectId: string; buildId: string; status: BuildStatus }): Promise<void> {
    await manager.query(
      `INSERT INTO ${quoteSchema(schemaOf(manager))}.builds (tenant_id, project_id, build_id, status) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, build_id) DO UPDATE SET status = EXCLUDED.status, project_id = EXCLUDED.project_id, completed_at = now()`,
      [build.tenantId, build.projectId, build.buildId, build.status],
    );
  }

  /** undefined: no BuildCompleted for this build in this tenant (and project, when given) */
  async statusOf(runner: EntityManager | DataSource, tenantId: string, buildId: string, projectId?: string): Promise<BuildStatus | undefined> {
    const rows: Array<{ status: BuildStatus }> = await runner.query(
      `SELECT status FROM ${quoteSchema(schemaOf(runner))}.builds WHERE tenant_id = $1 AND build_id = $2 AND ($3::text IS NULL OR project_id = $3)`,
      [tenantId, buildId, projectId ?? null],
    );
    return rows[0]?.status;
  }
}

@Controller()
export class KnownBuildsReactions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly builds: KnownBuilds,
  ) {}

  @EventPattern('BuildCompleted')
  async buildCompleted(@Payload() event: Envelope<PayloadOf<'BuildCompleted'>, 'BuildCompleted'>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const { buildId, status } = event.payload;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, (manager) =>
      this.builds.record(manager, { tenantId: event.tenantId, projectId: event.projectId, buildId, status }),
    );
  }
}
