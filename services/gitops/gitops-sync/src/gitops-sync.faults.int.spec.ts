import path from 'node:path';
import { readRouterRecord, type RoutingTable } from '@delivery/gitops-router';
import { eventually } from '@delivery/testing';
import { gitopsEvents } from './gitops-sync.testing';
import { alive, localWorkload, processesUnder, startLocalHarness, startSyncProcessHarness, viaRouter, type LocalHarness, type SyncProcessHarness } from './gitops-sync.local.testing';
import { workloadPath } from './sync/gitops.layout';

// The faults of issue 6 that the local tests do not cover, through the service on the real local runtime: the
// sync service SIGKILLed mid-rollout, the environment's router SIGKILLed, a workload that never becomes ready.
// Each describe has its own bus namespace, database, git data dir and runtime state dir.

const ENV = 'dev1';
const SHOP = workloadPath({ environment: ENV, application: 'shop' });
const AUTHOR = { name: 'alice', email: 'alice@example.com' };
const after = (at: number) => (e: { occurredAt: string }) => Date.parse(e.occurredAt) >= at;

describe('gitops-sync SIGKILLed in the middle of a rollout', () => {
  let h: SyncProcessHarness;

  beforeAll(async () => {
    // a 1 s interval: the next process finds the new revision at the branch head without any command
    h = await startSyncProcessHarness({ intervalMs: 1_000, healthReportIntervalMs: 1_000 });
  }, 180_000);
  afterAll(() => h.close());

  it('a new gitops-sync process adopts what runs (same pids, no duplicate) and finishes the rollout: Synced/Healthy', async () => {
    const first = await h.spawn();
    const repo = await h.gitops('gitops-crash', { [SHOP]: localWorkload(ENV, { replicas: 2 }) });
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: ENV });
    await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.revision === repo.headSha && e.payload.health === 'Healthy', 1, 60_000);
    const before = h.records(ENV);
    expect(before).toHaveLength(2);
    const oldHash = before[0]!.specHash;

    // the new revision's replicas answer /health only 2.5 s after they start: the rollout is still under way
    // (replaced one replica at a time) when the first of them runs, and that is when the service is killed
    const slow = localWorkload(ENV, { replicas: 2, env: { READY_AFTER_MS: '2500' } });
    const next = await h.sandbox.git.commit(repo.locator, { branch: 'main', changes: [{ action: 'update', path: SHOP, content: slow }], message: 'slow start', author: AUTHOR });
    await eventually(async () => (h.records(ENV).some((r) => r.pid !== null && r.specHash !== oldHash) ? true : undefined), 'a replica of the new revision started', 60_000);
    first.process.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // what was already right when the service died: replicas of the new revision, running
    const right = h.records(ENV).filter((r) => r.pid !== null && r.specHash !== oldHash && alive(r.pid));
    expect(right.length).toBeGreaterThanOrEqual(1);

    const restartedAt = Date.now();
    await h.spawn();
    const [synced] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => after(restartedAt)(e) && e.payload.revision === next.sha && e.payload.health === 'Healthy', 1, 60_000);
    expect(synced!.payload).toMatchObject({ sync: 'Synced', workloads: [expect.objectContaining({ name: 'shop-api', replicas: 2, readyReplicas: 2 })] });

    // exactly the desired replicas: two records of the new spec, two distinct live pids, nothing else running
    const now = h.records(ENV);
    expect(now).toHaveLength(2);
    expect(now.every((r) => r.specHash === now[0]!.specHash && r.specHash !== oldHash)).toBe(true);
    const pids = now.map((r) => r.pid!).sort((a, b) => a - b);
    expect(new Set(pids).size).toBe(2);
    expect(pids.every(alive)).toBe(true);
    for (const adopted of right) expect(now.find((r) => r.replica === adopted.replica)?.pid).toBe(adopted.pid);
    expect(processesUnder(path.join(h.stateDir, ENV, 'apps'))).toEqual(pids);

    // and they serve through the environment's router
    const router = await readRouterRecord(path.join(h.stateDir, ENV, 'router'));
    const answer = await eventually(async () => {
      const res = await viaRouter(`http://${router!.host}:${router!.port}`, ENV, '/');
      return res.status === 200 ? res : undefined;
    }, 'the new revision answering through the router');
    expect(pids).toContain((JSON.parse(answer.body) as { pid: number }).pid);
  }, 180_000);
});

describe('the router of an environment SIGKILLed', () => {
  let h: LocalHarness;

  beforeAll(async () => {
    h = await startLocalHarness({ intervalMs: 1_000, healthReportIntervalMs: 1_000 });
  });
  afterAll(() => h.close());

  it('is restarted by gitops-sync on the same port with its routing table: the same backends answer again', async () => {
    const repo = await h.gitops('gitops-router', { [SHOP]: localWorkload(ENV, { replicas: 2 }) });
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: ENV });
    await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.health === 'Healthy', 1, 30_000);
    const routerDir = path.join(h.stateDir, ENV, 'router');
    const url = await h.runtime.routerUrl(ENV);
    const backends = await answeringPids(url, 2);
    expect(backends).toEqual([...h.pids(ENV)].sort((a, b) => a - b));
    const killed = (await readRouterRecord(routerDir))!;
    const table = await routerTable(killed.adminPort);

    process.kill(killed.pid, 'SIGKILL');
    // nobody here touches the runtime: the health reporter's and the interval's observe() restart the router
    const restarted = await eventually(async () => {
      const rec = await readRouterRecord(routerDir);
      return rec && rec.pid !== killed.pid && alive(rec.pid) ? rec : undefined;
    }, 'a new router process', 20_000);
    expect(restarted.port).toBe(killed.port);
    expect(await eventually(() => routerTable(restarted.adminPort), 'the new router serving a table')).toEqual(table);
    expect(await answeringPids(url, 2)).toEqual(backends);
  });
});

describe('a workload that never becomes ready', () => {
  let h: LocalHarness;

  beforeAll(async () => {
    // its readiness probe fails for ever: a 2 s progress deadline (GITOPS_PROGRESS_DEADLINE_SECONDS) escalates it
    h = await startLocalHarness({ intervalMs: 1_000, healthReportIntervalMs: 1_000, progressDeadlineSeconds: 2 });
  });
  afterAll(() => h.close());

  it('passes its progress deadline: Degraded, GitOpsDegraded and one GitOpsAlertRaised (progress-deadline)', async () => {
    const repo = await h.gitops('gitops-stuck', { [SHOP]: localWorkload(ENV, { env: { NEVER_READY: '1' } }) });
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: ENV });
    const [degraded] = await gitopsEvents(h.fx, 'GitOpsDegraded', () => true, 1, 30_000);
    expect(degraded!.payload).toMatchObject({ environment: ENV, application: 'shop', revision: repo.headSha, reason: 'progress-deadline' });
    const [alert] = await gitopsEvents(h.fx, 'GitOpsAlertRaised', () => true);
    expect(alert!.payload).toMatchObject({ alertKey: `${ENV}/shop/${repo.headSha}/progress-deadline`, reason: 'progress-deadline', severity: 'critical' });
    const [synced] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.health === 'Degraded');
    expect(synced!.payload).toMatchObject({ revision: repo.headSha, sync: 'Synced', workloads: [expect.objectContaining({ replicas: 1, readyReplicas: 0 })] });
    // the process runs on, never ready (the runtime's startup deadline is 60 s: it still says Progressing)
    expect(h.pids(ENV).filter(alive)).toHaveLength(1);

    // two more reconciles (the 1 s interval) see the deadline still passed: the alert is not raised again
    const reconciled = () => h.sync.dataSource.query(`SELECT updated_at FROM gitops_applications WHERE environment = $1`, [ENV]).then((rows: Array<{ updated_at: Date }>) => rows[0]!.updated_at.getTime());
    let seen = await reconciled();
    for (let round = 0; round < 2; round++) {
      const previous = seen;
      seen = await eventually(async () => ((await reconciled()) > previous ? reconciled() : undefined), 'another reconcile');
    }
    const raised: Array<{ type: string; n: number }> = await h.sync.dataSource.query(
      `SELECT type, count(*)::int AS n FROM events WHERE type IN ('GitOpsAlertRaised', 'GitOpsDegraded') GROUP BY type ORDER BY type`,
    );
    expect(raised).toEqual([
      { type: 'GitOpsAlertRaised', n: 1 },
      { type: 'GitOpsDegraded', n: 1 },
    ]);
  });
});

/** the pids that answer through the router, once `count` distinct ones did (the router spreads requests round-robin) */
async function answeringPids(url: string, count: number): Promise<number[]> {
  const seen = new Set<number>();
  return eventually(async () => {
    const res = await viaRouter(url, ENV, '/');
    if (res.status === 200) seen.add((JSON.parse(res.body) as { pid: number }).pid);
    return seen.size >= count ? [...seen].sort((a, b) => a - b) : undefined;
  }, `${count} backends answering through the router`, 20_000);
}

async function routerTable(adminPort: number): Promise<RoutingTable | undefined> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/_router/table`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as { table: RoutingTable | null };
  return body.table ?? undefined;
}
