import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WrongExpectedVersionError,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
} from '../event-store.port';

// One behaviour for every adapter (DESIGN §4). Stream ids carry a per-run prefix and $all reads start after a
// marker event, so the suite also runs against a shared EventStoreDB that holds other data.

export function conformanceMetadata(overrides: Partial<EventMetadata> = {}): EventMetadata {
  return {
    schemaVersion: 1,
    source: 'eventstore-conformance',
    tenantId: 'acme',
    projectId: 'rocket',
    traceId: randomBytes(16).toString('hex'),
    causationId: null,
    correlationId: `rel-${randomBytes(4).toString('hex')}`,
    actor: { kind: 'agent', id: 'agent-7' },
    occurredAt: new Date().toISOString(),
    ...overrides,
  };
}

export function conformanceEvent(type = 'ThingHappened', data: unknown = { n: 0 }, metadata?: Partial<EventMetadata>): NewEvent {
  return { id: randomUUID(), type, data, metadata: conformanceMetadata(metadata) };
}

function events(count: number, type = 'ThingHappened'): NewEvent[] {
  return Array.from({ length: count }, (_, n) => conformanceEvent(type, { n }));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function conflictOf(promise: Promise<unknown>): Promise<WrongExpectedVersionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WrongExpectedVersionError)) throw new Error(`expected WrongExpectedVersionError, got ${String(error)}`);
  return error;
}

export function describeEventStoreConformance(name: string, factory: () => Promise<EventStore>): void {
  describe(name, () => {
    let store: EventStore;
    const run = randomBytes(4).toString('hex');
    let streams = 0;
    const stream = (label: string) => `conf-${run}-${label}-${++streams}`;

    beforeAll(async () => {
      store = await factory();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe('append and expected version', () => {
      it('appends to a new stream and reads the events back with versions from 0', async () => {
        const s = stream('new');
        const batch = events(3);
        const result = await store.append(s, batch, 'no-stream');
        expect(result.nextExpectedVersion).toBe(2);
        const read = await store.read(s);
        expect(read.map((e) => [e.id, e.type, e.data, e.version, e.streamId])).toEqual(batch.map((e, i) => [e.id, e.type, e.data, i, s]));
        expect(read[0]!.recordedAt).toBeInstanceOf(Date);
        expect(result.position).toBeGreaterThanOrEqual(read[0]!.position);
      });

      it('returns the position of a single appended event', async () => {
        const s = stream('single');
        const result = await store.append(s, [conformanceEvent()], -1);
        const [event] = await store.read(s);
        expect(result.position).toBe(event!.position);
      });

      const variants: Array<[string, ExpectedVersion, boolean, number]> = [
        // label, expected, stream exists beforehand (at version 1), outcome actual version or -2 for success
        ['-1 on a new stream', -1, false, -2],
        ['-1 on an existing stream', -1, true, 1],
        ["'no-stream' on a new stream", 'no-stream', false, -2],
        ["'no-stream' on an existing stream", 'no-stream', true, 1],
        ["'any' on a new stream", 'any', false, -2],
        ["'any' on an existing stream", 'any', true, -2],
        ["'stream-exists' on a new stream", 'stream-exists', false, -1],
        ["'stream-exists' on an existing stream", 'stream-exists', true, -2],
        ['the current version', 1, true, -2],
        ['a stale version', 0, true, 1],
        ['a version ahead of the stream', 5, true, 1],
        ['a version on a new stream', 0, false, -1],
      ];
      it.each(variants)('expected version %s', async (_label, expected, exists, actual) => {
        const s = stream('ev');
        if (exists) await store.append(s, events(2), -1);
        const attempt = store.append(s, [conformanceEvent('Checked')], expected);
        if (actual === -2) {
          const result = await attempt;
          expect(result.nextExpectedVersion).toBe(exists ? 2 : 0);
          expect((await store.read(s)).at(-1)?.type).toBe('Checked');
        } else {
          const error = await conflictOf(attempt);
          expect(error).toMatchObject({ code: 'wrong-expected-version', streamId: s, expected, actual });
          expect((await store.read(s)).length).toBe(exists ? 2 : 0);
        }
      });

      it('continues a stream with the returned nextExpectedVersion', async () => {
        const s = stream('chain');
        let version: ExpectedVersion = -1;
        for (let i = 0; i < 5; i++) version = (await store.append(s, [conformanceEvent()], version)).nextExpectedVersion;
        expect(version).toBe(4);
        expect((await store.read(s)).map((e) => e.version)).toEqual([0, 1, 2, 3, 4]);
      });

      it('lets exactly one of concurrent appends at the same expected version win', async () => {
        const s = stream('race');
        await store.append(s, [conformanceEvent()], -1);
        const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => store.append(s, [conformanceEvent('Raced')], 0)));
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(7);
        for (const error of lost) expect(error).toMatchObject({ name: 'WrongExpectedVersionError', actual: 1, expected: 0 });
        expect((await store.read(s)).map((e) => e.version)).toEqual([0, 1]);
      });

      it("lets exactly one of concurrent 'no-stream' appends create the stream", async () => {
        const s = stream('create-race');
        const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => store.append(s, events(2), 'no-stream')));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.read(s)).toHaveLength(2);
      });

      it('treats a re-append of the same event ids at the same place as a no-op', async () => {
        const s = stream('idem');
        const batch = events(2);
        const first = await store.append(s, batch, -1);
        const again = await store.append(s, batch, -1);
        expect(again.nextExpectedVersion).toBe(first.nextExpectedVersion);
        const read = await store.read(s);
        expect(read.map((e) => e.id)).toEqual(batch.map((e) => e.id));
        // After the stream moved on, the same ids at the old place are still recognised.
        await store.append(s, [conformanceEvent()], 1);
        expect((await store.append(s, batch, -1)).nextExpectedVersion).toBe(1);
        expect(await store.read(s)).toHaveLength(3);
      });

      it('appends a big batch atomically, in order', async () => {
        const marker = await store.append(stream('big-marker'), [conformanceEvent('Marker')], -1);
        const s = stream('big');
        const batch = events(1000);
        const result = await store.append(s, batch, 'no-stream');
        const all = (await store.readAll({ fromPosition: marker.position })).filter((e) => e.streamId === s);
        expect(all.map((e) => e.version)).toEqual(range(0, 1000));
        expect(result.nextExpectedVersion).toBe(999);
        const read = await store.read(s);
        expect(read).toHaveLength(1000);
        expect(read.map((e) => e.id)).toEqual(batch.map((e) => e.id));
        for (let i = 1; i < read.length; i++) expect(read[i]!.position).toBeGreaterThan(read[i - 1]!.position);
        expect(result.position).toBeGreaterThanOrEqual(read[0]!.position);
        expect((await store.read(s, { fromVersion: 500, limit: 100 })).map((e) => e.version)).toEqual(range(500, 100));
      });

      it('rejects reserved stream ids and events without a UUID id', async () => {
        await expect(store.append('$system', [conformanceEvent()], 'any')).rejects.toThrow(/reserved/);
        await expect(store.append(stream('bad'), [{ ...conformanceEvent(), id: 'not-a-uuid' }], 'any')).rejects.toThrow(/UUID/);
      });
    });

    describe('read', () => {
      it('reads nothing from a stream that does not exist', async () => {
        expect(await store.read(stream('missing'))).toEqual([]);
      });

      it('reads from a version with a limit', async () => {
        const s = stream('window');
        await store.append(s, events(10), -1);
        expect((await store.read(s, { fromVersion: 3, limit: 4 })).map((e) => e.version)).toEqual([3, 4, 5, 6]);
        expect((await store.read(s, { fromVersion: 8 })).map((e) => e.version)).toEqual([8, 9]);
        expect(await store.read(s, { fromVersion: 10 })).toEqual([]);
        expect(await store.read(s, { limit: 0 })).toEqual([]);
      });
    });

    describe('readAll', () => {
      it('reads every stream in append order, strictly after fromPosition', async () => {
        const marker = await store.append(stream('marker'), [conformanceEvent('Marker')], -1);
        const [a, b, c] = [stream('all-a'), stream('all-b'), stream('all-c')];
        const appended: string[] = [];
        for (let i = 0; i < 4; i++) {
          for (const s of [a, b, c]) {
            const event = conformanceEvent('Interleaved', { s, i });
            await store.append(s, [event], i - 1);
            appended.push(event.id);
          }
        }
        const ours = (list: RecordedEvent[]) => list.filter((e) => [a, b, c].includes(e.streamId));
        const all = await store.readAll({ fromPosition: marker.position });
        expect(all.some((e) => e.type === 'Marker' && e.position === marker.position)).toBe(false);
        expect(ours(all).map((e) => e.id)).toEqual(appended);
        for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);

        const fifth = ours(all)[4]!;
        const after = ours(await store.readAll({ fromPosition: fifth.position }));
        expect(after.map((e) => e.id)).toEqual(appended.slice(5));

        const page = await store.readAll({ fromPosition: marker.position, limit: 3 });
        expect(page).toHaveLength(3);
        expect(page.map((e) => e.id)).toEqual(all.slice(0, 3).map((e) => e.id));
      });
    });

    describe('subscribe', () => {
      it('catches up, follows live appends, and ends when the signal aborts', async () => {
        const marker = await store.append(stream('sub-marker'), [conformanceEvent('Marker')], -1);
        const s = stream('sub');
        const early = events(3);
        await store.append(s, early, -1);
        const controller = new AbortController();
        const received: RecordedEvent[] = [];
        const consuming = (async () => {
          for await (const event of store.subscribe({ fromPosition: marker.position, signal: controller.signal })) {
            if (event.streamId === s) received.push(event);
          }
        })();
        await waitFor(() => received.length === 3, 'catch-up');
        const late = events(2);
        await store.append(s, late.slice(0, 1), 2);
        await store.append(s, late.slice(1), 3);
        await waitFor(() => received.length === 5, 'live events');
        controller.abort();
        await expect(withTimeout(consuming, 3000, 'subscription end')).resolves.toBeUndefined();
        expect(received.map((e) => e.id)).toEqual([...early, ...late].map((e) => e.id));
        expect(received.map((e) => e.version)).toEqual([0, 1, 2, 3, 4]);
      });

      it('catches up across many pages without gaps', async () => {
        const marker = await store.append(stream('pages-marker'), [conformanceEvent('Marker')], -1);
        const s = stream('pages');
        const batch = events(25);
        await store.append(s, batch, -1);
        const controller = new AbortController();
        const received: string[] = [];
        for await (const event of store.subscribe({ fromPosition: marker.position, limit: 10, signal: controller.signal })) {
          if (event.streamId === s) received.push(event.id);
          if (received.length === batch.length) break;
        }
        expect(received).toEqual(batch.map((e) => e.id));
      });

      it('ends promptly when aborted while idle, and yields nothing for an aborted signal', async () => {
        const tip = await store.append(stream('idle'), [conformanceEvent()], -1);
        const controller = new AbortController();
        const started = Date.now();
        const consuming = (async () => {
          const got: RecordedEvent[] = [];
          for await (const event of store.subscribe({ fromPosition: tip.position, signal: controller.signal })) got.push(event);
          return got;
        })();
        await sleep(150);
        controller.abort();
        await withTimeout(consuming, 2000, 'idle subscription end');
        expect(Date.now() - started).toBeLessThan(2500);

        const aborted = new AbortController();
        aborted.abort();
        const none: RecordedEvent[] = [];
        for await (const event of store.subscribe({ signal: aborted.signal })) none.push(event);
        expect(none).toEqual([]);
      });
    });

    describe('metadata', () => {
      it('round-trips metadata and data through read, readAll and subscribe', async () => {
        const marker = await store.append(stream('meta-marker'), [conformanceEvent('Marker')], -1);
        const s = stream('meta');
        const cause = randomUUID();
        const data = { text: 'grüße ✓', list: [1, 2.5, true, null, { deep: 'x' }], empty: {}, negative: -7 };
        const batch = [
          conformanceEvent('OriginRecorded', data),
          conformanceEvent('FollowUpRecorded', { ok: true }, { causationId: cause, actor: { kind: 'user', id: 'u-1' }, schemaVersion: 2 }),
        ];
        await store.append(s, batch, -1);
        const expected = batch.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata }));
        const pick = (e: RecordedEvent) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata });

        expect((await store.read(s)).map(pick)).toEqual(expected);
        expect((await store.readAll({ fromPosition: marker.position })).filter((e) => e.streamId === s).map(pick)).toEqual(expected);
        const controller = new AbortController();
        const received: RecordedEvent[] = [];
        for await (const event of store.subscribe({ fromPosition: marker.position, signal: controller.signal })) {
          if (event.streamId === s) received.push(event);
          if (received.length === 2) break;
        }
        expect(received.map(pick)).toEqual(expected);
        expect(received[0]!.metadata.traceId).toMatch(/^[0-9a-f]{32}$/);
      });
    });
  });
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
