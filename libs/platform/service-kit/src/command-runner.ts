import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Envelope, MessageType, PayloadOf, schemas } from '@delivery/contracts';
import type { EventStore, ExpectedVersion } from '@delivery/eventstore';
import { errorCodeOf, errorMessageOf, httpStatusOf, PlatformError, toNewEvent, type JetStreamContext } from '@delivery/messaging';
import { newSpanId, runWithTrace } from '@delivery/observability';
import { claimInbox } from '@delivery/persistence';
import { EVENT_STORE } from './service-kit.tokens';

type Failure = schemas.Failure;

/** Where a command came from: a durable consumer (with its delivery count) or a REST request. */
export interface CommandOrigin {
  transport: 'bus' | 'rest';
  /** the inbox key: the durable's name, or `rest` */
  consumer: string;
  deliveries: number;
}

export function busOrigin(ctx: JetStreamContext): CommandOrigin {
  return { transport: 'bus', consumer: ctx.getConsumer(), deliveries: ctx.getDeliveries() };
}

export const REST_ORIGIN: CommandOrigin = { transport: 'rest', consumer: 'rest', deliveries: 1 };

export interface StreamAppend {
  stream: string;
  events: Envelope[];
  /** default 'any' */
  expectedVersion?: ExpectedVersion;
}

export interface Decision<R> {
  appends: StreamAppend[];
  result: R;
}

export interface CommandHandler<T extends MessageType, R> {
  /** the work, inside the transaction that claims the inbox: state rows and the events to append */
  execute(command: Envelope<PayloadOf<T>, T>, manager: EntityManager, origin: CommandOrigin): Promise<Decision<R>>;
  /** the failure event that answers a refused command, so a bus client learns why */
  failed?(command: Envelope<PayloadOf<T>, T>, failure: Failure): StreamAppend | undefined;
}

export type CommandOutcome<R> = { status: 'done'; result: R } | { status: 'duplicate' } | { status: 'refused'; failure: Failure };

// One path for a command, whether it arrived on the bus or over REST (DESIGN §2: one handler, two doors):
// claim the inbox, run the handler, append its events in the same transaction (the event store is the outbox).
// A coded refusal is answered with the handler's failure event in its own transaction. On the bus a refusal that
// can never succeed is then acked (the failure event is the answer); one that may succeed later (a dependency
// failure, 5xx) is rethrown so the transport dead-letters it for replay. Over REST every refusal is rethrown and
// the exception filter turns it into a status. Lost races and uncoded errors are rethrown untouched: retried.
@Injectable()
export class CommandRunner {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async run<T extends MessageType, R>(command: Envelope<PayloadOf<T>, T>, origin: CommandOrigin, handler: CommandHandler<T, R>): Promise<CommandOutcome<R>> {
    return runWithTrace(
      {
        traceId: command.traceId,
        spanId: newSpanId(),
        tenantId: command.tenantId,
        projectId: command.projectId,
        causationId: command.id,
        correlationId: command.correlationId,
        actor: command.actor,
      },
      () => this.runInTrace(command, origin, handler),
    );
  }

  /** A command from a REST request: its result. Over REST every refusal is thrown (the exception filter maps it to
   * its status) and a request's envelope is always fresh, never a duplicate. */
  async runRest<T extends MessageType, R>(command: Envelope<PayloadOf<T>, T>, handler: CommandHandler<T, R>): Promise<R> {
    const outcome = await this.run(command, REST_ORIGIN, handler);
    if (outcome.status !== 'done') throw new Error(`unexpected outcome ${outcome.status} of a REST command`);
    return outcome.result;
  }

  private async runInTrace<T extends MessageType, R>(
    command: Envelope<PayloadOf<T>, T>,
    origin: CommandOrigin,
    handler: CommandHandler<T, R>,
  ): Promise<CommandOutcome<R>> {
    try {
      return await this.dataSource.transaction(async (manager): Promise<CommandOutcome<R>> => {
        if (!(await claimInbox(manager, { consumer: origin.consumer, envelopeId: command.id }))) return { status: 'duplicate' };
        const decision = await handler.execute(command, manager, origin);
        await this.append(decision.appends, manager);
        return { status: 'done', result: decision.result };
      });
    } catch (error) {
      if (!(error instanceof PlatformError) || error.disposition !== 'reject') throw error;
      const failure = failureOf(error);
      const answer = handler.failed?.(command, failure);
      if (answer) await this.dataSource.transaction((manager) => this.append([answer], manager));
      if (origin.transport === 'rest' || failure.retryable) throw error;
      return { status: 'refused', failure };
    }
  }

  private append(appends: StreamAppend[], manager: EntityManager): Promise<void> {
    return appendAll(this.store, appends, manager);
  }
}

/** Appends each stream's envelopes inside the caller's transaction (the event store is the outbox). */
export async function appendAll(store: EventStore, appends: readonly StreamAppend[], manager: EntityManager): Promise<void> {
  for (const { stream, events, expectedVersion } of appends) {
    if (events.length > 0) await store.append(stream, events.map(toNewEvent), expectedVersion ?? 'any', { transaction: manager });
  }
}

/** The contracts' Failure of a coded error: details become {subject, message} pairs. */
export function failureOf(error: unknown): Failure {
  const details = error instanceof PlatformError ? detailsOf(error.details) : undefined;
  return {
    code: errorCodeOf(error).slice(0, 100),
    message: (errorMessageOf(error) || 'failed').slice(0, 4000),
    retryable: httpStatusOf(error) >= 500,
    ...(details && details.length > 0 ? { details } : {}),
  };
}

function detailsOf(details: Record<string, unknown> | undefined): Failure['details'] {
  if (!details) return undefined;
  const list = Array.isArray(details.rules) ? details.rules : Array.isArray(details.problems) ? details.problems : undefined;
  if (list) {
    return list
      .filter((item): item is { subject: string; message: string } => typeof item?.subject === 'string' && typeof item?.message === 'string')
      .slice(0, 100)
      .map((item) => ({ subject: item.subject.slice(0, 1024), message: item.message.slice(0, 2000) }));
  }
  return Object.entries(details)
    .slice(0, 100)
    .map(([subject, value]) => ({ subject: subject.slice(0, 1024), message: (typeof value === 'string' ? value : JSON.stringify(value) ?? '').slice(0, 2000) }));
}
