import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope, NotFoundError } from '@delivery/messaging';
import type { CommandHandler, Decision, StreamAppend } from '@delivery/service-kit';
import type { DecideContexts, ReleaseCommandPayloads } from '../domain/release-plan.decider';
import { SOURCE, type LoadedRelease, type ReleaseFlow, type ReleaseScope } from '../release.flow';

export type ReleaseBusCommand = 'PlanRelease' | 'ReviseRelease' | 'SubmitRelease' | 'ApproveRelease' | 'RejectRelease' | 'RetryRelease';

/** What every release command answers over REST. */
export interface ReleaseResult {
  releaseId: string;
  status: string;
  /** the event types appended; empty when the command changed nothing (a repeated approval) */
  events: string[];
}

// The shape of the six bus commands: load the release (another tenant's is unknown), gather the context the
// decider needs, decide and let the saga advance. A refusal answers with ReleaseCommandRejected.
export abstract class ReleaseCommandHandler<T extends ReleaseBusCommand> implements CommandHandler<T, ReleaseResult> {
  protected abstract readonly type: T;

  constructor(protected readonly flow: ReleaseFlow) {}

  /** the decider's context, and the scope when the release is new (otherwise its read-model row has it) */
  protected abstract prepare(command: Envelope<PayloadOf<T>, T>, loaded: LoadedRelease, manager: EntityManager): Promise<{ context: DecideContexts[T]; scope?: ReleaseScope }>;

  protected releaseIdOf(command: Envelope<PayloadOf<T>, T>): string {
    return (command.payload as { releaseId: string }).releaseId;
  }

  async execute(command: Envelope<PayloadOf<T>, T>, manager: EntityManager): Promise<Decision<ReleaseResult>> {
    const releaseId = this.releaseIdOf(command);
    const loaded = await this.flow.load(manager, releaseId);
    // another tenant's release is the same 404 as a missing one
    if (loaded.row !== undefined && loaded.row.tenantId !== command.tenantId) throw new NotFoundError('release.not-found', `release ${releaseId} not found`);
    const { context, scope } = await this.prepare(command, loaded, manager);
    const outcome = await this.flow.decide(manager, loaded, { type: this.type, payload: command.payload as ReleaseCommandPayloads[T] }, context, scope ?? this.flow.scopeOf(loaded));
    return { appends: outcome.appends, result: { releaseId, status: outcome.state.status, events: outcome.events.map((e) => e.type) } };
  }

  failed(command: Envelope<PayloadOf<T>, T>, failure: schemas.Failure): StreamAppend {
    const releaseId = (command.payload as { releaseId?: string }).releaseId ?? null;
    const event = createEnvelope('ReleaseCommandRejected', { releaseId, command: this.type, error: failure }, { source: SOURCE });
    // refusals never move the plan: they go to a stream of their own
    return { stream: `release-refusals-${releaseId ?? command.id}`, events: [event] };
  }
}
