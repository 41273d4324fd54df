import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { DependencyError, dispositionOf, errorCodeOf, errorMessageOf, PlatformError, type JetStreamContext } from '@delivery/messaging';
import { quoteSchema, schemaOf } from '@delivery/persistence';
import { busOrigin, CommandRunner } from '@delivery/service-kit';
import { IMAGE_OPTIONS, type ContainerImageOptions } from '../container-image.options';
import { BuildContainerImageHandler, type Prepared } from './build-image.handler';
import { ImageBuilder, type BuildContainerImageCommand } from './image.builder';

// The bus door of BuildContainerImage. Unlike commandConsumer, the work (build and push) happens before the
// transaction: a push holds no database connection, and the answer is recorded only once the registry has the
// manifest. A redelivery after the answer was committed stops at the inbox check; one before it pushes again,
// which uploads nothing new (content-addressed) and records the same digest.
@Controller()
export class BuildContainerImageConsumer {
  constructor(
    private readonly runner: CommandRunner,
    private readonly dataSource: DataSource,
    private readonly builder: ImageBuilder,
    private readonly handler: BuildContainerImageHandler,
    @Inject(IMAGE_OPTIONS) private readonly options: ContainerImageOptions,
  ) {}

  @EventPattern('BuildContainerImage')
  async handle(@Payload() command: BuildContainerImageCommand, @Ctx() ctx: JetStreamContext): Promise<void> {
    const origin = busOrigin(ctx);
    if (await this.handled(origin.consumer, command.id)) return;
    let prepared: Prepared;
    try {
      prepared = { pushed: await this.builder.buildAndPush(command) };
    } catch (error) {
      prepared = { error: this.onLastDelivery(error, origin.deliveries) };
    }
    await this.runner.run(command, origin, this.handler.for(prepared));
  }

  // A registry still unreachable on the last allowed delivery: answer the command (ContainerImageBuildFailed,
  // retryable) and let the transport dead-letter it for a replay, instead of a silent give-up.
  private onLastDelivery(error: unknown, deliveries: number): unknown {
    if (deliveries < this.options.maxDeliveries || dispositionOf(error) !== 'retry') return error;
    // an uncoded error's code (ENOENT…) is no contracts Failure code
    const code = error instanceof PlatformError ? errorCodeOf(error) : 'image.build-error';
    return new DependencyError(code, `gave up after ${deliveries} deliveries: ${errorMessageOf(error)}`);
  }

  private async handled(consumer: string, envelopeId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${quoteSchema(schemaOf(this.dataSource))}.inbox WHERE consumer = $1 AND envelope_id = $2`, [
      consumer,
      envelopeId,
    ]);
    return rows.length > 0;
  }
}
