import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { BusNames } from '@delivery/contracts';
import { backoffDelay, errorMessageOf, type DeadLetterRecord } from '@delivery/messaging';
import { LINEAGE_DURABLE } from '@delivery/nats-topology';
import { LOGGER, NATS_CONNECTION } from '@delivery/service-kit';
import { deadLetterEntry } from './lineage-entry';
import { LineageRepository } from './lineage.repository';

// The dead-letter stream holds DeadLetterRecords, not envelopes, so the transport cannot read it: this loop does,
// on the stream's `ops-lineage` durable, and acks each record once its lineage entry is committed.
@Injectable()
export class DeadLetterLineageConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    private readonly names: BusNames,
    private readonly repository: LineageRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const stream = this.names.deadLetterStream();
    // Bound eagerly: a missing durable fails the start with the fix in the message.
    const consumer = await jetstream(this.connection)
      .consumers.get(stream, LINEAGE_DURABLE)
      .catch((error: unknown) => {
        throw new Error(`cannot bind ${stream}/${LINEAGE_DURABLE}: ${errorMessageOf(error)}. Run \`npm run nats:provision\`.`);
      });
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          this.messages = await consumer.consume({ max_messages: 64 });
          if (this.stopped) this.messages.stop();
          for await (const msg of this.messages) await this.handle(msg);
        } catch (error) {
          if (this.stopped) return;
          this.logger.error({ err: error, stream }, 'dead-letter lineage loop failed; rebinding');
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    })();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    await this.loop;
  }

  private async handle(msg: JsMsg): Promise<void> {
    let record: DeadLetterRecord;
    try {
      record = msg.json<DeadLetterRecord>();
    } catch {
      // Not a record: nothing to index, and dead-lettering a dead letter would only loop.
      this.logger.warn({ seq: msg.seq, subject: msg.subject }, 'unreadable dead-letter record skipped by lineage');
      msg.ack();
      return;
    }
    try {
      const entry = deadLetterEntry(record, { subject: msg.subject, stream: msg.info.stream, seq: msg.seq }, this.names);
      if (entry) await this.repository.record(entry);
      msg.ack();
    } catch (error) {
      this.logger.error({ err: error, seq: msg.seq }, 'could not record a dead letter in the lineage; retrying');
      msg.nak(backoffDelay(msg.info.deliveryCount));
    }
  }
}
