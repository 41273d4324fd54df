import { WrongExpectedVersionError, type ExpectedVersion, type NewEvent } from './event-store.port';

// Checks shared by every adapter, so both reject the same bad input the same way before any I/O.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_STREAM_ID_LENGTH = 500;

export function assertAppendInput(streamId: string, events: NewEvent[], expected: ExpectedVersion): void {
  assertStreamId(streamId);
  assertExpectedVersion(expected);
  if (!Array.isArray(events)) throw new TypeError('events must be an array');
  const ids = new Set<string>();
  for (const [i, event] of events.entries()) {
    if (typeof event?.id !== 'string' || !UUID.test(event.id)) throw new TypeError(`event ${i}: id must be a UUID, got ${String(event?.id)}`);
    const id = event.id.toLowerCase();
    if (ids.has(id)) throw new TypeError(`event ${i}: id ${id} appears twice in one append`);
    ids.add(id);
    if (typeof event.type !== 'string' || event.type.length === 0) throw new TypeError(`event ${i}: type must be a non-empty string`);
    const metadata = event.metadata as Partial<NewEvent['metadata']> | undefined;
    // tenant_id and project_id are columns on every row (DESIGN §4): no event is stored without them.
    if (typeof metadata?.tenantId !== 'string' || metadata.tenantId.length === 0) throw new TypeError(`event ${i}: metadata.tenantId is required`);
    if (typeof metadata.projectId !== 'string' || metadata.projectId.length === 0) throw new TypeError(`event ${i}: metadata.projectId is required`);
  }
}

export function assertStreamId(streamId: string): void {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > MAX_STREAM_ID_LENGTH) {
    throw new TypeError(`stream id must be a string of 1-${MAX_STREAM_ID_LENGTH} characters`);
  }
  // '$' names are EventStoreDB system streams; reserve them everywhere so streams move between adapters.
  if (streamId.startsWith('$')) throw new TypeError(`stream id "${streamId}" is reserved: ids starting with "$" are system streams`);
}

export function assertExpectedVersion(expected: ExpectedVersion): void {
  if (typeof expected === 'number') {
    if (!Number.isInteger(expected) || expected < -1) throw new RangeError(`expected version must be an integer >= -1, got ${expected}`);
    return;
  }
  if (expected !== 'any' && expected !== 'no-stream' && expected !== 'stream-exists') {
    throw new TypeError(`expected version must be a number, 'any', 'no-stream' or 'stream-exists', got ${String(expected)}`);
  }
}

export function assertLimit(limit: number, name = 'limit', min = 0): void {
  if (!Number.isInteger(limit) || limit < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${limit}`);
}

/** current: version of the stream's last event, -1 when it has none. */
export function checkExpectedVersion(streamId: string, expected: ExpectedVersion, current: number): void {
  const ok =
    expected === 'any' ||
    (expected === 'no-stream' && current === -1) ||
    (expected === 'stream-exists' && current >= 0) ||
    (typeof expected === 'number' && expected === current);
  if (!ok) throw new WrongExpectedVersionError(streamId, expected, current);
}
