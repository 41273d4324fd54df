import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor, Envelope } from '@delivery/contracts';
import { createEnvelope, DependencyError, IllegalStateError } from '@delivery/messaging';
import { Timers, type StreamAppend } from '@delivery/service-kit';
import { applyDecision, decide, timerPrefix, type Decision, type Draft, type Input } from './domain/promotion';
import type { Attempt, PromotionState } from './domain/promotion.state';
import { PromotionRepository } from './promotion.repository';

export const SOURCE = 'environment-promotion';
const ACTOR: Actor = { kind: 'service', id: SOURCE };

/** What a promotion timer carries: enough to find its stream and to ignore it once its attempt is over. */
export interface PromotionTimerPayload {
  stream: string;
  promoteId: string;
}

// Runs one input through a promotion, inside the caller's transaction: lock the promotion, rebuild its state, decide,
// then keep the observation, set or clear timers, update the index and hand back the appends (expected version:
// the one the decision was made on, so a concurrent writer makes this one retry on fresh state).
@Injectable()
export class PromotionEngine {
  constructor(
    private readonly repository: PromotionRepository,
    private readonly timers: Timers,
  ) {}

  async handle(manager: EntityManager, stream: string, input: Input): Promise<StreamAppend[]> {
    const row = input.kind === 'promote' ? await this.repository.claim(manager, stream, input.command) : await this.repository.lock(manager, stream);
    const tenantOf = input.kind === 'tick' ? row?.tenantId : (input.kind === 'event' ? input.envelope : input.command).tenantId;
    // a stream name is a release id: another tenant's promotion of the same id is not this one
    if (!row || tenantOf !== row.tenantId) {
      if (input.kind === 'rollback') throw new IllegalStateError('promotion.not-found', 'this release was never promoted to the environment');
      return [];
    }
    // the clock is read once the promotion is locked: an input that waited for the lock behind another one is later
    // than it, so the promotion's history stays in time order (a step synced "after" the health report that
    // follows it would wait for a moment that never comes again)
    const locked: Input = { ...input, now: new Date(Math.max(Date.now(), input.now.getTime())) };
    const state = await this.repository.load(manager, stream);
    const decision = decide(state, locked);
    if (decision.rejection) throw rejectionOf(decision.rejection);
    return this.persist(manager, stream, state, locked, decision);
  }

  private async persist(manager: EntityManager, stream: string, state: PromotionState, input: Input, decision: Decision): Promise<StreamAppend[]> {
    const { state: next, events } = applyDecision(state, input, decision, envelopeOf(input.now));
    if (decision.observe && input.kind === 'event') await this.repository.observe(manager, stream, state.version, input.envelope, input.now);
    const attempt = next.attempt;
    if (!attempt) return [];
    for (const timer of decision.timers) {
      const payload: PromotionTimerPayload = { stream, promoteId: attempt.command.id };
      await this.timers.schedule(manager, { key: timer.key, kind: timer.kind, dueAt: timer.dueAt, payload });
    }
    if (decision.cancelTimers) await this.timers.cancelPrefix(manager, timerPrefix(attempt.command.id));
    if (events.length === 0) return [];
    await this.repository.updateIndex(manager, stream, attempt.command.id, attempt.status);
    return [{ stream, events, expectedVersion: state.version }];
  }
}

// Everything an attempt sends carries its correlation (the PromoteDeployment id) and trace, with the service as actor.
const envelopeOf =
  (now: Date) =>
  (draft: Draft, attempt: Attempt, causationId: string): Envelope => {
    const { command } = attempt;
    return createEnvelope(draft.type, draft.payload as never, {
      source: SOURCE,
      tenantId: command.tenantId,
      projectId: command.projectId,
      traceId: command.traceId,
      correlationId: command.id,
      causationId,
      actor: ACTOR,
      occurredAt: now,
    }) as Envelope;
  };

function rejectionOf(rejection: NonNullable<Decision['rejection']>): Error {
  return rejection.kind === 'dependency' ? new DependencyError(rejection.code, rejection.message) : new IllegalStateError(rejection.code, rejection.message);
}
