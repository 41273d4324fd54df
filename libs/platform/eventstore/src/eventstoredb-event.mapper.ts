import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type EventData,
  type JSONType,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { WrongExpectedVersionError, type EventMetadata, type ExpectedVersion, type NewEvent, type RecordedEvent } from './event-store.port';

// Pure translations between the port and @eventstore/db-client shapes; the adapter only does I/O around them.

export function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no-stream' || expected === -1) return NO_STREAM;
  if (expected === 'stream-exists') return STREAM_EXISTS;
  return BigInt(expected);
}

/** EventStoreDB reports "no stream" as a word, revisions as bigint; the port uses -1 and numbers. */
export function fromCurrentRevision(current: bigint | string | undefined): number {
  return typeof current === 'bigint' ? Number(current) : -1;
}

/** The client's WrongExpectedVersionError becomes the port's; anything else passes through unchanged. */
export function mapAppendError(error: unknown, streamId: string, expected: ExpectedVersion): unknown {
  const e = error as { type?: unknown; actualVersion?: bigint | string } | null;
  if (e?.type === 'wrong-expected-version') return new WrongExpectedVersionError(streamId, expected, fromCurrentRevision(e.actualVersion));
  return error;
}

export function isStreamNotFound(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'stream-not-found';
}

// EventStoreDB's own correlation convention, so its projections ($by_correlation_id) link our events too.
const SYSTEM_METADATA_KEYS = ['$correlationId', '$causationId'] as const;

export function toEventData(event: NewEvent): EventData {
  const metadata: Record<string, unknown> = { ...event.metadata, $correlationId: event.metadata.correlationId };
  if (event.metadata.causationId) metadata.$causationId = event.metadata.causationId;
  return jsonEvent({ id: event.id, type: event.type, data: (event.data ?? null) as JSONType, metadata: metadata as JSONType });
}

export function isSystemEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): boolean {
  const event = resolved.event;
  return !event || event.streamId.startsWith('$') || event.type.startsWith('$');
}

/** The global position of an event: its commit position in the transaction log. */
export function positionOf(resolved: ResolvedEvent | AllStreamResolvedEvent): bigint | undefined {
  return resolved.event?.position?.commit ?? resolved.commitPosition;
}

/** $all reads and subscriptions are exclusive in the port; EventStoreDB takes a log position with both parts. */
export function toReadPosition(position: bigint): Position {
  return { commit: position, prepare: position };
}

/** undefined for system events, link-only records and events without a position (not ours to relay). */
export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  const position = positionOf(resolved);
  if (!event || isSystemEvent(resolved) || position === undefined) return undefined;
  return {
    id: event.id,
    type: event.type,
    data: event.isJson ? event.data : decodeBinary(event.data),
    metadata: fromStoredMetadata(event.metadata),
    streamId: event.streamId,
    version: Number(event.revision),
    position,
    recordedAt: event.created,
  };
}

function fromStoredMetadata(stored: unknown): EventMetadata {
  const value = stored instanceof Uint8Array ? decodeBinary(stored) : stored;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value as EventMetadata;
  const metadata: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of SYSTEM_METADATA_KEYS) delete metadata[key];
  return metadata as unknown as EventMetadata;
}

// Events written by other tools may be binary: keep JSON if it parses, the raw bytes otherwise.
function decodeBinary(bytes: unknown): unknown {
  if (!(bytes instanceof Uint8Array)) return bytes;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return bytes;
  }
}
