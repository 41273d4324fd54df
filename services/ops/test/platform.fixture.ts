import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listServices, openServiceRegistry, type ServiceRegistration } from '@delivery/service-kit';
import { headers as natsHeaders, type Subscription } from '@nats-io/nats-core';
import { buildCompletedPayload, buildOnce, ContractClient, createTestBus, createTestDatabase, eventually, newTraceparent, spawnCompiled, type Child, type TestBus, type TestDatabase } from '@delivery/testing';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

// The platform as real processes for an end-to-end test: its own bus namespace, database and git data directory,
// ops and the named services run from dist/ as in production, and their URLs from the service registry.
export interface PlatformProcesses {
  bus: TestBus;
  db: TestDatabase;
  dataDir: string;
  /** spawns ops and `services` (paths under services/, e.g. 'release/release') and waits until all are registered */
  start(services: readonly string[], env?: Record<string, string>): Promise<void>;
  urlOf(name: string): string;
  /**
   * Calls `handler` with every event published under `<namespace>.<subject>` from now on, in order, each checked
   * first against its published schema (what an agent that knows only contracts/ relies on). Ends at close().
   */
  onEvents(subject: string, handler: (event: Json) => void): void;
  /** publishes a command envelope as an agent does: checked against its schema, deduplicated by its id, on its trace */
  publish(envelope: Json): Promise<Json>;
  /** SIGTERM to every process; resolves with their exit codes once they have drained */
  stop(): Promise<Array<number | null>>;
  close(): Promise<void>;
}

export async function createPlatform(prefix: string, jwtSecret: string): Promise<PlatformProcesses> {
  buildOnce();
  const bus = await createTestBus();
  const db = await createTestDatabase(prefix);
  const dataDir = await mkdtemp(join(tmpdir(), `${prefix}-git-`));
  const children: Child[] = [];
  const subscriptions: Subscription[] = [];
  const contracts = ContractClient.load();
  let registered: ServiceRegistration[] = [];
  return {
    bus,
    db,
    dataDir,
    async start(services, extra = {}) {
      const env = { BUS_NAMESPACE: bus.names.namespace, DATABASE_URL: db.url, JWT_SECRET: jwtSecret, SERVICE_PORT: '0', LOG_LEVEL: 'warn', GIT_DATA_DIR: dataDir, RETRY_INITIAL_MS: '100', ...extra };
      children.push(spawnCompiled('services/ops/src/main.ts', env));
      for (const service of services) children.push(spawnCompiled(`services/${service}/src/main.ts`, env));
      const registry = await openServiceRegistry(bus.nc, bus.names);
      registered = await eventually(async () => {
        const found = await listServices(registry);
        return found.length >= services.length + 1 ? found : undefined;
      }, `${services.length + 1} services in the registry`, 90_000);
    },
    urlOf(name) {
      const url = registered.find((s) => s.name === name)?.url;
      if (url === undefined) throw new Error(`${name} is not registered`);
      return url;
    },
    onEvents(subject, handler) {
      const subscription = bus.nc.subscribe(`${bus.names.namespace}.${subject}`, {
        callback: (_error, msg) => {
          const event = msg.json<Json>();
          contracts.assertValid(String(event.type), event);
          handler(event);
        },
      });
      subscriptions.push(subscription);
    },
    async publish(envelope) {
      contracts.assertValid(String(envelope.type), envelope);
      const h = natsHeaders();
      h.set('Nats-Msg-Id', String(envelope.id));
      h.set('traceparent', newTraceparent(String(envelope.traceId)));
      await bus.js.publish(contracts.subject(String(envelope.type), String(envelope.tenantId), bus.names.namespace), JSON.stringify(envelope), { headers: h });
      return envelope;
    },
    async stop() {
      for (const child of children) child.process.kill('SIGTERM');
      return (await Promise.all(children.map((child) => child.exited))).map((e) => e.code);
    },
    async close() {
      for (const subscription of subscriptions) subscription.unsubscribe();
      for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
      await bus.close();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A succeeded build of tenant acme as build-result reports it, on `traceId`: what a release is planned from. */
export function succeededBuild(buildId: string, traceId: string, where: { projectId: string; repositoryId: string }): Record<string, unknown> {
  const id = randomUUID();
  const payload = buildCompletedPayload(buildId, 'Succeeded', { repositoryId: where.repositoryId, sha: randomBytes(20).toString('hex'), tests: { total: 12, passed: 12, failed: 0, skipped: 0 } });
  const actor = { kind: 'service', id: 'build-result' };
  return { id, type: 'BuildCompleted', schemaVersion: 1, kind: 'event', source: 'build-result', tenantId: 'acme', projectId: where.projectId, traceId, causationId: null, correlationId: id, actor, occurredAt: new Date().toISOString(), payload };
}

/** The metadata of the sample module (fixtures/sample-module) at `version`, as GeneratePipeline takes it. */
export function sampleModule(version: string): Json {
  return {
    name: 'greeter',
    runtime: 'node',
    runtimeVersion: '20.x',
    test: 'npm test',
    pack: 'mkdir -p dist && npm pack --pack-destination dist',
    testResults: { format: 'junit', glob: 'reports/junit.xml' },
    coverage: { format: 'lcov', glob: 'reports/lcov.info' },
    packages: [{ format: 'npm', path: `dist/sample-greeter-${version}.tgz` }],
  };
}

/** the fixture's files as ProvisionRepository initial files (text, relative paths) */
export async function filesOf(dir: string, prefix = ''): Promise<Array<{ path: string; content: string }>> {
  const files: Array<{ path: string; content: string }> = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await filesOf(join(dir, entry.name), relative)));
    else files.push({ path: relative, content: await readFile(join(dir, entry.name), 'utf8') });
  }
  return files;
}
