import request from 'supertest';
import { signTestToken, type TestTokenClaims } from '@delivery/auth';
import type { CommandType, Envelope, PayloadOf } from '@delivery/contracts';
import { BusPublisher, createEnvelope, type EnvelopeOptions } from '@delivery/messaging';
import { bootstrapService, type RunningService, type ServiceConfig, type ServiceDefinition } from '@delivery/service-kit';
import { createTestBus, type TestBus } from './bus.fixture';
import { createTestDatabase, type TestDatabase } from './postgres.fixture';

export const TEST_JWT_SECRET = 'service-integration-tests-secret-0123456789';

export interface ServiceFixture {
  bus: TestBus;
  db: TestDatabase;
  publisher: BusPublisher;
  /** bootstraps a service in-process exactly as its main.ts does, in this fixture's namespace and database
   * (`config`: settings of its environment, e.g. a small DB_POOL_SIZE) */
  start(definition: ServiceDefinition, config?: Partial<ServiceConfig>): Promise<RunningService>;
  token(claims?: Partial<TestTokenClaims>): Promise<string>;
  http(service: RunningService): ReturnType<typeof request>;
  /** publishes a command as an agent of tenant acme / project web would, and returns its envelope */
  send<T extends CommandType>(type: T, payload: PayloadOf<T>, options?: Partial<EnvelopeOptions>): Promise<Envelope<PayloadOf<T>, T>>;
  close(): Promise<void>;
}

// Per test file: a bus namespace and a database of its own on the real NATS and Postgres.
export async function createServiceFixture(prefix: string): Promise<ServiceFixture> {
  process.env.JWT_SECRET = TEST_JWT_SECRET;
  const bus = await createTestBus();
  const db = await createTestDatabase(prefix);
  const publisher = new BusPublisher(bus.js, bus.names);
  const running: RunningService[] = [];
  return {
    bus,
    db,
    publisher,
    async start(definition, config = {}) {
      const service = await bootstrapService(
        { ...definition, handleSignals: false },
        { BUS_NAMESPACE: bus.names.namespace, DATABASE_URL: db.url, SERVICE_PORT: 0, LOG_LEVEL: 'silent', RETRY_INITIAL_MS: 50, RETRY_MAX_MS: 200, ...config },
      );
      running.push(service);
      return service;
    },
    token: (claims = {}) => signTestToken({ sub: 'alice', tenant: 'acme', scopes: [], ...claims }, TEST_JWT_SECRET),
    http: (service) => request(service.url),
    async send(type, payload, options = {}) {
      const envelope = createEnvelope(type, payload, { source: 'test-agent', tenantId: 'acme', projectId: 'web', actor: { kind: 'agent', id: 'agent-7' }, ...options });
      await publisher.publish(envelope);
      return envelope;
    },
    async close() {
      for (const service of running.reverse()) await service.close();
      await bus.close();
      await db.drop();
    },
  };
}
