import type { Envelope } from '@delivery/contracts';
import { SWEEPER_DURABLE } from '@delivery/nats-topology';
import { bootstrapService, type RunningService } from '@delivery/service-kit';
import { createTestBus, createTestDatabase, waitForDeadLetters, type TestBus, type TestDatabase } from '@delivery/testing';
import { BusPublisher, createEnvelope, MaxDeliveriesSweeper, type DeadLetterRecord } from '../src';
import { probeService } from './probe.service';

describe('a last delivery that is never settled (handler hangs past ack_wait)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  let service: RunningService;
  let sweeper: MaxDeliveriesSweeper;

  beforeAll(async () => {
    bus = await createTestBus({ maxDeliver: 2, ackWaitSeconds: 1 });
    db = await createTestDatabase();
    service = await bootstrapService(probeService, { BUS_NAMESPACE: bus.names.namespace, DATABASE_URL: db.url, LOG_LEVEL: 'silent', HANDLER_TIMEOUT_MS: 200 });
    sweeper = new MaxDeliveriesSweeper({ js: bus.js, jsm: bus.jsm, names: bus.names, durable: SWEEPER_DURABLE });
    await sweeper.start();
  });
  afterAll(async () => {
    await sweeper?.stop();
    await service?.close();
    await bus?.close();
    await db?.drop();
  });

  it('is dead-lettered by the sweeper from the server advisory, with the envelope and a readable reason', async () => {
    const command = createEnvelope('CreateCommit', { repositoryId: 'repo-1', branch: 'main', message: '[hangs] forever' }, { source: 'test', tenantId: 'acme', projectId: 'shop' });
    await new BusPublisher(bus.js, bus.names).publish(command);
    const [letter] = await waitForDeadLetters<DeadLetterRecord>(bus, 1, undefined, 15_000);
    expect(letter).toMatchObject({
      service: 'commit',
      consumer: 'commit-commands',
      deliveries: 2,
      error: { code: 'max-deliveries', message: 'no settlement after 2 deliveries to commit-commands (the handler crashed or ran past ack_wait)' },
    });
    expect((letter!.envelope as Envelope).id).toBe(command.id);
  });
});
