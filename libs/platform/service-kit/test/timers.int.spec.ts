import { Controller, Injectable, Module, Post, Body } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { createEnvelope } from '@delivery/messaging';
import { runWithTrace } from '@delivery/observability';
import { createTestBus, createTestDatabase, eventually, type TestBus, type TestDatabase } from '@delivery/testing';
import { bootstrapService, EVENT_STORE, timerPoller, Timers, timersMigration, type DueTimer, type RunningService, type StreamAppend, type TimerHandler } from '../src';
import type { EventStore } from '@delivery/eventstore';

// A handler that records each firing as an event, and fails on the kind 'boom' until told otherwise.
@Injectable()
class RecordingHandler implements TimerHandler {
  static failing = true;
  /** told when a 'locks' timer's handler starts; it then waits a moment and takes an advisory lock (as a handler
   * locks the row of what its timer is about) */
  static entered: (() => void) | undefined;
  async fire(timer: DueTimer, manager: EntityManager): Promise<StreamAppend[]> {
    if (timer.kind === 'boom' && RecordingHandler.failing) throw new Error('not yet');
    if (timer.kind === 'locks') {
      RecordingHandler.entered?.();
      await new Promise((resolve) => setTimeout(resolve, 150));
      await manager.query('SELECT pg_advisory_xact_lock(4242)');
    }
    const event = createEnvelope('CommitFailed', { repositoryId: 'r', branch: 'main', idempotencyKey: timer.key, error: { code: 'x', message: String(timer.payload), retryable: false } }, { source: 'timers-test' });
    return [{ stream: `fired-${timer.key}`, events: [event] }];
  }
}

@Controller('timers')
class TimersController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly timers: Timers,
  ) {}

  @Post()
  async schedule(@Body() body: { key: string; kind: string; inMs: number; payload: string }) {
    await runWithTrace({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), tenantId: 'acme', projectId: 'web', correlationId: 'corr-1', causationId: null }, () =>
      this.dataSource.transaction((manager) => this.timers.schedule(manager, { key: body.key, kind: body.kind, dueAt: new Date(Date.now() + body.inMs), payload: body.payload })),
    );
    return {};
  }
}

@Module({ controllers: [TimersController], providers: [Timers, RecordingHandler, timerPoller(RecordingHandler)] })
class TimersTestModule {}

describe('durable timers (real Postgres)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  let service: RunningService;
  let store: EventStore;

  beforeAll(async () => {
    process.env.TIMER_POLL_MS = '20';
    process.env.JWT_SECRET = 'timers-test-secret-0123456789abcdef';
    bus = await createTestBus();
    db = await createTestDatabase();
    service = await bootstrapService(
      { name: 'commit', module: TimersTestModule, migrations: [timersMigration], handleSignals: false, relay: false },
      { BUS_NAMESPACE: bus.names.namespace, DATABASE_URL: db.url, LOG_LEVEL: 'silent' },
    );
    store = service.app.get(EVENT_STORE);
  });
  afterAll(async () => {
    delete process.env.TIMER_POLL_MS;
    await service?.close();
    await bus?.close();
    await db?.drop();
  });

  const schedule = (key: string, kind: string, inMs: number, payload = key) =>
    service.app.get(TimersController).schedule({ key, kind, inMs, payload });
  const fired = (key: string) => store.read(`fired-${key}`);

  it('fires once when due, under the trace that scheduled it, and deletes the row', async () => {
    await schedule('once', 'tick', 150);
    expect(await fired('once')).toHaveLength(0);
    const [event] = await eventually(async () => ((await fired('once')).length > 0 ? fired('once') : undefined), 'timer fired');
    expect(event!.metadata).toMatchObject({ traceId: 'ab'.repeat(16), tenantId: 'acme', projectId: 'web', correlationId: 'corr-1' });
    await new Promise((r) => setTimeout(r, 200));
    expect(await fired('once')).toHaveLength(1);
    expect(await service.app.get(Timers).list(service.dataSource, 'once')).toEqual([]);
  });

  it('rescheduling a key moves it instead of adding a second timer', async () => {
    await schedule('moved', 'tick', 60_000, 'first');
    await schedule('moved', 'tick', 50, 'second');
    await eventually(async () => ((await fired('moved')).length > 0 ? true : undefined), 'moved timer fired');
    const events = await fired('moved');
    expect(events).toHaveLength(1);
    expect((events[0]!.data as { error: { message: string } }).error.message).toBe('second');
  });

  it('a failing timer is retried later and does not block the timers due after it', async () => {
    await schedule('boom', 'boom', 0);
    await schedule('after-boom', 'tick', 30);
    await eventually(async () => ((await fired('after-boom')).length > 0 ? true : undefined), 'later timer fired despite the failing one');
    const [pending] = await service.app.get(Timers).list(service.dataSource, 'boom');
    expect(pending!.dueAt.getTime()).toBeGreaterThan(Date.now());
    RecordingHandler.failing = false;
    await service.dataSource.query(`UPDATE commit.timers SET due_at = now() WHERE key = 'boom'`);
    await eventually(async () => ((await fired('boom')).length > 0 ? true : undefined), 'failed timer fired on retry');
  });

  it('cancels one timer or every timer of a key prefix', async () => {
    for (const key of ['gate:a:1', 'gate:a:2', 'gate:b:1']) await schedule(key, 'tick', 60_000);
    const timers = service.app.get(Timers);
    await service.dataSource.transaction((manager) => timers.cancelPrefix(manager, 'gate:a:'));
    expect((await timers.list(service.dataSource, 'gate:')).map((t) => t.key)).toEqual(['gate:b:1']);
    await service.dataSource.transaction((manager) => timers.cancel(manager, 'gate:b:1'));
    expect(await timers.list(service.dataSource, 'gate:')).toEqual([]);
  });

  it('hold: a transaction that locks what the handler of a firing timer locks, then reschedules it, waits for the handler instead of deadlocking', async () => {
    const timers = service.app.get(Timers);
    const entered = new Promise<void>((resolve) => (RecordingHandler.entered = resolve));
    await schedule('held', 'locks', 0);
    await entered;
    // the poller holds the timer's row and is about to take the advisory lock: without hold, this transaction would
    // take the advisory lock first and then wait for the timer's row (Postgres: deadlock detected)
    await service.dataSource.transaction(async (manager) => {
      await timers.hold(manager, 'held');
      await manager.query('SELECT pg_advisory_xact_lock(4242)');
      await timers.schedule(manager, { key: 'held', kind: 'tick', dueAt: new Date(Date.now() + 60_000), payload: 'again' });
    });
    expect(await fired('held')).toHaveLength(1);
    expect((await timers.list(service.dataSource, 'held')).map((t) => t.payload)).toEqual(['again']);
  });
});
