import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DataSource } from 'typeorm';
import type { EventStore } from '@delivery/eventstore';
import { PlatformError, type JetStreamContext } from '@delivery/messaging';
import { appendAll, busOrigin, CommandRunner, EVENT_STORE, failureOf, NATS_CONNECTION } from '@delivery/service-kit';
import type { PublishPackageCommand } from '../package-publishing.messages';
import { PublishPackageHandler } from './publish-package.handler';

// The bus door of PublishPackage: commandConsumer's, plus one thing. A feed outage is retried with backoff and
// dead-lettered after the last allowed delivery; on that last delivery this also answers PackagePublishFailed
// (retryable: true) so the flow learns the package is not coming for now. A replay that then succeeds answers
// PackagePublished for the same command.
@Controller()
export class PublishPackageConsumer {
  private readonly maxDeliver = new Map<string, Promise<number>>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly handler: PublishPackageHandler,
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
  ) {}

  @EventPattern('PublishPackage')
  async handle(@Payload() command: PublishPackageCommand, @Ctx() ctx: JetStreamContext): Promise<void> {
    try {
      await this.runner.run(command, busOrigin(ctx), this.handler);
    } catch (error) {
      if (error instanceof PlatformError && error.code === 'package.feed-unavailable' && (await this.lastDelivery(ctx))) {
        const failure = { ...failureOf(error), retryable: true };
        await this.dataSource.transaction((manager) => appendAll(this.store, [this.handler.failed(command, failure)], manager));
      }
      throw error;
    }
  }

  private async lastDelivery(ctx: JetStreamContext): Promise<boolean> {
    const stream = ctx.getMessage().info.stream;
    const durable = ctx.getConsumer();
    const key = `${stream}/${durable}`;
    let max = this.maxDeliver.get(key);
    if (!max) {
      max = jetstream(this.connection)
        .consumers.get(stream, durable)
        .then((consumer) => consumer.info(true))
        .then(({ config }) => (config.max_deliver && config.max_deliver > 0 ? config.max_deliver : Number.POSITIVE_INFINITY));
      max.catch(() => this.maxDeliver.delete(key));
      this.maxDeliver.set(key, max);
    }
    return ctx.getDeliveries() >= (await max.catch(() => Number.POSITIVE_INFINITY));
  }
}
