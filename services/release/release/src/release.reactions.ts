import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource, type EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { EventStore } from '@delivery/eventstore';
import type { JetStreamContext } from '@delivery/messaging';
import { handleOnce } from '@delivery/persistence';
import { appendAll, EVENT_STORE } from '@delivery/service-kit';
import { currentPromotion, onPromotionFailed, onRolledBack, type FailureReaction } from './domain/release-saga';
import { ReleaseBuilds } from './release.builds';
import { ReleaseFlow, type LoadedRelease, type Outcome } from './release.flow';

type Event<T extends 'BuildCompleted' | 'DeploymentPromoted' | 'PromotionFailed' | 'DeploymentRolledBack'> = Envelope<PayloadOf<T>, T>;

// The events the release service follows (deploy/nats subscribes it): builds for the builds table, and
// environment-promotion's answers for the saga. Each is handled once (inbox claim) in one transaction with the
// appends, the read model and the timers; an answer of another attempt (correlationId) is stale and ignored.
@Controller()
export class ReleaseReactions {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly flow: ReleaseFlow,
    private readonly builds: ReleaseBuilds,
  ) {}

  @EventPattern('BuildCompleted')
  async buildCompleted(@Payload() event: Event<'BuildCompleted'>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const { buildId, status } = event.payload;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, (manager) =>
      this.builds.record(manager, { buildId, status, tenantId: event.tenantId, projectId: event.projectId, traceId: event.traceId }),
    );
  }

  @EventPattern('DeploymentPromoted')
  async promoted(@Payload() event: Event<'DeploymentPromoted'>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.react(event, ctx, async (manager, loaded) => {
      const promotion = currentPromotion(loaded.state, loaded.sent, event.correlationId);
      if (promotion === undefined) return undefined;
      const { releaseId, revision } = event.payload;
      return this.flow.decide(manager, loaded, { type: 'RecordPromotion', payload: { releaseId, environment: promotion.environment, revision, promotedAt: new Date(event.occurredAt) } }, { now: new Date() }, this.flow.scopeOf(loaded));
    });
  }

  @EventPattern('PromotionFailed')
  async promotionFailed(@Payload() event: Event<'PromotionFailed'>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.react(event, ctx, async (manager, loaded) => {
      const reaction = onPromotionFailed(loaded.state, loaded.sent, event.correlationId, event.payload);
      const scope = this.flow.scopeOf(loaded);
      if (reaction.kind === 'stale') return undefined;
      if (reaction.kind === 'fail') return this.fail(manager, loaded, reaction);
      // Git holds the failed revision: revert it first; ReleaseFailed follows DeploymentRolledBack with this error
      const rollback = this.flow.rollback(scope, reaction.promotion, loaded.releaseId, reaction.reason);
      return this.flow.commit(manager, loaded, [], scope, { sagaCommands: [rollback], pendingFailure: event.payload.error });
    });
  }

  @EventPattern('DeploymentRolledBack')
  async rolledBack(@Payload() event: Event<'DeploymentRolledBack'>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.react(event, ctx, async (manager, loaded) => {
      const error = loaded.row?.pendingFailure ?? { code: 'release.rolled-back', message: event.payload.reason, retryable: false };
      const reaction = onRolledBack(loaded.state, loaded.sent, event.correlationId, error);
      if (reaction.kind !== 'fail') return undefined;
      return this.fail(manager, loaded, reaction);
    });
  }

  private fail(manager: EntityManager, loaded: LoadedRelease, reaction: Extract<FailureReaction, { kind: 'fail' }>): Promise<Outcome> {
    const { environment, attempt, rolledBack, error } = reaction;
    const command = { type: 'FailPromotion' as const, payload: { releaseId: loaded.releaseId, environment, attempt, rolledBack, error } };
    return this.flow.decide(manager, loaded, command, { now: new Date() }, this.flow.scopeOf(loaded), { pendingFailure: null });
  }

  private async react(
    event: Envelope<{ releaseId: string }>,
    ctx: JetStreamContext,
    work: (manager: EntityManager, loaded: LoadedRelease) => Promise<Outcome | undefined>,
  ): Promise<void> {
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, async (manager) => {
      const loaded = await this.flow.load(manager, event.payload.releaseId);
      // another tenant's promotion never touches this release
      if (loaded.row === undefined || loaded.row.tenantId !== event.tenantId) return;
      const outcome = await work(manager, loaded);
      if (outcome) await appendAll(this.store, outcome.appends, manager);
    });
  }
}
