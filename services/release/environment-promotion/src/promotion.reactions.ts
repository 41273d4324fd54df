import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource, type EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { EventStore } from '@delivery/eventstore';
import type { JetStreamContext } from '@delivery/messaging';
import { handleOnce } from '@delivery/persistence';
import { appendAll, EVENT_STORE } from '@delivery/service-kit';
import { PromotionEngine } from './promotion.engine';
import { PromotionRepository, promotionStream } from './promotion.repository';

// The events a promotion waits for (deploy/nats subscribes the service to each). Each is handled once (inbox) in one
// transaction with what it causes; which promotion it concerns comes from its payload, never from a guess.
@Controller()
export class PromotionReactions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: PromotionEngine,
    private readonly repository: PromotionRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @EventPattern('DeploymentManifestRendered')
  async rendered(@Payload() event: Envelope<PayloadOf<'DeploymentManifestRendered'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const { releaseId, environment, application, revision } = event.payload;
    await this.once(ctx, event, async (manager) => {
      const stream = promotionStream(releaseId, environment);
      await this.run(manager, stream, event);
      // GitOps may have reported the revision before its render answer arrived (it follows the commit): replay it
      const runtime = await this.repository.runtime(manager, event.tenantId, environment, application);
      if (runtime?.payload.revision === revision) await this.run(manager, stream, runtime);
    });
  }

  @EventPattern('DeploymentManifestRenderFailed')
  async renderFailed(@Payload() event: Envelope<PayloadOf<'DeploymentManifestRenderFailed'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.once(ctx, event, (manager) => this.run(manager, promotionStream(event.payload.releaseId, event.payload.environment), event));
  }

  @EventPattern('GitOpsSynced')
  async synced(@Payload() event: Envelope<PayloadOf<'GitOpsSynced'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.once(ctx, event, async (manager) => {
      await this.repository.recordRuntime(manager, event);
      await this.toActive(manager, event);
    });
  }

  @EventPattern('GitOpsSyncFailed')
  async syncFailed(@Payload() event: Envelope<PayloadOf<'GitOpsSyncFailed'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.once(ctx, event, (manager) => this.toActive(manager, event));
  }

  @EventPattern('RuntimeHealthReported')
  async health(@Payload() event: Envelope<PayloadOf<'RuntimeHealthReported'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.once(ctx, event, (manager) => this.toActive(manager, event));
  }

  @EventPattern('CommitCreated')
  async commitCreated(@Payload() event: Envelope<PayloadOf<'CommitCreated'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.once(ctx, event, async (manager) => {
      const stream = await this.streamOfKey(manager, event.payload.idempotencyKey);
      if (stream) await this.run(manager, stream, event);
    });
  }

  @EventPattern('CommitFailed')
  async commitFailed(@Payload() event: Envelope<PayloadOf<'CommitFailed'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.once(ctx, event, async (manager) => {
      const stream = await this.streamOfKey(manager, event.payload.idempotencyKey);
      if (stream) await this.run(manager, stream, event);
    });
  }

  private async once(ctx: JetStreamContext, event: Envelope, work: (manager: EntityManager) => Promise<void>): Promise<void> {
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, work);
  }

  private async run(manager: EntityManager, stream: string, envelope: Envelope): Promise<void> {
    const appends = await this.engine.handle(manager, stream, { kind: 'event', envelope, now: new Date() });
    await appendAll(this.store, appends, manager);
  }

  // GitOps and runtime reports name an application, not a promotion: every one in progress there looks at it
  private async toActive(manager: EntityManager, event: Envelope<{ environment: string; application: string }>): Promise<void> {
    for (const stream of await this.repository.active(manager, event.tenantId, event.payload.environment, event.payload.application)) await this.run(manager, stream, event);
  }

  // manifest:<releaseId>:<environment>:<digest> (environments have no colon, release ids may) or rollback:<promoteId>:<sha>
  private async streamOfKey(manager: EntityManager, key: string | undefined): Promise<string | undefined> {
    const parts = key?.split(':') ?? [];
    if (parts[0] === 'rollback' && parts.length === 3 && parts[1]) return this.repository.streamOfAttempt(manager, parts[1]);
    if (parts[0] === 'manifest' && parts.length >= 4) {
      const environment = parts[parts.length - 2] as string;
      return promotionStream(parts.slice(1, -2).join(':'), environment);
    }
    return undefined;
  }
}
