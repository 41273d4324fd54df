import type { Envelope } from '@delivery/contracts';

// DESIGN §4: the event store port. Postgres is the default adapter (and, through the relay, the outbox);
// EventStoreDB/KurrentDB is the production alternative. One conformance suite runs against both.

/** Everything of an envelope but id, type, kind and payload: stored beside the event and restored by the relay. */
export type EventMetadata = Omit<Envelope, 'id' | 'type' | 'kind' | 'payload'>;

export interface NewEvent<D = unknown> {
  /** UUID; the envelope id, and the idempotency key of the append */
  id: string;
  type: string;
  data: D;
  metadata: EventMetadata;
}

export interface RecordedEvent<D = unknown> extends NewEvent<D> {
  streamId: string;
  /** 0-based revision of the event in its stream */
  version: number;
  /** global position, strictly increasing in commit order across all streams */
  position: bigint;
  recordedAt: Date;
}

/** A number is the version of the stream's last event (-1: empty); the words are the usual relaxations. */
export type ExpectedVersion = number | 'any' | 'no-stream' | 'stream-exists';

export interface AppendResult {
  /** version of the last event appended; pass it as the next expected version */
  nextExpectedVersion: number;
  position: bigint;
}

export interface ReadStreamOptions {
  fromVersion?: number;
  limit?: number;
  /**
   * Postgres only: read inside the caller's open transaction (a TypeORM EntityManager), so that a handler that
   * rehydrates an aggregate holds one pooled connection, not two. Other adapters ignore it.
   */
  transaction?: unknown;
}

export interface ReadAllOptions {
  /** exclusive: events strictly after this position; omit to start at the beginning */
  fromPosition?: bigint;
  limit?: number;
}

export interface SubscribeOptions extends ReadAllOptions {
  /** ends the iteration cleanly; `limit` is the page size of the catch-up reads, not a total */
  signal?: AbortSignal;
}

export interface AppendOptions {
  /**
   * Postgres only: a TypeORM EntityManager inside an open transaction, so that the events commit with the
   * caller's state change (the event store is the outbox). Other adapters reject it.
   */
  transaction?: unknown;
}

export interface EventStore {
  append(streamId: string, events: NewEvent[], expected: ExpectedVersion, options?: AppendOptions): Promise<AppendResult>;
  read(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * How many events lie after a position (the relay's lag). Optional: an adapter that cannot count cheaply
   * (EventStoreDB positions are byte offsets) leaves it out and the lag gauge stays unset.
   */
  countAfter?(position: bigint | undefined): Promise<number>;
  /** Live tail of all streams from a position: catches up, then follows appends until the signal aborts. */
  subscribe(options?: SubscribeOptions): AsyncIterable<RecordedEvent>;
  close(): Promise<void>;
}

export class WrongExpectedVersionError extends Error {
  readonly code = 'wrong-expected-version';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream "${streamId}" is at version ${actual}, expected ${String(expected)}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/**
 * An event id is already stored somewhere other than as this exact append (another stream, another position,
 * or only part of the batch). A re-append of the same ids at the same position is idempotent, not this error.
 */
export class DuplicateEventIdError extends Error {
  readonly code = 'duplicate-event-id';
  constructor(
    readonly streamId: string,
    readonly eventIds: string[],
  ) {
    super(`event id(s) ${eventIds.join(', ')} already stored outside this append to stream "${streamId}"`);
    this.name = 'DuplicateEventIdError';
  }
}
