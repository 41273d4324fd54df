import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy } from '@nats-io/jetstream';
import { Client } from 'pg';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { signTestToken } from '@delivery/auth';
import { LocalGitProvider } from '@delivery/git-provider';
import { BusPublisher, createEnvelope } from '@delivery/messaging';
import { RELEASES_ADMIN, RELEASES_READ } from '@delivery/release-scopes';
import { listServices, openServiceRegistry } from '@delivery/service-kit';
import { buildCompletedPayload, buildOnce, type Child, createTestBus, createTestDatabase, eventually, spawnCompiled, type TestBus, type TestDatabase, waitForEvent } from '@delivery/testing';
import { planBody } from '../../release/src/release.testing';

jest.setTimeout(720_000);

const RELEASES = 8;
const MAX_KILLS = 24;
const SECRET = 'release-chain-crash-secret-0123456789abcdef';
const TENANT = 'acme';
const PROJECT = 'web';
const GATE: schemas.HealthGate = { kind: 'http-probe', path: '/health', consecutiveSuccesses: 1, intervalSeconds: 1, timeoutSeconds: 600 };
// dev* environments are auto-approved by the default policy: no human step
const PATH: Array<PayloadOf<'PlanRelease'>['environments'][number]> = [
  { name: 'dev1', strategy: { kind: 'rolling' }, healthGates: [GATE] },
  { name: 'dev2', strategy: { kind: 'canary', steps: [{ weight: 50 }, { weight: 100 }] }, healthGates: [GATE] },
  { name: 'dev3', strategy: { kind: 'rolling' }, healthGates: [GATE] },
];
/** manifest commits a release makes in each environment: one per strategy step */
const STEPS: Record<string, number> = { dev1: 1, dev2: 2, dev3: 1 };

const VICTIMS = {
  release: { entry: 'services/release/release/src/main.ts', table: 'release.events' },
  'environment-promotion': { entry: 'services/release/environment-promotion/src/main.ts', table: 'environment_promotion.events' },
  'deployment-manifest': { entry: 'services/release/deployment-manifest/src/main.ts', table: 'deployment_manifest.events' },
} as const;
type Victim = keyof typeof VICTIMS;
const VICTIM_NAMES = Object.keys(VICTIMS) as Victim[];
const STEADY = ['services/source-control/repository/src/main.ts', 'services/source-control/commit/src/main.ts'];

type Rendered = Envelope<PayloadOf<'DeploymentManifestRendered'>, 'DeploymentManifestRendered'>;
type Promoted = Envelope<PayloadOf<'DeploymentPromoted'>, 'DeploymentPromoted'>;

// The whole release chain as real processes (release, environment-promotion, deployment-manifest, commit and
// repository) on one database and one bus namespace, with git on disk. The test plays GitOps sync and the runtime.
// Whenever one of the three release services writes a new event, that service is SIGKILLed and restarted, until
// every release is deployed (or the kill budget is spent). Afterwards every release is deployed exactly once, the
// saga sent one PromoteDeployment per environment, and the GitOps repository holds one commit per strategy step.
describe('the release chain under SIGKILL at every step (real processes, NATS, Postgres, git)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  let pg: Client;
  let dataDir: string;
  const children = new Map<string, Child>();
  const stoppers: Array<() => void> = [];
  // the test's own SIGKILLs, and the end of the test: any other exit is a process that died by itself
  const killed = new WeakSet<Child>();
  let stopping = false;

  beforeAll(async () => {
    buildOnce();
    bus = await createTestBus({ ackWaitSeconds: 2, maxDeliver: 30 });
    db = await createTestDatabase('chaincrash');
    dataDir = await mkdtemp(join(tmpdir(), 'release-chain-git-'));
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    stopping = true;
    for (const stop of stoppers) stop();
    for (const child of children.values()) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await Promise.all([...children.values()].map((c) => c.exited));
    await pg?.end();
    await bus?.close();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('every release reaches ReleaseDeployed once, with one PromoteDeployment per environment and one manifest commit per step', async () => {
    const started = Date.now();
    const env = {
      BUS_NAMESPACE: bus.names.namespace,
      DATABASE_URL: db.url,
      JWT_SECRET: SECRET,
      SERVICE_PORT: '0',
      LOG_LEVEL: 'silent',
      GIT_DATA_DIR: dataDir,
      CONSUMER_CONCURRENCY: '8',
      RETRY_INITIAL_MS: '50',
      RETRY_MAX_MS: '200',
      TIMER_POLL_MS: '100',
    };
    const publisher = new BusPublisher(bus.js, bus.names);
    const agent = { source: 'test-agent', tenantId: TENANT, projectId: PROJECT, actor: { kind: 'agent' as const, id: 'agent-7' } };
    const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => (await pg.query(sql, params)).rows as T[];
    const count = async (sql: string, params: unknown[] = []) => (await query<{ n: number }>(sql, params).catch(() => [{ n: 0 }]))[0]?.n ?? 0;
    // as a supervisor would: a service that dies by itself (e.g. failing its boot on a loaded machine) is restarted,
    // and says so; the test's own kills are restarted by the kill loop
    const start = (entry: string): void => {
      const child = spawnCompiled(entry, env);
      children.set(entry, child);
      void child.exited.then(({ code, signal }) => {
        if (stopping || killed.has(child) || children.get(entry) !== child) return;
        console.warn(`${entry} exited by itself (code ${code}, signal ${signal}); restarting it`);
        setTimeout(() => !stopping && children.get(entry) === child && start(entry), 500);
      });
    };

    for (const entry of STEADY) start(entry);
    for (const victim of VICTIM_NAMES) start(VICTIMS[victim].entry);

    // the GitOps repository, provisioned over the bus like any agent would, and known to commit and deployment-manifest
    const provision = createEnvelope('ProvisionRepository', { name: 'gitops', purpose: 'gitops', initialFiles: [{ path: 'README.md', content: '# GitOps\n' }] }, agent);
    await publisher.publish(provision);
    const provisioned = await waitForEvent<Envelope<PayloadOf<'RepositoryProvisioned'>>>(bus, 'source-control', 'RepositoryProvisioned', (e) => e.causationId === provision.id, 90_000);
    const repositoryId = provisioned.payload.repositoryId;
    for (const schema of ['commit', 'deployment_manifest']) {
      await eventually(async () => ((await count(`SELECT count(*)::int AS n FROM ${schema}.repositories WHERE repository_id = $1`, [repositoryId])) > 0 ? true : undefined), `${schema} knows the repository`, 60_000);
    }

    // the project's GitOps target, over the release service's REST API
    const registry = await openServiceRegistry(bus.nc, bus.names);
    const releaseUrl = await eventually(async () => (await listServices(registry)).find((s) => s.name === 'release')?.url, 'the release service registered', 60_000);
    const admin = await signTestToken({ sub: 'ops-admin', tenant: TENANT, scopes: [RELEASES_ADMIN, RELEASES_READ] }, SECRET);
    const policyUrl = `${releaseUrl}/projects/${PROJECT}/release-policy`;
    const current = (await (await fetch(policyUrl, { headers: { authorization: `Bearer ${admin}` } })).json()) as { policy: unknown };
    const put = await fetch(policyUrl, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ policy: current.policy, gitops: { repositoryId, branch: 'main', pathTemplate: 'envs/{environment}/{application}' } }),
    });
    expect(put.status).toBe(200);

    // the build every release ships, known to the release service
    await publisher.publish(
      createEnvelope(
        'BuildCompleted',
        buildCompletedPayload('chain-build', 'Succeeded', { runId: 'run-1' }),
        { ...agent, source: 'build-result' },
      ),
    );
    await eventually(async () => ((await count(`SELECT count(*)::int AS n FROM release.builds`)) === 1 ? true : undefined), 'the build known', 60_000);

    // each release ships its own application, so releases in flight never share a GitOps directory or a runtime
    const ids = Array.from({ length: RELEASES }, (_, i) => `chain-${i}`);
    const applicationOf = (i: number) => `shop-${i}`;
    // the canary environment already runs a stable revision of every application (what the canary shifts from)
    for (const [i] of ids.entries()) await publishSynced(publisher, 'dev2', applicationOf(i), repositoryId, 'e'.repeat(40), [{ slot: 'stable', revision: 'e'.repeat(40), weight: 100 }]);
    await eventually(async () => ((await count(`SELECT count(*)::int AS n FROM environment_promotion.runtime_reports`)) >= RELEASES ? true : undefined), 'the canary baselines', 30_000);

    const gitops = await playGitOps(bus, publisher, repositoryId);
    stoppers.push(gitops.stop);

    // two replicas: a 50% canary splits them one and one
    const base = planBody('chain-build');
    for (const [i, releaseId] of ids.entries()) {
      await publisher.publish(createEnvelope('PlanRelease', { ...base, workload: { ...base.workload, replicas: 2 }, application: applicationOf(i), environments: PATH, releaseId }, agent));
    }
    await eventually(async () => ((await count(`SELECT count(*)::int AS n FROM release.events WHERE type = 'ReleasePlanned'`)) === RELEASES ? true : undefined), 'every release planned', 60_000);

    // submitted a few at a time, so releases are at different steps when a process dies
    let submitted = 0;
    const submitting = (async () => {
      for (const releaseId of ids) {
        await publisher.publish(createEnvelope('SubmitRelease', { releaseId }, agent));
        submitted++;
        await sleep(4000);
      }
    })();

    const terminal = () => count(`SELECT count(DISTINCT stream_id)::int AS n FROM release.events WHERE type IN ('ReleaseDeployed', 'ReleaseFailed')`);
    const allTerminal = async () => submitted === RELEASES && (await terminal()) === RELEASES;
    const sizes = async () => {
      const sql = VICTIM_NAMES.map((v, i) => `(SELECT count(*)::int FROM ${VICTIMS[v].table}) AS n${i}`).join(', ');
      const row = (await query<Record<string, number>>(`SELECT ${sql}`))[0]!;
      return Object.fromEntries(VICTIM_NAMES.map((v, i) => [v, row[`n${i}`]!])) as Record<Victim, number>;
    };

    // where each release stands, printed when the test fails
    const story = async () => {
      const where = await query(
        `SELECT 'release' AS svc, stream_id, string_agg(type, ' > ' ORDER BY version) AS types FROM release.events GROUP BY stream_id
         UNION ALL SELECT 'promotion', stream_id, string_agg(type, ' > ' ORDER BY version) FROM environment_promotion.events GROUP BY stream_id
         UNION ALL SELECT 'manifest', stream_id, string_agg(type, ' > ' ORDER BY version) FROM deployment_manifest.events GROUP BY stream_id ORDER BY 2`,
      );
      console.log(where.map((r) => `${String(r.svc)} ${String(r.stream_id)}: ${String(r.types)}`).join('\n'));
      const errors = await query(`SELECT stream_id, type, data->'error' AS error FROM deployment_manifest.events WHERE type = 'DeploymentManifestRenderFailed' UNION ALL SELECT stream_id, type, data FROM environment_promotion.events WHERE type = 'PromotionFailed'`);
      console.log(JSON.stringify(errors, null, 1));
      const commits = await query(
        `SELECT type, data->>'idempotencyKey' AS key, data->>'sha' AS sha, data->>'parentSha' AS parent, data->>'duplicate' AS dup, data->'error'->>'message' AS error
           FROM commit.events WHERE data->>'idempotencyKey' LIKE 'manifest:%' ORDER BY position`,
      );
      console.log(commits.map((c) => `${String(c.type)} ${String(c.key)} ${String(c.sha)}<-${String(c.parent)} dup=${String(c.dup)} ${String(c.error)}`).join('\n'));
      console.log(JSON.stringify(await query(`SELECT render_id, idempotency_key, attempts, state FROM deployment_manifest.manifest_renders WHERE state NOT IN ('rendered', 'failed')`).catch((e: unknown) => String(e))));
      await stuckStory(query, bus);
    };
    // SIGKILL at every step: as soon as a service wrote a new event (its step), kill it (the least killed of those
    // that just stepped) somewhere between the write, the outbox publish and the ack, and restart it
    const killsOf: Record<Victim, number> = { release: 0, 'environment-promotion': 0, 'deployment-manifest': 0 };
    let kills = 0;
    let seen = await sizes();
    // (a victim not killed yet keeps the loop going past MAX_KILLS: every service must die at least once)
    const unkilled = () => VICTIM_NAMES.some((v) => killsOf[v] === 0);
    while ((kills < MAX_KILLS || unkilled()) && Date.now() - started < 180_000 && !(await allTerminal())) {
      const stepped = await eventually(
        async () => {
          const now = await sizes();
          const moved = VICTIM_NAMES.filter((v) => now[v] > seen[v]);
          seen = now;
          if (moved.length > 0) return moved;
          return (await allTerminal()) ? [] : undefined;
        },
        'a step of some release',
        120_000,
      ).catch(async (error: unknown) => {
        await story();
        throw error;
      });
      if (stepped.length === 0) break;
      const victim = [...stepped].sort((a, b) => killsOf[a] - killsOf[b])[0]!;
      await sleep(Math.random() * 60);
      const child = children.get(VICTIMS[victim].entry)!;
      killed.add(child);
      child.process.kill('SIGKILL');
      await child.exited;
      killsOf[victim]++;
      kills++;
      start(VICTIMS[victim].entry);
    }
    const killsDone = Date.now() - started;
    await submitting;
    await eventually(async () => ((await allTerminal()) ? true : undefined), 'every release terminal', 360_000).catch(async (error: unknown) => {
      await story();
      throw error;
    });
    if ((await count(`SELECT count(*)::int AS n FROM release.events WHERE type = 'ReleaseDeployed'`)) !== RELEASES) await story();
    const duration = Date.now() - started;
    console.log(`release chain crash test: ${RELEASES} releases, ${kills} kills ${JSON.stringify(killsOf)}, ${Math.round(duration / 1000)} s (kill loop ended at ${Math.round(killsDone / 1000)} s)`);
    expect(kills).toBeGreaterThan(VICTIM_NAMES.length);
    for (const victim of VICTIM_NAMES) expect(killsOf[victim]).toBeGreaterThan(0);

    // every release deployed, exactly once, and none failed
    const deployed = await query<{ release: string; n: number }>(`SELECT substring(stream_id FROM 9) AS release, count(*)::int AS n FROM release.events WHERE type = 'ReleaseDeployed' GROUP BY 1 ORDER BY 1`);
    expect(deployed).toEqual(ids.map((release) => ({ release, n: 1 })).sort((a, b) => a.release.localeCompare(b.release)));
    const failures = await query(
      `SELECT type, stream_id FROM release.events WHERE type IN ('ReleaseFailed', 'ReleaseCommandRejected', 'PromotionFailed', 'RollbackDeployment')
       UNION ALL SELECT type, stream_id FROM environment_promotion.events WHERE type IN ('PromotionFailed', 'DeploymentRolledBack')
       UNION ALL SELECT type, stream_id FROM deployment_manifest.events WHERE type = 'DeploymentManifestRenderFailed'`,
    );
    expect(failures).toEqual([]);

    // the saga: exactly one PromoteDeployment per (release, environment) in its store and on the bus
    const stored = await query<{ key: string; n: number }>(
      `SELECT data->>'releaseId' || '/' || (data->>'environment') AS key, count(*)::int AS n FROM release.events WHERE type = 'PromoteDeployment' GROUP BY 1`,
    );
    const expectedKeys = ids.flatMap((r) => PATH.map((e) => `${r}/${e.name}`)).sort();
    expect(stored.filter((r) => r.n !== 1)).toEqual([]);
    expect(stored.map((r) => r.key).sort()).toEqual(expectedKeys);
    const onBus = await readAll<Envelope<PayloadOf<'PromoteDeployment'>>>(bus, bus.names.commandStream('release'), `${bus.names.namespace}.*.cmd.environment-promotion.PromoteDeployment`);
    const busKeys = new Map<string, Set<string>>();
    for (const command of onBus) {
      const key = `${command.payload.releaseId}/${command.payload.environment}`;
      busKeys.set(key, (busKeys.get(key) ?? new Set()).add(command.id));
    }
    expect([...busKeys.entries()].filter(([, set]) => set.size !== 1)).toEqual([]);
    expect([...busKeys.keys()].sort()).toEqual(expectedKeys);

    // environment-promotion: one DeploymentPromoted per (release, environment)
    const promotedTwice = await query(`SELECT stream_id, count(*)::int AS n FROM environment_promotion.events WHERE type = 'DeploymentPromoted' GROUP BY 1 HAVING count(*) <> 1`);
    expect(promotedTwice).toEqual([]);
    expect(await count(`SELECT count(DISTINCT stream_id)::int AS n FROM environment_promotion.events WHERE type = 'DeploymentPromoted'`)).toBe(RELEASES * PATH.length);

    // the GitOps repository: one manifest commit per (release, environment, strategy step), found by their trailers
    const git = new LocalGitProvider({ dataDir });
    const log = await git.log({ tenantId: TENANT, projectId: PROJECT, name: 'gitops' }, 'main', { limit: 1000 });
    const perStep = new Map<string, number>();
    const perEnvironment = new Map<string, number>();
    for (const commit of log) {
      const release = commit.trailers['Release-Id'];
      if (!release) continue;
      const where = `${release}/${commit.trailers.Environment}`;
      const step = `${where}/${commit.trailers['Content-Digest']}`;
      perStep.set(step, (perStep.get(step) ?? 0) + 1);
      perEnvironment.set(where, (perEnvironment.get(where) ?? 0) + 1);
    }
    expect([...perStep.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(Object.fromEntries([...perEnvironment.entries()].sort())).toEqual(Object.fromEntries(ids.flatMap((r) => PATH.map((e) => [`${r}/${e.name}`, STEPS[e.name]!])).sort()));

    // nothing dead-lettered
    const dead = await readAll<{ consumer?: string; subject?: string; error?: unknown }>(bus, bus.names.deadLetterStream(), bus.names.deadLetterFilter());
    expect(dead).toEqual([]);
    expect(gitops.renders()).toBeGreaterThanOrEqual(ids.length * 4);
  });
});

/** GitOps sync's report that the application runs `revision` (its own correlation: not caused by a command) */
async function publishSynced(publisher: BusPublisher, environment: string, application: string, repositoryId: string, revision: string, weights?: schemas.TrafficWeight[]): Promise<void> {
  const payload: PayloadOf<'GitOpsSynced'> = { environment, application, repositoryId, revision, releaseId: null, sync: 'Synced', health: 'Healthy', workloads: [], durationMs: 12, ...(weights ? { weights } : {}) };
  await publisher.publish(createEnvelope('GitOpsSynced', payload, { source: 'gitops-sync', tenantId: TENANT, projectId: PROJECT }));
}

/**
 * The test plays GitOps sync and the runtime: every DeploymentManifestRendered is synced (Synced/Healthy, that
 * revision), and the runtime reports healthy probes and traffic of the newest revision of each application every
 * 300 ms until its promotion in that environment is done (reports before the promotion saw the sync do not count).
 */
async function playGitOps(bus: TestBus, publisher: BusPublisher, repositoryId: string): Promise<{ stop(): void; renders(): number }> {
  const names = bus.names;
  const live = new Map<string, { environment: string; application: string; revision: string; releaseId: string }>();
  const done = new Set<string>();
  let renders = 0;
  const renderedConsumer = await bus.js.consumers.get(names.eventStream('release'), { filter_subjects: names.eventFilter('release', 'DeploymentManifestRendered'), deliver_policy: DeliverPolicy.All });
  const renderedMessages = await renderedConsumer.consume();
  void (async () => {
    for await (const msg of renderedMessages) {
      const event = msg.json<Rendered>();
      const { environment, application, revision, releaseId } = event.payload;
      renders++;
      await publishSynced(publisher, environment, application, repositoryId, revision);
      live.set(`${releaseId}/${environment}`, { environment, application, revision, releaseId });
    }
  })();
  const promotedConsumer = await bus.js.consumers.get(names.eventStream('release'), { filter_subjects: names.eventFilter('release', 'DeploymentPromoted'), deliver_policy: DeliverPolicy.All });
  const promotedMessages = await promotedConsumer.consume();
  void (async () => {
    for await (const msg of promotedMessages) {
      const { releaseId, environment } = msg.json<Promoted>().payload;
      done.add(`${releaseId}/${environment}`);
    }
  })();
  let running = true;
  void (async () => {
    while (running) {
      for (const [key, { environment, application, revision }] of live) {
        if (done.has(key)) continue;
        const now = new Date().toISOString();
        const payload: PayloadOf<'RuntimeHealthReported'> = {
          environment,
          application,
          windowStart: now,
          windowEnd: now,
          health: 'Healthy',
          probes: [{ revision, path: '/health', status: 200, ok: true, latencyMs: 4 }],
          traffic: [{ revision, weight: 100, requests: 200, errors5xx: 0, p50Ms: 20, p99Ms: 80 }],
        };
        await publisher.publish(createEnvelope('RuntimeHealthReported', payload, { source: 'gitops-sync', tenantId: TENANT, projectId: PROJECT })).catch(() => undefined);
      }
      await sleep(300);
    }
  })();
  return {
    stop: () => {
      running = false;
      renderedMessages.stop();
      promotedMessages.stop();
    },
    renders: () => renders,
  };
}

type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/**
 * The whole story of each release that is not terminal: its read model, its release and saga streams, each of its
 * promotions (stream, observations, index row, timers) and the service timers and relay checkpoints, then what every
 * JetStream consumer of the namespace still has pending. Enough to tell a lost message from a lost wake-up.
 */
async function stuckStory(query: Query, bus: TestBus): Promise<void> {
  const safe = async <T,>(what: string, run: () => Promise<T>): Promise<T | string> => run().catch((error: unknown) => `${what}: ${String(error)}`);
  const stuck = await query<{ release_id: string; status: string; version: number; saga_version: number; saga: unknown }>(
    `SELECT release_id, status, version, saga_version, saga FROM release.releases r
      WHERE NOT EXISTS (SELECT 1 FROM release.events e WHERE e.stream_id = 'release-' || r.release_id AND e.type IN ('ReleaseDeployed', 'ReleaseFailed')) ORDER BY 1`,
  );
  const short = (id: unknown) => String(id).slice(-8);
  for (const release of stuck) {
    console.log(`--- stuck ${release.release_id}: status ${release.status} v${release.version} saga v${release.saga_version} sent ${JSON.stringify(release.saga)}`);
    const own = await query<{ stream_id: string; version: number; type: string; id: string; corr: string; cause: string; position: string; at: Date }>(
      `SELECT stream_id, version, type, event_id AS id, metadata->>'correlationId' AS corr, metadata->>'causationId' AS cause, position::text AS position, recorded_at AS at
         FROM release.events WHERE stream_id IN ($1, $2) ORDER BY position`,
      [`release-${release.release_id}`, `release-saga-${release.release_id}`],
    );
    for (const e of own) console.log(`  ${e.stream_id} v${e.version} @${e.position} ${e.at.toISOString()} ${e.type} id=${short(e.id)} corr=${short(e.corr)} cause=${short(e.cause)}`);
    const promotions = await query<{ stream: string; promote_id: string; status: string; updated_at: Date }>(`SELECT stream, promote_id, status, updated_at FROM environment_promotion.promotions WHERE release_id = $1 ORDER BY stream`, [release.release_id]);
    for (const promotion of promotions) {
      console.log(`  promotion ${promotion.stream}: index ${promotion.status} promote=${short(promotion.promote_id)} updated ${promotion.updated_at.toISOString()}`);
      const history = await query<{ src: string; v: number; type: string; id: string; corr: string; cause: string; at: Date; revision: string | null }>(
        `SELECT 'stream' AS src, version AS v, type, event_id::text AS id, metadata->>'correlationId' AS corr, metadata->>'causationId' AS cause, recorded_at AS at, data->>'revision' AS revision
           FROM environment_promotion.events WHERE stream_id = $1
         UNION ALL SELECT 'observed', after_version, envelope->>'type', envelope->>'id', envelope->>'correlationId', envelope->>'causationId', observed_at,
                coalesce(envelope->'payload'->>'revision', envelope->'payload'->'probes'->0->>'revision')
           FROM environment_promotion.promotion_observations WHERE stream = $1 ORDER BY 7`,
        [promotion.stream],
      );
      for (const h of history) console.log(`    ${h.src} v${h.v} ${h.at.toISOString()} ${h.type} id=${short(h.id)} corr=${short(h.corr)} cause=${short(h.cause)} rev=${String(h.revision ?? '').slice(0, 8)}`);
    }
    const manifests = await query<{ stream_id: string; version: number; type: string; id: string; corr: string; cause: string; at: Date; revision: string | null }>(
      `SELECT stream_id, version, type, event_id::text AS id, metadata->>'correlationId' AS corr, metadata->>'causationId' AS cause, recorded_at AS at, data->>'revision' AS revision
         FROM deployment_manifest.events WHERE data->>'releaseId' = $1 ORDER BY position`,
      [release.release_id],
    );
    for (const m of manifests) console.log(`  manifest ${m.stream_id} v${m.version} ${m.at.toISOString()} ${m.type} id=${short(m.id)} corr=${short(m.corr)} cause=${short(m.cause)} rev=${String(m.revision ?? '').slice(0, 8)}`);
  }
  for (const schema of ['release', 'environment_promotion', 'deployment_manifest']) {
    console.log(`${schema} timers: ${JSON.stringify(await safe('timers', () => query(`SELECT key, kind, due_at, payload FROM ${schema}.timers ORDER BY due_at`)))}`);
    console.log(
      `${schema} relay: ${JSON.stringify(await safe('relay', () => query(`SELECT name, position, updated_at, (SELECT max(position) FROM ${schema}.events)::text AS head FROM ${schema}.relay_checkpoints`)))}`,
    );
  }
  const consumers: string[] = [];
  for await (const stream of bus.jsm.streams.list()) {
    if (!stream.config.name.startsWith(`${bus.names.namespace.toUpperCase()}_`)) continue;
    for await (const c of bus.jsm.consumers.list(stream.config.name)) {
      if (c.num_pending > 0 || c.num_ack_pending > 0 || c.num_redelivered > 0) {
        consumers.push(`${stream.config.name}/${c.name}: pending ${c.num_pending}, ack pending ${c.num_ack_pending}, redelivered ${c.num_redelivered}, waiting ${c.num_waiting}`);
      }
    }
  }
  console.log(`consumers with work:\n${consumers.join('\n')}`);
}

/** every message of a stream under a filter, read to its end */
async function readAll<T>(bus: TestBus, stream: string, subject: string): Promise<T[]> {
  const info = await bus.jsm.streams.info(stream);
  if (info.state.messages === 0) return [];
  const consumer = await bus.js.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
  const found: T[] = [];
  const messages = await consumer.consume();
  const timer = setTimeout(() => messages.stop(), 5000);
  try {
    for await (const msg of messages) {
      found.push(msg.json<T>());
      if (msg.info.pending === 0) break;
    }
  } finally {
    clearTimeout(timer);
    messages.stop();
  }
  return found;
}
