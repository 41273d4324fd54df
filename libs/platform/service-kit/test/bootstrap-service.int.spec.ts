import { Controller, Get, Inject, Module, Param } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { signTestToken } from '@delivery/auth';
import { BusPublisher, createEnvelope, NotFoundError, type JetStreamContext } from '@delivery/messaging';
import { defineMigration, handleOnce } from '@delivery/persistence';
import { createTestBus, createTestDatabase, type TestBus, type TestDatabase } from '@delivery/testing';
import { bootstrapService, SERVICE_NAME, type RunningService } from '../src';

const SECRET = 'service-kit-test-secret-0123456789abcdef';

// A service defined for this test only: a REST route, a bus handler that takes its time, one table.
@Controller('things')
class ThingsController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  @Get(':id')
  async get(@Param('id') id: string) {
    const rows: Array<{ message: string }> = await this.dataSource.query('SELECT message FROM things WHERE envelope_id::text = $1', [id]);
    if (!rows[0]) throw new NotFoundError('thing-not-found', `no thing ${id}`);
    return { service: this.service, message: rows[0].message };
  }

  @EventPattern('CreateCommit')
  async slow(@Payload() envelope: Envelope<PayloadOf<'CreateCommit'>>, @Ctx() ctx: JetStreamContext) {
    await new Promise((r) => setTimeout(r, 500));
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: envelope.id }, (m) =>
      m.query('INSERT INTO things (envelope_id, message) VALUES ($1, $2)', [envelope.id, envelope.payload.message]),
    );
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

const thingsMigration = defineMigration({
  name: 'CreateThings',
  timestamp: 1767225600300,
  up: (schema) => [`CREATE TABLE "${schema}".things (envelope_id uuid PRIMARY KEY, message text NOT NULL)`],
  down: (schema) => [`DROP TABLE "${schema}".things`],
});

describe('bootstrapService (real NATS + Postgres)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  let service: RunningService;
  let token: string;

  beforeAll(async () => {
    process.env.JWT_SECRET = SECRET;
    bus = await createTestBus();
    db = await createTestDatabase();
    service = await bootstrapService(
      { name: 'commit', module: ThingsModule, migrations: [thingsMigration], handleSignals: false },
      { BUS_NAMESPACE: bus.names.namespace, DATABASE_URL: db.url, LOG_LEVEL: 'silent' },
    );
    token = await signTestToken({ sub: 'alice', tenant: 'acme', scopes: [] }, SECRET);
  });
  afterAll(async () => {
    await service?.close();
    await bus?.close();
    await db?.drop();
  });

  const get = (path: string, auth = true) => fetch(`${service.url}${path}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });

  it('serves liveness, readiness (NATS and Postgres), metrics and OpenAPI without a token', async () => {
    expect((await get('/health/live', false)).status).toBe(200);
    const ready = await get('/health/ready', false);
    expect(ready.status).toBe(200);
    expect(JSON.stringify(await ready.json())).toMatch(/nats.*postgres|postgres.*nats/);
    expect(await (await get('/metrics', false)).text()).toMatch(/relay_published_total|process_cpu/);
    const openapi = (await (await get('/docs/openapi.json', false)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/things/{id}');
  });

  it('guards REST with JWT and maps coded errors to a status and a readable body', async () => {
    expect((await get('/things/x', false)).status).toBe(401);
    const missing = await get('/things/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404, code: 'thing-not-found', message: 'no thing 00000000-0000-0000-0000-000000000000' });
  });

  it('runs the service migrations in its own schema with the platform tables beside them', async () => {
    const tables: Array<{ table_name: string }> = await service.dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'commit' ORDER BY 1`);
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['events', 'inbox', 'relay_checkpoints', 'things', 'migrations']));
  });

  it('shuts down gracefully: a message in flight finishes, commits and is acked before close resolves', async () => {
    const command = createEnvelope('CreateCommit', { repositoryId: 'repo-1', branch: 'main', message: 'in flight' }, { source: 'test', tenantId: 'acme', projectId: 'shop' });
    await new BusPublisher(bus.js, bus.names).publish(command);
    const stream = bus.names.commandStream('source-control');
    for (let i = 0; i < 100 && (await bus.jsm.consumers.info(stream, 'commit-commands')).num_ack_pending === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await bus.jsm.consumers.info(stream, 'commit-commands')).num_ack_pending).toBe(1);

    const check = new DataSource({ type: 'postgres', url: db.url });
    await check.initialize();
    await service.close();
    expect(await check.query('SELECT message FROM commit.things WHERE envelope_id = $1', [command.id])).toEqual([{ message: 'in flight' }]);
    await check.destroy();
    const info = await bus.jsm.consumers.info(stream, 'commit-commands');
    expect(info.num_ack_pending + info.num_pending + info.num_redelivered).toBe(0);
  });
});
