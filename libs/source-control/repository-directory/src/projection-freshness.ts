import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { BusNames, type ServiceName } from '@delivery/contracts';
import { TransientError } from '@delivery/messaging';
import { NATS_CONNECTION, SERVICE_NAME } from '@delivery/service-kit';

// This service's copies of the directory lag their events by milliseconds. For most reads that is harmless; a
// merge must not be judged by a branch policy that has already changed, so before one the projection is asked
// whether it has read everything published so far. A policy still in the branch service's outbox is not covered:
// that window is the relay's, a few milliseconds.
@Injectable()
export class ProjectionFreshness {
  private manager: Promise<JetStreamManager> | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    private readonly names: BusNames,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  /** TransientError (retried on the bus, 503 over REST) while this service's copy of `eventType` has unread events */
  async assertCaughtUp(eventType: 'BranchPolicySet' | 'RepositoryProvisioned'): Promise<void> {
    const durable = this.names.eventDurable(this.service as ServiceName, eventType);
    this.manager ??= jetstreamManager(this.connection).catch((error: unknown) => {
      this.manager = undefined;
      throw error;
    });
    const info = await (await this.manager).consumers.info(this.names.eventStream('source-control'), durable).catch((error: unknown) => {
      throw new TransientError('projection.unavailable', `cannot tell whether ${durable} is up to date: ${error instanceof Error ? error.message : String(error)}`);
    });
    const unread = info.num_pending + info.num_ack_pending;
    if (unread > 0) throw new TransientError('projection.catching-up', `${unread} ${eventType} event(s) not applied here yet; retry in a moment`);
  }
}
