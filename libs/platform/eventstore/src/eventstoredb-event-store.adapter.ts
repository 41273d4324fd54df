import { BACKWARDS, END, EventStoreDBClient, START, excludeSystemEvents } from '@eventstore/db-client';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from './event-store.port';
import { assertAppendInput, assertLimit } from './event-store.validation';
import { isStreamNotFound, mapAppendError, positionOf, toEventData, toExpectedRevision, toReadPosition, toRecordedEvent } from './eventstoredb-event.mapper';

// Positions: an event's commit position in the transaction log. Without explicit (legacy) transactions the
// prepare position equals it, so a bigint round-trips to a log position as {commit: p, prepare: p}.
const READ_PAGE = 500;

/** EventStoreDB / KurrentDB adapter (DESIGN §4). It cannot share a Postgres transaction, so it is not an outbox. */
export class EventStoreDbEventStore implements EventStore {
  constructor(private readonly client: EventStoreDBClient) {}

  static fromConnectionString(url: string): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(url));
  }

  async append(streamId: string, events: NewEvent[], expected: ExpectedVersion, options: AppendOptions = {}): Promise<AppendResult> {
    if (options.transaction !== undefined) {
      throw new TypeError(
        'EventStoreDbEventStore cannot join a database transaction: use PostgresEventStore as the outbox, or append after your commit',
      );
    }
    assertAppendInput(streamId, events, expected);
    let result;
    try {
      result = await this.client.appendToStream(streamId, events.map(toEventData), { expectedRevision: toExpectedRevision(expected) });
    } catch (error) {
      throw mapAppendError(error, streamId, expected);
    }
    const nextExpectedVersion = Number(result.nextExpectedRevision);
    // An idempotent re-append (or an empty one) may come back without a position: use the stream's last event.
    const position = result.position?.commit ?? (await this.lastPosition(streamId)) ?? 0n;
    return { nextExpectedVersion, position };
  }

  async read(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const fromVersion = options.fromVersion ?? 0;
    if (!Number.isInteger(fromVersion) || fromVersion < 0) throw new RangeError(`fromVersion must be an integer >= 0, got ${fromVersion}`);
    if (options.limit !== undefined) assertLimit(options.limit);
    if (options.limit === 0) return [];
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, { fromRevision: BigInt(fromVersion), maxCount: options.limit })) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    if (options.limit !== undefined) assertLimit(options.limit);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const events: RecordedEvent[] = [];
    let after = options.fromPosition;
    // System events count against maxCount but are dropped, so read pages until the limit is met or $all ends.
    while (events.length < limit) {
      const pageSize = Math.min(READ_PAGE, limit - events.length + 1);
      let seen = 0;
      for await (const resolved of this.client.readAll({ fromPosition: after === undefined ? START : toReadPosition(after), maxCount: pageSize })) {
        seen++;
        const position = positionOf(resolved);
        // The server's fromPosition is inclusive; the port's is exclusive.
        if (position === undefined || (after !== undefined && position <= after)) continue;
        after = position;
        const event = toRecordedEvent(resolved);
        if (event && events.length < limit) events.push(event);
      }
      if (seen < pageSize) break;
    }
    return events;
  }

  async *subscribe(options: SubscribeOptions = {}): AsyncGenerator<RecordedEvent> {
    const from = options.fromPosition;
    const signal = options.signal;
    if (signal?.aborted) return;
    const subscription = this.client.subscribeToAll({
      fromPosition: from === undefined ? START : toReadPosition(from),
      filter: excludeSystemEvents(),
    });
    const stop = () => void subscription.unsubscribe().catch(() => undefined);
    signal?.addEventListener('abort', stop, { once: true });
    let last = from;
    try {
      for await (const resolved of subscription) {
        if (signal?.aborted) return;
        const event = toRecordedEvent(resolved);
        // subscribeToAll is exclusive already; never hand out a position twice or backwards whatever the server does.
        if (!event || (last !== undefined && event.position <= last)) continue;
        last = event.position;
        yield event;
      }
    } finally {
      signal?.removeEventListener('abort', stop);
      await subscription.unsubscribe().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  private async lastPosition(streamId: string): Promise<bigint | undefined> {
    try {
      for await (const resolved of this.client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
        return positionOf(resolved);
      }
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
    return undefined;
  }
}
