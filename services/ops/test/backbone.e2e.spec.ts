import { randomBytes, randomUUID } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { signTestToken } from '@delivery/auth';
import { listServices, openServiceRegistry } from '@delivery/service-kit';
import { buildOnce, createTestBus, createTestDatabase, eventually, spawnCompiled, type Child, type TestBus, type TestDatabase } from '@delivery/testing';

jest.setTimeout(180_000);

const SECRET = 'backbone-e2e-secret-0123456789abcdef0123';

// The platform running as processes from the compiled tree: the ops app and the test-only probe service (it plays
// the commit service). An agent that knows nothing but the contracts publishes a command with a plain NATS client;
// the story of its traceId comes back from ops, the bad message of the same trace included.
describe('backbone end to end (real processes, real NATS and Postgres)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  const children: Child[] = [];
  const start = (entry: string) => {
    const child = spawnCompiled(entry, { BUS_NAMESPACE: bus.names.namespace, DATABASE_URL: db.url, JWT_SECRET: SECRET, SERVICE_PORT: '0', LOG_LEVEL: 'warn' });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    buildOnce();
    bus = await createTestBus();
    db = await createTestDatabase('e2e');
  });
  afterAll(async () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    await bus?.close();
    await db?.drop();
  });

  it('an agent command becomes a story: command, event caused by it, and a dead letter, ordered by causation', async () => {
    start('services/ops/src/main.ts');
    start('libs/platform/messaging/test/probe.main.ts');
    const registry = await openServiceRegistry(bus.nc, bus.names);
    const services = await eventually(async () => {
      const found = await listServices(registry);
      return found.length >= 2 ? found : undefined;
    }, 'ops and commit in the service registry', 60_000);
    const ops = services.find((s) => s.name === 'ops')!.url;
    expect(services.map((s) => s.name).sort()).toEqual(['commit', 'ops']);

    // What a program in any language does from contracts/ alone: JSON, a subject, two headers.
    const traceId = randomBytes(16).toString('hex');
    const envelope = {
      id: randomUUID(),
      type: 'CreateCommit',
      schemaVersion: 1,
      kind: 'command',
      source: 'python-agent',
      tenantId: 'acme',
      projectId: 'shop',
      traceId,
      causationId: null,
      correlationId: 'repo-1',
      actor: { kind: 'agent', id: 'coder-7' },
      occurredAt: new Date().toISOString(),
      payload: { repositoryId: 'repo-1', branch: 'main', message: 'add the checkout page' },
    };
    const publish = async (body: object) => {
      const h = natsHeaders();
      h.set('Nats-Msg-Id', (body as { id: string }).id);
      h.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
      await bus.js.publish(`${bus.names.namespace}.acme.cmd.commit.CreateCommit`, JSON.stringify(body), { headers: h });
    };
    await publish(envelope);
    await publish({ ...envelope, id: randomUUID(), payload: { repositoryId: 'repo-1', branch: '' } });

    const token = await signTestToken({ sub: 'studio', tenant: 'acme', scopes: ['devops.lineage.read'] }, SECRET);
    type Entry = { id: string; type: string; kind: string; causedBy?: string | null; causationId?: string | null; deadLetter?: { error: { code: string } } | null };
    const story = await eventually(async () => {
      const response = await fetch(`${ops}/lineage/${traceId}`, { headers: { authorization: `Bearer ${token}` } });
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as { entries: Entry[] };
      return body.entries.length >= 3 ? body.entries : undefined;
    }, 'the lineage of the trace', 60_000);

    const command = story.find((e) => e.id === envelope.id)!;
    const event = story.find((e) => e.type === 'CommitCreated')!;
    const deadLetter = story.find((e) => e.kind === 'dead-letter')!;
    expect(command.type).toBe('CreateCommit');
    expect(event.causationId).toBe(envelope.id);
    expect(event.causedBy).toBe(envelope.id);
    expect(story.indexOf(command)).toBeLessThan(story.indexOf(event));
    expect(deadLetter.deadLetter?.error.code).toBe('schema');

    // The gateway routes to the probe service found in the registry.
    expect((await fetch(`${ops}/api/commit/health/ready`)).status).toBe(200);

    // SIGTERM: both drain and exit cleanly.
    for (const child of children) child.process.kill('SIGTERM');
    expect((await Promise.all(children.map((child) => child.exited))).map((e) => e.code)).toEqual([0, 0]);
  });
});
