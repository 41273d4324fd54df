import request from 'supertest';
import { signTestToken, type TestTokenClaims } from '@delivery/auth';
import { BusPublisher } from '@delivery/messaging';
import { bootstrapService, type RunningService, type ServiceDefinition } from '@delivery/service-kit';
import { createTestBus, createTestDatabase, type TestBus, type TestDatabase } from '@delivery/testing';
import { opsService } from '../src/ops.service';

// Per test file: a namespace of its own on the real NATS, a database of its own on the real Postgres, and the
// ops app bootstrapped in-process exactly as main.ts does it.
export const JWT_SECRET = 'ops-integration-tests-secret-0123456789abcdef';

export interface OpsFixture {
  bus: TestBus;
  db: TestDatabase;
  ops: RunningService;
  publisher: BusPublisher;
  /** more services in the same namespace and database (test-only ones) */
  start(definition: ServiceDefinition): Promise<RunningService>;
  token(claims?: Partial<TestTokenClaims>): Promise<string>;
  http(): ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function startOps(): Promise<OpsFixture> {
  process.env.JWT_SECRET = JWT_SECRET;
  const bus = await createTestBus();
  const db = await createTestDatabase('ops');
  const running: RunningService[] = [];
  const start = async (definition: ServiceDefinition) => {
    const service = await bootstrapService(
      { ...definition, handleSignals: false },
      { BUS_NAMESPACE: bus.names.namespace, DATABASE_URL: db.url, SERVICE_PORT: 0, LOG_LEVEL: 'silent', RETRY_INITIAL_MS: 50, RETRY_MAX_MS: 200 },
    );
    running.push(service);
    return service;
  };
  const ops = await start(opsService());
  return {
    bus,
    db,
    ops,
    publisher: new BusPublisher(bus.js, bus.names),
    start,
    token: (claims = {}) => signTestToken({ sub: 'alice', tenant: 'acme', ...claims }, JWT_SECRET),
    http: () => request(ops.url),
    async close() {
      for (const service of running.reverse()) await service.close();
      await bus.close();
      await db.drop();
    },
  };
}
