import { Client } from 'pg';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { signTestToken } from '@delivery/auth';
import { definitionOf, exampleEnvelope, type Actor, type Envelope, type PayloadOf } from '@delivery/contracts';
import { eventStoreMigrations, PostgresEventStore } from '@delivery/eventstore';
import { BusPublisher, createEnvelope, toNewEvent } from '@delivery/messaging';
import { createServiceDataSource, platformMigrations, runMigrations } from '@delivery/persistence';
import { RELEASES_ADMIN } from '@delivery/release-scopes';
import { buildCompletedPayload, createTestBus, createTestDatabase, eventually, spawnCompiled } from '@delivery/testing';
import { cpuMeter, LatencyRecorder, nowMs, rate, round, stopwatch, type ScenarioResult } from './stats';
import { freePort, processCpuSeconds, stop } from './child-process';

// Issue 4: releases through plan → approve → promote over three environments → deployed.
// (r1) the real release service (a separate process, as deployed) driven over the bus; the bench plays the agent
// (PlanRelease, SubmitRelease), the approvers (ApproveRelease by distinct users) and environment-promotion (it answers
// every PromoteDeployment with DeploymentPromoted, correlationId = the command's id: synthetic sync and health).
// (r0) the floor under it in the same run: single-event appends to the Postgres event store, same schema setup.

const TENANT = 'acme';
const PROJECT = 'web';
const BUILD = 'bench-build';
const PLANNER: Actor = { kind: 'agent', id: 'bench-agent' };
const STAFF: Actor = { kind: 'user', id: 'bench-staff' };
const CLIENT: Actor = { kind: 'user', id: 'bench-client' };
const JWT_SECRET = 'bench-secret-0123456789abcdef0123456789';
const SCHEMA = 'release';
/** the plan's own events (release-<id> streams); ReleaseCommandRejected goes to a stream of its own */
const RELEASE_EVENTS = /^Release(?!CommandRejected$)/;

/**
 * approvals: dev1 → stage1 → prod1 with dev* automatic, stage* one staff, prod* staff and client (distinct users), as
 * the default policy; auto: dev1 → dev2 → dev3, all approved automatically (no ApproveRelease at all; the policy
 * refuses automatic approval of prod*, so the automatic path has no production environment).
 */
export type ReleasePolicyVariant = 'approvals' | 'auto';

const VARIANTS: Record<ReleasePolicyVariant, { path: string[]; policy: unknown }> = {
  approvals: {
    path: ['dev1', 'stage1', 'prod1'],
    policy: {
      environments: [
        { match: 'dev*', autoApprove: true },
        { match: 'stage*', roles: ['staff'] },
        { match: 'prod*', roles: ['staff', 'client'] },
        { match: '*', roles: ['staff'] },
      ],
    },
  },
  auto: {
    path: ['dev1', 'dev2', 'dev3'],
    policy: { environments: [{ match: 'dev*', autoApprove: true }, { match: '*', roles: ['staff', 'client'] }] },
  },
};

export interface ReleaseBenchOptions {
  /** measured releases, each through all three environments */
  releases: number;
  /** releases before the measurement (same path), so the service has its connections and JIT warm */
  warmup: number;
  /** releases in flight at any time */
  window: number;
  /** CONSUMER_CONCURRENCY of the release service */
  consumerConcurrency: number;
  policy: ReleasePolicyVariant;
  /** how long one input may wait for the message it causes before the run fails */
  stepTimeoutMs: number;
}

type PromoteCommand = Envelope<PayloadOf<'PromoteDeployment'>, 'PromoteDeployment'>;
type Observed = Envelope<Record<string, unknown>>;
type StepKind = 'plan' | 'submit' | 'approve' | 'promoted';

interface Waiter {
  releaseId: string;
  what: string;
  match: (message: Observed, kind: 'evt' | 'cmd') => boolean;
  resolve: (message: Observed) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

// r1: N releases, `window` of them in flight; every input published on the bus waits for the message it causes
// (the event, or the saga's next PromoteDeployment), which is the latency recorded. State transitions are the events
// appended to the release streams (release-<id>), counted in the service's event store.
export async function releaseServiceBench(options: ReleaseBenchOptions): Promise<ScenarioResult> {
  const { path, policy } = VARIANTS[options.policy];
  const bus = await createTestBus();
  const database = await createTestDatabase('benchrelease');
  const publisher = new BusPublisher(bus.js, bus.names);
  const pg = new Client({ connectionString: database.url, application_name: 'bench-release' });
  const port = await freePort();
  const service = spawnCompiled('services/release/release/src/main.ts', {
    BUS_NAMESPACE: bus.names.namespace,
    DATABASE_URL: database.url,
    JWT_SECRET,
    SERVICE_PORT: String(port),
    SERVICE_HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    CONSUMER_CONCURRENCY: String(options.consumerConcurrency),
    DB_POOL_SIZE: String(Math.min(50, options.consumerConcurrency + 4)),
    RETRY_INITIAL_MS: '20',
  });

  const waiters = new Set<Waiter>();
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(failure);
    }
    waiters.clear();
  };
  // the startup waits poll (errors count as "not yet"): the service dying ends them at once
  const exited = service.exited.then(({ code, signal }) => {
    const error = new Error(`the release service exited (code ${code}, signal ${signal})`);
    fail(error);
    throw error;
  });
  exited.catch(() => undefined);
  const unlessExited = <T>(wait: Promise<T>) => Promise.race([wait, exited]);

  // Every release-context event and every PromoteDeployment, seen on the bus as published (the relay's, and the
  // bench's own DeploymentPromoted); the release's own events of the measured releases are counted as a cross-check.
  let busEvents = 0;
  const observe = (kind: 'evt' | 'cmd') => (_error: unknown, msg: Msg) => {
    const message = msg.json<Observed>();
    if (kind === 'evt' && RELEASE_EVENTS.test(message.type) && String(message.payload.releaseId ?? '').startsWith('bench-')) busEvents++;
    if (kind === 'evt' && message.type === 'ReleaseCommandRejected') {
      const { releaseId, command, error } = message.payload as { releaseId: string | null; command: string; error: { code: string; message: string } };
      fail(new Error(`release ${releaseId}: ${command} rejected: ${error.code}: ${error.message}`));
      return;
    }
    for (const waiter of waiters) {
      if (!waiter.match(message, kind)) continue;
      waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(message);
      return;
    }
  };
  const subscriptions: Subscription[] = [
    bus.nc.subscribe(bus.names.eventFilter('release'), { callback: observe('evt') }),
    bus.nc.subscribe(`${bus.names.namespace}.*.cmd.environment-promotion.PromoteDeployment`, { callback: observe('cmd') }),
  ];

  let latencies = new Map<StepKind, LatencyRecorder>();
  let all = new LatencyRecorder(0);
  const recorders = (capacity: number) => {
    latencies = new Map((['plan', 'submit', 'approve', 'promoted'] as const).map((k) => [k, new LatencyRecorder(capacity)]));
    all = new LatencyRecorder(capacity * 8);
  };
  recorders(0);

  // Publishes `input` and resolves with the first message `match` accepts; the clock starts before the publish.
  const step = (kind: StepKind, releaseId: string, what: string, input: Envelope, match: Waiter['match']): Promise<Observed> =>
    new Promise<Observed>((resolve, reject) => {
      if (failure) return reject(failure);
      const started = nowMs();
      const waiter: Waiter = {
        releaseId,
        what,
        match,
        resolve: (message) => {
          const ms = nowMs() - started;
          latencies.get(kind)?.record(ms);
          all.record(ms);
          resolve(message);
        },
        reject,
        timer: setTimeout(() => {
          waiters.delete(waiter);
          const error = new Error(`release ${releaseId}: no ${what} within ${options.stepTimeoutMs} ms after ${input.type} (BENCH_RELEASE_STEP_TIMEOUT_MS)`);
          fail(error);
          reject(error);
        }, options.stepTimeoutMs),
      };
      waiters.add(waiter);
      publisher.publish(input).catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
    });
  const event = (releaseId: string, type: string, environment?: string): Waiter['match'] => (m, kind) =>
    kind === 'evt' && m.type === type && m.payload.releaseId === releaseId && (environment === undefined || m.payload.environment === environment);
  const promotion = (releaseId: string, environment: string): Waiter['match'] => (m, kind) =>
    kind === 'cmd' && m.payload.releaseId === releaseId && m.payload.environment === environment;
  const command = <T extends 'PlanRelease' | 'SubmitRelease' | 'ApproveRelease'>(type: T, payload: PayloadOf<T>, actor: Actor) =>
    createEnvelope(type, payload, { source: 'bench-agent', tenantId: TENANT, projectId: PROJECT, actor });

  // One release, one input at a time: what each input waits for is the last message it causes in this policy.
  const release = async (releaseId: string) => {
    const auto = options.policy === 'auto';
    await step('plan', releaseId, 'ReleasePlanned', command('PlanRelease', { ...planBody(path), releaseId }, PLANNER), event(releaseId, 'ReleasePlanned'));
    let promote = (await step('submit', releaseId, 'PromoteDeployment(dev1)', command('SubmitRelease', { releaseId }, PLANNER), promotion(releaseId, 'dev1'))) as PromoteCommand;
    for (let i = 0; i < path.length; i++) {
      const next = path[i + 1];
      if (next === undefined) {
        await step('promoted', releaseId, 'ReleaseDeployed', promoted(promote), event(releaseId, 'ReleaseDeployed'));
      } else if (auto) {
        promote = (await step('promoted', releaseId, `PromoteDeployment(${next})`, promoted(promote), promotion(releaseId, next))) as PromoteCommand;
      } else {
        await step('promoted', releaseId, `ReleaseEnvironmentPromoted(${path[i]})`, promoted(promote), event(releaseId, 'ReleaseEnvironmentPromoted', path[i]));
        const roles: Array<[PayloadOf<'ApproveRelease'>['role'], Actor]> = next.startsWith('prod') ? [['staff', STAFF], ['client', CLIENT]] : [['staff', STAFF]];
        for (const [r, [role, approver]] of roles.entries()) {
          const approval = command('ApproveRelease', { releaseId, environment: next, role }, approver);
          if (r < roles.length - 1) await step('approve', releaseId, `ReleaseApprovalRecorded(${next})`, approval, event(releaseId, 'ReleaseApprovalRecorded', next));
          else promote = (await step('approve', releaseId, `PromoteDeployment(${next})`, approval, promotion(releaseId, next))) as PromoteCommand;
        }
      }
    }
  };
  const drive = async (prefix: string, count: number) => {
    let next = 0;
    const lane = async () => {
      while (next < count && !failure) await release(`${prefix}-${String(next++).padStart(5, '0')}`);
    };
    await Promise.all(Array.from({ length: Math.min(options.window, count) }, lane));
    if (failure) throw failure;
  };

  try {
    await pg.connect();
    // started: REST answers (the policy is stored), migrations have run, the consumers are bound
    const token = await signTestToken({ sub: 'bench-admin', tenant: TENANT, scopes: [RELEASES_ADMIN] }, JWT_SECRET);
    // retried while nothing listens yet; any answer but 200 is final
    const response = await unlessExited(eventually(
      () =>
        fetch(`http://127.0.0.1:${port}/projects/${PROJECT}/release-policy`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ policy }),
        }),
      'the release service to start and answer PUT /projects/:projectId/release-policy',
      60_000,
    ));
    if (response.status !== 200) throw new Error(`PUT release-policy: ${response.status} ${await response.text()}`);
    await publisher.publish(createEnvelope('BuildCompleted', buildCompletedPayload(BUILD), { source: 'build-result', tenantId: TENANT, projectId: PROJECT }));
    await unlessExited(eventually(async () => ((await pg.query(`SELECT 1 FROM ${SCHEMA}.builds WHERE build_id = $1`, [BUILD])).rowCount ? true : undefined), `build ${BUILD} known to the release service`, 30_000));

    await drive('warm', options.warmup);
    recorders(options.releases);
    const cpu = cpuMeter();
    const serviceCpu = processCpuSeconds(service.process.pid);
    const elapsed = stopwatch();
    await drive('bench', options.releases);
    const seconds = elapsed();
    const usage = cpu();
    const serviceCores = (processCpuSeconds(service.process.pid) - serviceCpu) / seconds;
    const seenOnBus = busEvents;

    const { rows } = await pg.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM ${SCHEMA}.events WHERE stream_id LIKE 'release-bench-%' GROUP BY type ORDER BY type`,
    );
    const transitions = rows.reduce((sum, row) => sum + row.n, 0);
    const deployed = rows.find((row) => row.type === 'ReleaseDeployed')?.n ?? 0;
    if (deployed !== options.releases) throw new Error(`${deployed} of ${options.releases} releases deployed`);
    const { rows: promotes } = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA}.events WHERE stream_id LIKE 'release-saga-bench-%'`);
    const inputs = options.releases * (2 + path.length + (options.policy === 'auto' ? 0 : 3));
    const percentiles = (kind: StepKind) => {
      const summary = latencies.get(kind)?.summary(kind);
      return summary ? `${summary.p50Ms.toFixed(1)}/${summary.p99Ms.toFixed(1)}` : 'n/a';
    };
    return {
      scenario: 'r1',
      description: `release state transitions: plan → submit → (approve →) promote ${path.join(' → ')} → deployed, ${options.policy}`,
      messages: transitions,
      seconds,
      rate: rate(transitions, seconds),
      latency: all.summary('input → message it causes'),
      details: {
        releases: options.releases,
        releasesPerSecond: round(rate(options.releases, seconds), 1),
        transitionsPerRelease: round(transitions / options.releases, 2),
        inputsPerSecond: round(rate(inputs, seconds)),
        transitionsSeenOnBus: seenOnBus,
        promoteDeployments: promotes[0]?.n ?? 0,
        window: options.window,
        consumerConcurrency: options.consumerConcurrency,
        msP50P99Plan: percentiles('plan'),
        msP50P99Submit: percentiles('submit'),
        msP50P99Approve: percentiles('approve'),
        msP50P99Promoted: percentiles('promoted'),
        // processCpu: the bench (driver + synthetic environment-promotion); serviceCpu: the release service process
        processCpu: usage.process,
        serviceCpu: round(serviceCores, 2),
        serviceCpuUsPerTransition: round((serviceCores * seconds * 1e6) / transitions),
        machineCpu: usage.machine,
        events: rows.map((row) => `${row.type}:${row.n}`).join(','),
      },
    };
  } finally {
    fail(new Error('the run is over'));
    for (const subscription of subscriptions) subscription.unsubscribe();
    await stop(service);
    await pg.end().catch(() => undefined);
    await bus.close();
    await database.drop();
  }
}

export interface RawEventStoreOptions {
  appends: number;
  warmup: number;
  /** appends in flight (the release window) */
  concurrency: number;
  /** the pool the service would have (DB_POOL_SIZE) */
  poolSize: number;
}

// r0: single-event appends through @delivery/eventstore's Postgres adapter to the release service's schema, migrated
// as the service kit migrates it (platformMigrations + eventStoreMigrations), each append its own transaction
// (advisory lock, insert, commit), a fresh stream each (no-stream), `concurrency` in flight.
export async function rawEventStoreBench(options: RawEventStoreOptions): Promise<ScenarioResult> {
  const database = await createTestDatabase('benchstore');
  const dataSource = createServiceDataSource({ url: database.url, schema: SCHEMA, migrations: platformMigrations(SCHEMA, ...eventStoreMigrations), poolSize: options.poolSize, applicationName: 'bench-store' });
  let store: PostgresEventStore | undefined;
  try {
    await runMigrations(dataSource);
    store = new PostgresEventStore(dataSource, SCHEMA);
    const definition = definitionOf('ReleaseSubmitted');
    if (!definition) throw new Error('ReleaseSubmitted is missing from the catalogue');
    const payload = exampleEnvelope(definition).payload as unknown as PayloadOf<'ReleaseSubmitted'>;
    const events = Array.from({ length: options.warmup + options.appends }, (_, i) =>
      toNewEvent(createEnvelope('ReleaseSubmitted', { ...payload, releaseId: `raw-${i}` }, { source: 'release', tenantId: TENANT, projectId: PROJECT })),
    );
    const append = async (from: number, to: number, latency: LatencyRecorder) => {
      let next = from;
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          for (let i = next++; i < to; i = next++) {
            const started = nowMs();
            await store!.append(`release-raw-${i}`, [events[i]!], -1);
            latency.record(nowMs() - started);
          }
        }),
      );
    };
    await append(0, options.warmup, new LatencyRecorder(0));
    const latency = new LatencyRecorder(options.appends);
    const cpu = cpuMeter();
    const elapsed = stopwatch();
    await append(options.warmup, options.warmup + options.appends, latency);
    const seconds = elapsed();
    const usage = cpu();
    return {
      scenario: 'r0',
      description: `raw event-store append, one event per transaction, ${options.concurrency} in flight`,
      messages: options.appends,
      seconds,
      rate: rate(options.appends, seconds),
      latency: latency.summary('append'),
      details: { concurrency: options.concurrency, poolSize: options.poolSize, processCpu: usage.process, machineCpu: usage.machine },
    };
  } finally {
    await store?.close().catch(() => undefined);
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.drop();
  }
}

function planBody(path: readonly string[]): Omit<PayloadOf<'PlanRelease'>, 'releaseId'> {
  return {
    application: 'shop',
    version: '1.4.0',
    buildId: BUILD,
    repositoryId: 'repo-1',
    sourceSha: 'a'.repeat(40),
    artifacts: { packages: [], images: [{ registry: 'localhost:5000', repository: 'shop/api', tag: '1.4.0', digest: `sha256:${'b'.repeat(64)}` }] },
    workload: { name: 'shop', command: ['node', 'server.js'], port: 8080, replicas: 1 },
    environments: path.map((name) => ({ name, strategy: { kind: 'rolling' as const }, healthGates: [] })),
  };
}


// environment-promotion's answer, synced and healthy at once: same trace, correlationId = the command's id.
function promoted(promote: PromoteCommand): Envelope<PayloadOf<'DeploymentPromoted'>, 'DeploymentPromoted'> {
  const { releaseId, environment, application, version } = promote.payload;
  return createEnvelope(
    'DeploymentPromoted',
    { releaseId, environment, application, version, revision: 'c'.repeat(40), strategy: 'rolling', gates: [], durationMs: 0 },
    {
      source: 'environment-promotion',
      tenantId: promote.tenantId,
      projectId: promote.projectId,
      traceId: promote.traceId,
      correlationId: promote.id,
      causationId: promote.id,
      actor: { kind: 'service', id: 'environment-promotion' },
    },
  );
}
