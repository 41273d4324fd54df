import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { BusNames } from '@delivery/contracts';
import { MaxDeliveriesSweeper } from '@delivery/messaging';
import { SWEEPER_DURABLE } from '@delivery/nats-topology';
import { platformMetrics } from '@delivery/observability';
import { LOGGER, NATS_CONNECTION, transportMetrics } from '@delivery/service-kit';

// Runs the library's sweeper in ops: messages whose last delivery was never settled become dead letters.
@Injectable()
export class MaxDeliveriesSweeperService implements OnApplicationBootstrap, OnModuleDestroy {
  private sweeper?: MaxDeliveriesSweeper;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    private readonly names: BusNames,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.sweeper = new MaxDeliveriesSweeper({
      js: jetstream(this.connection),
      jsm: await jetstreamManager(this.connection),
      names: this.names,
      durable: SWEEPER_DURABLE,
      logger: this.logger,
      metrics: transportMetrics(platformMetrics()),
    });
    await this.sweeper.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweeper?.stop();
  }
}
