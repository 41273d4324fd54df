import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { handleOnce } from '@delivery/persistence';
import { Builds } from './builds';

// BuildCompleted (deploy/nats subscribes this service): the build's status, so only succeeded builds publish.
@Controller()
export class BuildReactions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly builds: Builds,
  ) {}

  @EventPattern('BuildCompleted')
  async buildCompleted(@Payload() event: Envelope<PayloadOf<'BuildCompleted'>, 'BuildCompleted'>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const { buildId, status } = event.payload;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, (manager) =>
      this.builds.record(manager, { tenantId: event.tenantId, projectId: event.projectId, buildId, status }),
    );
  }
}
