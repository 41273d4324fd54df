import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import type { EventStore } from '@delivery/eventstore';
import { createEnvelope, NotFoundError } from '@delivery/messaging';
import { EVENT_STORE, type StreamAppend } from '@delivery/service-kit';
import { evolve, initialState, PULL_REQUEST_EVENT_TYPES, type PullRequestCommandType, type PullRequestEvent, type PullRequestEventType, type PullRequestState } from './domain/pull-request.decider';
import { PullRequestReadModel } from './pull-request.read-model';

export const SOURCE = 'pull-request';
export const streamOf = (pullRequestId: string): string => `pull-request-${pullRequestId}`;

export interface LoadedPullRequest {
  state: PullRequestState;
  /** the version of the stream's last event: the expected version of the next append */
  version: number;
}

// The event-sourced pull request: rehydrated from its stream for every command, appended to with the version it
// was read at, and mirrored into the read model in the same transaction.
@Injectable()
export class PullRequestRepository {
  // which repository a command's pull request belongs to, once its tenancy is checked: for the rejection event
  private readonly repositoryOfCommand = new WeakMap<Envelope, string>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly readModel: PullRequestReadModel,
  ) {}

  // The read-model row is locked before the stream is read: every command on a pull request writes that row in its
  // transaction, so no other one commits between this read and our append, and a merge never acts on git for a
  // state that is already stale. The expected version still guards the append itself.
  async load(manager: EntityManager, command: Envelope<{ pullRequestId: string }>): Promise<LoadedPullRequest> {
    const { pullRequestId } = command.payload;
    const scope = { tenantId: command.tenantId, projectId: command.projectId };
    if (!(await this.readModel.lock(manager, scope, pullRequestId))) throw notFound(pullRequestId);
    const recorded = await this.store.read(streamOf(pullRequestId), { transaction: manager });
    const first = recorded[0];
    const last = recorded[recorded.length - 1];
    if (!first || !last || first.metadata.tenantId !== scope.tenantId || first.metadata.projectId !== scope.projectId) throw notFound(pullRequestId);
    const state = recorded.filter((e) => PULL_REQUEST_EVENT_TYPES.has(e.type)).reduce((s, e) => evolve(s, { type: e.type, payload: e.data } as PullRequestEvent), initialState);
    this.repositoryOfCommand.set(command, state.repositoryId);
    return { state, version: last.version };
  }

  /** The answer to a refused command, so a bus client learns why (pullRequestId is null for an open). */
  rejection(command: Envelope<{ pullRequestId?: string; repositoryId?: string }, PullRequestCommandType>, failure: schemas.Failure): StreamAppend {
    const payload: PayloadOf<'PullRequestCommandRejected'> = {
      pullRequestId: command.type === 'OpenPullRequest' ? null : (command.payload.pullRequestId ?? null),
      command: command.type,
      error: failure,
    };
    const repositoryId = command.type === 'OpenPullRequest' ? command.payload.repositoryId : this.repositoryOfCommand.get(command);
    if (repositoryId !== undefined) payload.repositoryId = repositoryId;
    // not the pull request's own stream: a refusal must not move its version, and an unknown id has no stream
    return { stream: `pull-request-rejections-${command.tenantId}-${command.projectId}`, events: [createEnvelope('PullRequestCommandRejected', payload, { source: SOURCE })] };
  }

  /** The append of the decided events (at the version read) after writing the new state to the read model. */
  async save(manager: EntityManager, loaded: LoadedPullRequest, events: PullRequestEvent[]): Promise<{ append: StreamAppend; state: PullRequestState }> {
    const state = events.reduce(evolve, loaded.state);
    await this.readModel.update(manager, state, loaded.version + events.length);
    return { append: { stream: streamOf(state.pullRequestId), events: events.map(toEnvelope), expectedVersion: loaded.version }, state };
  }

  /** The first append of a new pull request, and its read-model row. */
  async create(manager: EntityManager, events: PullRequestEvent[], extra: { tenantId: string; projectId: string; description?: string; labels?: string[] }): Promise<StreamAppend> {
    const state = events.reduce(evolve, initialState);
    await this.readModel.insert(manager, state, extra, events.length - 1);
    return { stream: streamOf(state.pullRequestId), events: events.map(toEnvelope), expectedVersion: 'no-stream' };
  }
}

function toEnvelope(event: PullRequestEvent): Envelope {
  // the union of typed events widens to the union of their payloads, which createEnvelope checks per type
  return createEnvelope(event.type, event.payload as never, { source: SOURCE });
}

export function notFound(pullRequestId: string): NotFoundError {
  return new NotFoundError('pull-request.not-found', `pull request ${pullRequestId} not found`);
}

/** The payload of the decided event of that type (the handlers answer REST callers with it). */
export function payloadOf<T extends PullRequestEventType>(events: PullRequestEvent[], type: T): PayloadOf<T> {
  const event = events.find((e) => e.type === type);
  if (!event) throw new Error(`no ${type} was decided`);
  return event.payload as PayloadOf<T>;
}
