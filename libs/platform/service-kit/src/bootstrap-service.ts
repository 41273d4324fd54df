import 'reflect-metadata';
import { Global, Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { DataSource, type EntitySchema } from 'typeorm';
import type { Logger } from 'pino';
import { BusNames, type ServiceName } from '@delivery/contracts';
import { AuthModule, authConfigFromEnv, type AuthConfig } from '@delivery/auth';
import { EventStoreDbEventStore, PostgresEventStore, eventStoreMigrations, type EventStore } from '@delivery/eventstore';
import { BusPublisher, JetStreamServer, OutboxRelay, PostgresRelayCheckpoints, relayCheckpointsMigration, type ConsumerBinding } from '@delivery/messaging';
import { ObservabilityModule, PinoNestLogger, ReadinessRegistry, createLogger, platformMetrics } from '@delivery/observability';
import { createServiceDataSource, platformMigrations, runMigrations, type MigrationFactory } from '@delivery/persistence';
import { bindingsOf, declareTopology } from '@delivery/nats-topology';
import { loadServiceConfig, type ServiceConfig } from './service-config';
import { PlatformExceptionFilter } from './platform-exception.filter';
import { EVENT_STORE, LOGGER, NATS_CONNECTION, SERVICE_CONFIG, SERVICE_NAME } from './service-kit.tokens';
import { transportMetrics } from './transport-metrics';
import { CommandRunner } from './command-runner';
import { registerService } from './service-registry';

export interface ServiceDefinition {
  /** the service's name in contracts (or a test service's own); its schema is the name with `_` for `-` */
  name: ServiceName | string;
  /** the service's own Nest module: controllers for REST, @EventPattern handlers for the bus */
  module: Type<unknown> | DynamicModule;
  entities?: Array<Type<unknown> | EntitySchema>;
  migrations?: MigrationFactory[];
  /** durables to bind, or a function of the bus names; default: what deploy/nats declares for the service; [] for none */
  consumers?: ConsumerBinding[] | ((names: BusNames) => ConsumerBinding[]);
  /** run the outbox relay in this process (default true) */
  relay?: boolean;
  /** OpenAPI title and description */
  openapi?: { title?: string; description?: string };
  /** false for internal processes without a REST API (they still serve health and metrics) */
  auth?: AuthConfig | false;
  /** close gracefully on SIGTERM/SIGINT and exit (default true; tests running several services in one process say false) */
  handleSignals?: boolean;
}

export interface RunningService {
  app: INestApplication;
  url: string;
  config: ServiceConfig;
  dataSource: DataSource;
  connection: NatsConnection;
  relay?: OutboxRelay;
  close(): Promise<void>;
}

// DESIGN §7: every main.ts is one call to this. It validates config, connects NATS and Postgres, runs the
// service's migrations, wires HTTP (REST, /health, /metrics, /docs), the JetStream transport and the relay,
// and shuts all of it down gracefully on SIGTERM: stop taking messages, finish the in-flight ones, then close.
export async function bootstrapService(definition: ServiceDefinition, overrides: Partial<ServiceConfig> = {}): Promise<RunningService> {
  const config = loadServiceConfig(process.env, overrides);
  const service = definition.name;
  const schema = service.replace(/-/g, '_');
  const logger = createLogger({ service, level: config.LOG_LEVEL as Parameters<typeof createLogger>[0]['level'] });
  const names = new BusNames(config.BUS_NAMESPACE);

  // noAsyncTraces: nats.js otherwise builds two Error objects per publish to keep async stack traces (half the relay's CPU).
  const connection = await connect({ servers: config.NATS_URL, name: service, maxReconnectAttempts: -1, noAsyncTraces: true });
  const dataSource = createServiceDataSource({
    url: config.DATABASE_URL,
    schema,
    entities: definition.entities ?? [],
    migrations: platformMigrations(schema, ...eventStoreMigrations, relayCheckpointsMigration, ...(definition.migrations ?? [])),
    poolSize: config.DB_POOL_SIZE,
    applicationName: service,
  });
  await runMigrations(dataSource);
  const store: EventStore =
    config.EVENT_STORE === 'eventstoredb' ? EventStoreDbEventStore.fromConnectionString(config.EVENTSTORE_URL!) : new PostgresEventStore(dataSource, schema);
  const publisher = new BusPublisher(jetstream(connection), names);

  @Global()
  @Module({
    providers: [
      { provide: DataSource, useValue: dataSource },
      { provide: NATS_CONNECTION, useValue: connection },
      { provide: EVENT_STORE, useValue: store },
      { provide: BusNames, useValue: names },
      { provide: BusPublisher, useValue: publisher },
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: SERVICE_NAME, useValue: service },
      { provide: LOGGER, useValue: logger },
      CommandRunner,
    ],
    exports: [DataSource, NATS_CONNECTION, EVENT_STORE, BusNames, BusPublisher, SERVICE_CONFIG, SERVICE_NAME, LOGGER, CommandRunner],
  })
  class ServiceKitModule {}

  const auth = definition.auth === false ? [] : [AuthModule.forRoot({ config: definition.auth ?? authConfigFromEnv() })];
  @Module({ imports: [ServiceKitModule, ObservabilityModule.forRoot({ service, logger }), ...auth, definition.module] })
  class RootModule {}

  const app = await NestFactory.create(RootModule, { logger: new PinoNestLogger(logger), bufferLogs: true });
  app.useGlobalFilters(new PlatformExceptionFilter(logger));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(definition.openapi?.title ?? `${service} service`)
      .setDescription(definition.openapi?.description ?? `REST API of the ${service} service`)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });

  const readiness = app.get(ReadinessRegistry);
  readiness.register('nats', async () => {
    if (connection.isClosed()) throw new Error('NATS connection closed');
    await connection.flush();
  });
  readiness.register('postgres', async () => {
    await dataSource.query('SELECT 1');
  });

  const declared = definition.consumers ?? ((n: BusNames) => bindingsOf(declareTopology(n), service as ServiceName, n));
  const consumers = typeof declared === 'function' ? declared(names) : declared;
  if (consumers.length > 0) {
    app.connectMicroservice(
      {
        strategy: new JetStreamServer({
          connection,
          names,
          service,
          consumers,
          concurrency: config.CONSUMER_CONCURRENCY,
          backoff: { initialMs: config.RETRY_INITIAL_MS, maxMs: config.RETRY_MAX_MS },
          handlerTimeoutMs: config.HANDLER_TIMEOUT_MS,
          logger,
          metrics: transportMetrics(platformMetrics()),
        }),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
  }

  let relay: OutboxRelay | undefined;
  if (definition.relay ?? true) {
    relay = new OutboxRelay({
      name: `${service}-outbox`,
      store,
      publisher,
      checkpoints: new PostgresRelayCheckpoints(dataSource, schema),
      logger,
      metrics: { published: (n) => platformMetrics().recordRelayPublished(service, n), lag: (n) => platformMetrics().setRelayLag(service, n) },
    });
    relay.start();
  }

  await app.listen(config.SERVICE_PORT, config.SERVICE_HOST);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // The ops app routes /api/<service>/… by this entry; behind a proxy or in a cluster the bound address is not the
  // reachable one, so SERVICE_ADVERTISE_URL may name it.
  const deregister = await registerService(connection, names, { name: service, url: process.env.SERVICE_ADVERTISE_URL || url }, {
    onError: (error) => logger.warn({ err: error }, 'could not refresh the service registry entry'),
  });
  logger.info({ url, consumers: consumers.map((c) => c.durable), namespace: names.namespace }, `${service} ready`);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down');
      await deregister().catch((error: unknown) => logger.warn({ err: error }, 'could not deregister the service'));
      await app.close(); // stops the transport: no new messages, in-flight ones finish and settle
      await relay?.stop();
      await store.close();
      await dataSource.destroy();
      await connection.drain().catch(() => undefined);
      logger.flush?.();
    })());
  for (const signal of definition.handleSignals === false ? [] : (['SIGTERM', 'SIGINT'] as const)) {
    process.once(signal, () => {
      const timer = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS).unref();
      void close().then(() => {
        clearTimeout(timer);
        process.exit(0);
      });
    });
  }
  return { app, url, config, dataSource, connection, relay, close };
}

export type { Logger };
