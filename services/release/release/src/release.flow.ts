import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor, Envelope, MessageType, PayloadOf } from '@delivery/contracts';
import { createEnvelope, uuidv7 } from '@delivery/messaging';
import { Timers, type StreamAppend } from '@delivery/service-kit';
import { decide, evolve, initialState, type DecideContexts, type ReleaseCommand, type ReleaseCommandType, type ReleaseEvent, type ReleaseFailure, type ReleaseState } from './domain/release-plan.decider';
import { nextPromotion, promoteDeploymentPayload, type SentCommand } from './domain/release-saga';
import { ReleasePolicies } from './release.policies';
import { ReleaseReadModel, type ReleaseRow } from './release.read-model';
import { approvalTimerKey, APPROVAL_EXPIRY_TIMER, WINDOW_TIMER, windowTimerKey, type ApprovalExpiryTimer } from './release.timer-keys';

export const SOURCE = 'release';
const SERVICE_ACTOR: Actor = { kind: 'service', id: SOURCE };

export const releaseStream = (releaseId: string) => `release-${releaseId}`;
export const sagaStream = (releaseId: string) => `release-saga-${releaseId}`;

/** One release as a transaction sees it, from its locked read-model row: the plan folded, the commands the saga sent. */
export interface LoadedRelease {
  releaseId: string;
  state: ReleaseState;
  /** of the release stream, -1 when empty: the expected version of the next append */
  version: number;
  sent: SentCommand[];
  sagaVersion: number;
  row: ReleaseRow | undefined;
}

/** Whose release it is and the trace it continues (the build's when it was planned from a known build). */
export interface ReleaseScope {
  tenantId: string;
  projectId: string;
  traceId: string;
}

export interface CommitExtra {
  /** commands the saga sends beside the events (RollbackDeployment) */
  sagaCommands?: Envelope[];
  /** replaces the read model's pending failure (undefined keeps it) */
  pendingFailure?: ReleaseFailure | null;
}

export interface Outcome {
  appends: StreamAppend[];
  state: ReleaseState;
  events: ReleaseEvent[];
}

// Every decision about a release goes through here: decide, then let the saga advance, in one transaction with
// the read model and the timers; both streams are appended at the version read (a concurrent writer loses and
// retries), so a redelivered or raced message never sends a second PromoteDeployment.
@Injectable()
export class ReleaseFlow {
  constructor(
    private readonly policies: ReleasePolicies,
    private readonly readModel: ReleaseReadModel,
    private readonly timers: Timers,
  ) {}

  async load(manager: EntityManager, releaseId: string): Promise<LoadedRelease> {
    const locked = await this.readModel.lock(manager, releaseId);
    if (locked !== undefined) {
      const { row, policy } = locked;
      this.policies.remember(manager, row.tenantId, row.projectId, policy);
      return { releaseId, state: row.state, version: row.version, sent: row.sent, sagaVersion: row.sagaVersion, row };
    }
    // no row: a release not planned yet. (Its streams are empty; were they not, the appends at version -1 would
    // fail rather than decide on a wrong state.)
    return { releaseId, state: initialState, version: -1, sent: [], sagaVersion: -1, row: undefined };
  }

  scopeOf(loaded: LoadedRelease): ReleaseScope {
    if (loaded.row === undefined) throw new Error(`release ${loaded.releaseId} has no read-model row`);
    return { tenantId: loaded.row.tenantId, projectId: loaded.row.projectId, traceId: loaded.row.traceId };
  }

  decide<T extends ReleaseCommandType>(manager: EntityManager, loaded: LoadedRelease, command: ReleaseCommand<T>, context: DecideContexts[T], scope: ReleaseScope, extra: CommitExtra = {}): Promise<Outcome> {
    return this.commit(manager, loaded, decide(command, loaded.state, context), scope, extra);
  }

  /** Records `events` (and `sagaCommands`), then advances the saga: the next environment starts when it may. */
  async commit(
    manager: EntityManager,
    loaded: LoadedRelease,
    events: ReleaseEvent[],
    scope: ReleaseScope,
    extra: CommitExtra = {},
  ): Promise<Outcome> {
    const now = new Date();
    const { releaseId } = loaded;
    const decided = [...events];
    const sagaCommands = [...(extra.sagaCommands ?? [])];
    let state = decided.reduce(evolve, loaded.state);

    const { policy, gitops } = await this.policies.of(manager, scope.tenantId, scope.projectId);
    const step = nextPromotion(state, policy, now);
    if (step.kind === 'start') {
      const started = decide({ type: 'StartPromotion', payload: { releaseId, environment: step.environment, attempt: step.attempt } }, state, { now });
      state = started.reduce(evolve, state);
      decided.push(...started);
      // the envelope id is the correlation id of the attempt: environment-promotion answers with it
      const id = uuidv7();
      const payload = promoteDeploymentPayload(state, step.environment, step.attempt, gitops);
      sagaCommands.push(createEnvelope('PromoteDeployment', payload, { id, correlationId: id, traceId: scope.traceId, source: SOURCE, actor: SERVICE_ACTOR, tenantId: scope.tenantId, projectId: scope.projectId }));
      await this.timers.cancel(manager, windowTimerKey(releaseId));
    } else if (step.kind === 'wait') {
      await this.timers.schedule(manager, { key: windowTimerKey(releaseId), kind: WINDOW_TIMER, dueAt: step.until, payload: { releaseId } });
    }
    await this.scheduleExpiries(manager, decided);

    const pendingFailure = extra.pendingFailure !== undefined ? extra.pendingFailure : (loaded.row?.pendingFailure ?? null);
    const envelopes = decided.map((event) => envelopeOf(event, scope));
    if (decided.length > 0 || sagaCommands.length > 0 || loaded.row === undefined) {
      await this.readModel.save(manager, {
        releaseId,
        tenantId: scope.tenantId,
        projectId: scope.projectId,
        status: state.status,
        state,
        traceId: scope.traceId,
        pendingFailure,
        version: loaded.version + envelopes.length,
        sent: [...loaded.sent, ...sagaCommands.map(sentCommandOf)],
        sagaVersion: loaded.sagaVersion + sagaCommands.length,
      });
    }
    return {
      appends: [
        { stream: releaseStream(releaseId), events: envelopes, expectedVersion: loaded.version },
        { stream: sagaStream(releaseId), events: sagaCommands, expectedVersion: loaded.sagaVersion },
      ],
      state,
      events: decided,
    };
  }

  /** The saga's RollbackDeployment for the attempt `promotion` started (same correlation). */
  rollback(scope: ReleaseScope, promotion: SentCommand, releaseId: string, reason: string): Envelope {
    const payload: PayloadOf<'RollbackDeployment'> = { releaseId, environment: promotion.environment, reason };
    return createEnvelope('RollbackDeployment', payload, { correlationId: promotion.correlationId, traceId: scope.traceId, source: SOURCE, actor: SERVICE_ACTOR, tenantId: scope.tenantId, projectId: scope.projectId });
  }

  // an approval with an expiry stops counting when its timer fires (ExpireApproval), not when someone looks
  private async scheduleExpiries(manager: EntityManager, events: readonly ReleaseEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type !== 'ReleaseApprovalRecorded' || event.payload.expiresAt === null) continue;
      const { releaseId, environment, approver, role, expiresAt } = event.payload;
      const payload: ApprovalExpiryTimer = { releaseId, environment, approver, role };
      await this.timers.schedule(manager, { key: approvalTimerKey(payload), kind: APPROVAL_EXPIRY_TIMER, dueAt: new Date(expiresAt), payload });
    }
  }
}

function envelopeOf(event: ReleaseEvent, scope: ReleaseScope): Envelope {
  // every event of the release continues its trace (the build's, when planned from a known build), whoever
  // caused it: an approval over REST is one more step of the story, linked to its request by causationId
  return createEnvelope(event.type as MessageType, event.payload as never, { source: SOURCE, tenantId: scope.tenantId, projectId: scope.projectId, traceId: scope.traceId });
}

const sentCommandOf = (envelope: Envelope): SentCommand => sentCommand(envelope.id, envelope.type, envelope.correlationId, envelope.payload);

function sentCommand(id: string, type: string, correlationId: string, payload: unknown): SentCommand {
  const data = payload as { environment: string; attempt?: number };
  return { id, type: type === 'RollbackDeployment' ? 'RollbackDeployment' : 'PromoteDeployment', correlationId, environment: data.environment, attempt: data.attempt ?? null };
}
