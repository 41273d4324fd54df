import { randomUUID } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import { ANY, NO_STREAM, STREAM_EXISTS, StreamNotFoundError, WrongExpectedVersionError as EsdbWrongExpectedVersionError } from '@eventstore/db-client';
// The client's own wire → ResolvedEvent conversion, fed with protobuf messages shaped like a server's read response.
import { convertGrpcEvent } from '@eventstore/db-client/dist/utils';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { Empty, StreamIdentifier, UUID, WrongExpectedVersion as GrpcWrongExpectedVersion } from '@eventstore/db-client/generated/shared_pb';
import { WrongExpectedVersionError } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb-event-store.adapter';
import {
  fromCurrentRevision,
  isStreamNotFound,
  isSystemEvent,
  mapAppendError,
  toEventData,
  toExpectedRevision,
  toReadPosition,
  toRecordedEvent,
} from './eventstoredb-event.mapper';
import { conformanceEvent } from './testing/event-store.conformance';

interface WireEvent {
  streamName: string;
  id: string;
  revision: number;
  type: string;
  contentType: string;
  data: string;
  customMetadata?: string;
  position: bigint;
  created?: Date;
}

// A ReadResp.ReadEvent as EventStoreDB sends it for a $all read (commit == prepare without explicit transactions).
function wireEvent(e: WireEvent): ReadResp.ReadEvent {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  const uuid = new UUID();
  uuid.setString(e.id);
  recorded.setId(uuid);
  const stream = new StreamIdentifier();
  stream.setStreamName(Buffer.from(e.streamName));
  recorded.setStreamIdentifier(stream);
  recorded.setStreamRevision(String(e.revision));
  recorded.setCommitPosition(e.position.toString());
  recorded.setPreparePosition(e.position.toString());
  const meta = recorded.getMetadataMap();
  meta.set('type', e.type);
  meta.set('content-type', e.contentType);
  // .NET ticks (100 ns) since the Unix epoch, as the server stamps them.
  meta.set('created', (BigInt((e.created ?? new Date('2026-03-01T10:00:00.000Z')).getTime()) * 10_000n).toString());
  recorded.setData(Buffer.from(e.data));
  if (e.customMetadata) recorded.setCustomMetadata(Buffer.from(e.customMetadata));
  const read = new ReadResp.ReadEvent();
  read.setEvent(recorded);
  read.setCommitPosition(e.position.toString());
  return read;
}

describe('EventStoreDB mapping: expected version', () => {
  it.each([
    [-1, NO_STREAM],
    ['no-stream', NO_STREAM],
    ['any', ANY],
    ['stream-exists', STREAM_EXISTS],
    [0, 0n],
    [41, 41n],
  ] as const)('given %p when mapped then the client gets %p', (expected, revision) => {
    expect(toExpectedRevision(expected)).toBe(revision);
  });

  it('maps the current revision back: no_stream is -1', () => {
    expect(fromCurrentRevision('no_stream')).toBe(-1);
    expect(fromCurrentRevision(7n)).toBe(7);
    expect(fromCurrentRevision(undefined)).toBe(-1);
  });
});

describe('EventStoreDB mapping: errors', () => {
  it('given the append response conflict when mapped then it is the port error with the actual version', () => {
    const clientError = new EsdbWrongExpectedVersionError(undefined, { streamName: 'release-1', expected: 2n, current: 4n });
    const mapped = mapAppendError(clientError, 'release-1', 2);
    expect(mapped).toBeInstanceOf(WrongExpectedVersionError);
    expect(mapped).toMatchObject({ code: 'wrong-expected-version', streamId: 'release-1', expected: 2, actual: 4 });
  });

  it('given a batch-append conflict on a missing stream when mapped then actual is -1', () => {
    const details = new GrpcWrongExpectedVersion();
    details.setExpectedStreamExists(new Empty());
    details.setCurrentNoStream(new Empty());
    const clientError = EsdbWrongExpectedVersionError.fromWrongExpectedVersion(details, 'release-2');
    expect(mapAppendError(clientError, 'release-2', 'stream-exists')).toMatchObject({ name: 'WrongExpectedVersionError', actual: -1, expected: 'stream-exists' });
  });

  it('given a conflict reported as gRPC trailers when mapped then actual comes from them', () => {
    const metadata = new Metadata();
    metadata.set('stream-name', 'release-3');
    metadata.set('expected-version', '0');
    metadata.set('actual-version', '9');
    const clientError = new EsdbWrongExpectedVersionError({ code: status.FAILED_PRECONDITION, details: 'wrong expected version', metadata, message: 'x', name: 'Error' });
    expect(mapAppendError(clientError, 'release-3', 0)).toMatchObject({ actual: 9, expected: 0, streamId: 'release-3' });
  });

  it('passes other errors through and recognises a missing stream', () => {
    const other = new Error('unavailable');
    expect(mapAppendError(other, 's', 'any')).toBe(other);
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'nope'))).toBe(true);
    expect(isStreamNotFound(other)).toBe(false);
  });
});

describe('EventStoreDB mapping: events', () => {
  it('given a new event when written then it is JSON with our id and ESDB correlation keys', () => {
    const cause = randomUUID();
    const event = conformanceEvent('ReleasePlanned', { releaseId: 'r1' }, { causationId: cause });
    const data = toEventData(event);
    expect(data).toMatchObject({ id: event.id, type: 'ReleasePlanned', contentType: 'application/json', data: { releaseId: 'r1' } });
    expect(data.metadata).toEqual({ ...event.metadata, $correlationId: event.metadata.correlationId, $causationId: cause });
    expect(toEventData(conformanceEvent()).metadata).not.toHaveProperty('$causationId');
  });

  it('given a recorded $all event when mapped then it is a RecordedEvent with the commit position and clean metadata', () => {
    const event = conformanceEvent('ReleasePlanned', { releaseId: 'r1', envs: ['dev', 'prod'] });
    const stored = toEventData(event);
    const resolved = convertGrpcEvent(
      wireEvent({
        streamName: 'release-r1',
        id: event.id,
        revision: 3,
        type: event.type,
        contentType: 'application/json',
        data: JSON.stringify(event.data),
        customMetadata: JSON.stringify(stored.metadata),
        position: 18_446_744_073n,
      }),
    );
    expect(toRecordedEvent(resolved)).toEqual({
      ...event,
      streamId: 'release-r1',
      version: 3,
      position: 18_446_744_073n,
      recordedAt: new Date('2026-03-01T10:00:00.000Z'),
    });
  });

  it('given system events or link-only records when mapped then they are skipped', () => {
    const system = convertGrpcEvent(
      wireEvent({ streamName: '$stats-127.0.0.1:2113', id: randomUUID(), revision: 0, type: '$statsCollected', contentType: 'application/json', data: '{}', position: 5n }),
    );
    const systemType = convertGrpcEvent(
      wireEvent({ streamName: 'release-r1', id: randomUUID(), revision: 0, type: '$metadata', contentType: 'application/json', data: '{}', position: 6n }),
    );
    expect(isSystemEvent(system)).toBe(true);
    expect(toRecordedEvent(system)).toBeUndefined();
    expect(toRecordedEvent(systemType)).toBeUndefined();
    expect(toRecordedEvent({ commitPosition: 7n })).toBeUndefined();
  });

  it('given a binary event from another writer when mapped then JSON bytes are parsed and others kept', () => {
    const json = convertGrpcEvent(
      wireEvent({ streamName: 'legacy', id: randomUUID(), revision: 1, type: 'Legacy', contentType: 'application/octet-stream', data: '{"a":1}', position: 9n }),
    );
    const raw = convertGrpcEvent(
      wireEvent({ streamName: 'legacy', id: randomUUID(), revision: 2, type: 'Legacy', contentType: 'application/octet-stream', data: '\u0001\u0002', position: 10n }),
    );
    expect(toRecordedEvent(json)?.data).toEqual({ a: 1 });
    expect(toRecordedEvent(raw)?.data).toBeInstanceOf(Uint8Array);
  });

  it('turns a bigint position into a log position with both parts', () => {
    expect(toReadPosition(42n)).toEqual({ commit: 42n, prepare: 42n });
  });
});

describe('EventStoreDbEventStore without a server', () => {
  const store = EventStoreDbEventStore.fromConnectionString('esdb://127.0.0.1:1?tls=false');
  afterAll(() => store.close());

  it('refuses to join a database transaction, before any I/O', async () => {
    await expect(store.append('s', [conformanceEvent()], -1, { transaction: {} })).rejects.toThrow(/cannot join a database transaction/);
  });

  it('validates input like the Postgres adapter, before any I/O', async () => {
    await expect(store.append('$all', [conformanceEvent()], 'any')).rejects.toThrow(/reserved/);
    await expect(store.append('s', [conformanceEvent()], -3)).rejects.toThrow(RangeError);
    await expect(store.read('s', { fromVersion: 1.5 })).rejects.toThrow(RangeError);
  });
});
