import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { handleOnce, quoteSchema, schemaOf } from '@delivery/persistence';

type BuildCompleted = Envelope<PayloadOf<'BuildCompleted'>, 'BuildCompleted'>;

// The builds images may be made from (deploy/nats subscribes this service to BuildCompleted), tenant-scoped.
@Controller()
export class BuildCompletedReactions {
  constructor(private readonly dataSource: DataSource) {}

  @EventPattern('BuildCompleted')
  async buildCompleted(@Payload() event: BuildCompleted, @Ctx() ctx: JetStreamContext): Promise<void> {
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, (manager) =>
      manager.query(
        `INSERT INTO ${quoteSchema(schemaOf(manager))}.builds (tenant_id, project_id, build_id, status) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, build_id) DO UPDATE SET project_id = EXCLUDED.project_id, status = EXCLUDED.status, completed_at = now()`,
        [event.tenantId, event.projectId, event.payload.buildId, event.payload.status],
      ),
    );
  }
}
