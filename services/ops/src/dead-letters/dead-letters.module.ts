import { Module } from '@nestjs/common';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNames } from '@delivery/contracts';
import { DeadLetters } from '@delivery/messaging';
import { NATS_CONNECTION } from '@delivery/service-kit';
import { DeadLettersController } from './dead-letters.controller';
import { MaxDeliveriesSweeperService } from './max-deliveries-sweeper.service';

@Module({
  controllers: [DeadLettersController],
  providers: [
    MaxDeliveriesSweeperService,
    {
      provide: DeadLetters,
      inject: [NATS_CONNECTION, BusNames],
      useFactory: async (connection: NatsConnection, names: BusNames) => new DeadLetters(jetstream(connection), await jetstreamManager(connection), names),
    },
  ],
})
export class DeadLettersModule {}
