import { existsSync } from 'node:fs';
import path from 'node:path';
import { eventually } from '@delivery/testing';
import { gitopsEvents } from './gitops-sync.testing';
import { alive, localWorkload, startLocalHarness, viaRouter, type LocalHarness } from './gitops-sync.local.testing';
import { workloadPath } from './sync/gitops.layout';

// gitops-sync end to end on the local runtime: workload.json → an npm package from a file feed → a real process
// behind the environment's router; a process killed by hand; refusals; RuntimeHealthReported from probes and the
// router's counters. Each test has its own repository and environment.
describe('gitops-sync on the local runtime', () => {
  let h: LocalHarness;
  let dev1: { repositoryId: string; headSha: string };

  beforeAll(async () => {
    // a 1 s interval is how gitops-sync notices a killed process (no trigger comes from the runtime)
    h = await startLocalHarness({ intervalMs: 1_000, healthReportIntervalMs: 1_000 });
  });
  afterAll(() => h.close());

  const seed = (environment: string, content = localWorkload(environment)) => h.gitops(`gitops-${environment}`, { [workloadPath({ environment, application: 'shop' })]: content });
  const after = (at: number) => (e: { occurredAt: string }) => Date.parse(e.occurredAt) >= at;

  it('syncs an npm-package workload.json onto a real process: Synced/Healthy, answering through the router', async () => {
    dev1 = await seed('dev1');
    await h.fx.send('SyncGitOps', { repositoryId: dev1.repositoryId, environment: 'dev1' });
    const [healthy] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev1' && e.payload.health === 'Healthy', 1, 30_000);
    expect(healthy!.payload).toMatchObject({ application: 'shop', repositoryId: dev1.repositoryId, revision: dev1.headSha, sync: 'Synced' });
    expect(healthy!.payload.workloads).toEqual([expect.objectContaining({ name: 'shop-api', health: 'Healthy', replicas: 1, readyReplicas: 1, restarts: 0 })]);

    const [pid] = h.pids('dev1');
    // the router's table follows readiness within tableRefreshMs + its reload: Healthy may come a moment earlier
    const answer = await eventually(async () => {
      const res = await viaRouter(await h.runtime.routerUrl('dev1'), 'dev1', '/hello');
      return res.status === 200 ? res : undefined;
    }, 'the process answering through the router', 5_000);
    expect(JSON.parse(answer.body)).toEqual({ pid, path: '/hello' });
  });

  it('sees a process killed by hand, and reports Healthy again once the runtime restarted it', async () => {
    const [before] = h.pids('dev1');
    expect(before).toBeDefined();
    const killedAt = Date.now();
    process.kill(before!, 'SIGKILL');

    const [down] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev1' && after(killedAt)(e) && e.payload.health !== 'Healthy', 1, 20_000);
    expect(down!.payload.workloads[0]!.readyReplicas).toBe(0);
    const [again] = await gitopsEvents(h.fx, 'GitOpsSynced', (e) => e.payload.environment === 'dev1' && after(killedAt)(e) && e.payload.health === 'Healthy', 1, 30_000);
    expect(again!.payload).toMatchObject({ sync: 'Synced', revision: dev1.headSha });
    expect(again!.payload.workloads[0]!.restarts).toBeGreaterThanOrEqual(1);

    const [now] = h.pids('dev1');
    expect(now).not.toBe(before);
    expect(alive(now!)).toBe(true);
    const answer = await eventually(async () => {
      const res = await viaRouter(await h.runtime.routerUrl('dev1'), 'dev1', '/');
      return res.status === 200 ? res : undefined;
    }, 'the restarted process answering through the router');
    expect(JSON.parse(answer.body)).toMatchObject({ pid: now });
  });

  it('answers an invalid workload.json with GitOpsSyncFailed and starts nothing', async () => {
    const repo = await seed('dev2', localWorkload('dev2', { replicas: -1 }));
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: 'dev2' });
    const [failed] = await gitopsEvents(h.fx, 'GitOpsSyncFailed', (e) => e.payload.environment === 'dev2');
    expect(failed!.payload).toMatchObject({ application: 'shop', revision: repo.headSha, sync: 'OutOfSync', error: { code: 'gitops.invalid-workload', retryable: false } });
    expect(failed!.payload.error.details).toEqual([{ subject: 'replicas', message: 'must be an integer 0–50' }]);
    expect(existsSync(path.join(h.stateDir, 'dev2', 'apps'))).toBe(false);
    expect(h.pids('dev2')).toEqual([]);
    expect(await h.runtime.applications('dev2')).toEqual([]);
  });

  it('answers a package from a feed GITOPS_NPM_FEEDS does not name with GitOpsSyncFailed (artifact unavailable), starting nothing', async () => {
    const pkg = { feed: { kind: 'npm-registry', name: 'elsewhere' }, format: 'npm', name: 'shop-app', version: '1.0.0' };
    const repo = await seed('dev3', localWorkload('dev3', { runtime: { kind: 'npm-package', package: pkg } }));
    await h.fx.send('SyncGitOps', { repositoryId: repo.repositoryId, environment: 'dev3' });
    const [failed] = await gitopsEvents(h.fx, 'GitOpsSyncFailed', (e) => e.payload.environment === 'dev3');
    expect(failed!.payload).toMatchObject({ application: 'shop', revision: repo.headSha, sync: 'OutOfSync', error: { code: 'runtime.artifact-unavailable' } });
    expect(failed!.payload.error.message).toContain('elsewhere');
    expect(h.pids('dev3')).toEqual([]);
    expect(await h.runtime.applications('dev3')).toEqual([]);
  });

  it('reports RuntimeHealthReported with the revision\'s router counters (5xx included) and a passing probe', async () => {
    const routerUrl = await h.runtime.routerUrl('dev1');
    await eventually(async () => ((await viaRouter(routerUrl, 'dev1', '/health')).status === 200 ? true : undefined), 'dev1 serving');
    // a window that starts after now holds only what this test sends (and the reporter's own probes, all 2xx)
    const start = Date.now();
    const [clean] = await gitopsEvents(h.fx, 'RuntimeHealthReported', (e) => e.payload.environment === 'dev1' && Date.parse(e.payload.windowStart) >= start, 1, 20_000);
    const from = Date.parse(clean!.payload.windowEnd);
    const answers = await Promise.all(['/', '/a', '/b', '/fail', '/fail'].map((p) => viaRouter(routerUrl, 'dev1', p)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 500, 500]);

    // the requests may straddle two windows: add the windows up until both 500s are counted
    let requests = 0;
    let errors5xx = 0;
    const reports = await gitopsEvents(
      h.fx,
      'RuntimeHealthReported',
      (e) => {
        if (e.payload.environment !== 'dev1' || Date.parse(e.payload.windowStart) < from) return false;
        const counted = e.payload.traffic.find((t) => t.revision === dev1.headSha);
        requests += counted?.requests ?? 0;
        errors5xx += counted?.errors5xx ?? 0;
        return errors5xx >= 2;
      },
      1,
      20_000,
    );
    expect(errors5xx).toBe(2);
    expect(requests).toBeGreaterThanOrEqual(5);
    const report = reports[0]!.payload;
    expect(report).toMatchObject({ application: 'shop', health: 'Healthy' });
    expect(report.traffic).toEqual([expect.objectContaining({ revision: dev1.headSha, weight: 100 })]);
    expect(report.traffic[0]!.p99Ms).not.toBeNull();
    expect(report.probes).toEqual([expect.objectContaining({ revision: dev1.headSha, path: '/health', status: 200, ok: true })]);
    expect(reports[0]!.tenantId).toBe('acme');
  });

  it('sends no RuntimeHealthReported for an application never applied (dev2 and dev3 were refused)', async () => {
    // dev1 is reported every second meanwhile, so the reporter is running
    await gitopsEvents(h.fx, 'RuntimeHealthReported', (e) => e.payload.environment === 'dev1' && Date.parse(e.occurredAt) > Date.now() - 500, 1, 10_000);
    await expect(gitopsEvents(h.fx, 'RuntimeHealthReported', (e) => e.payload.environment !== 'dev1', 1, 2_000)).rejects.toThrow('found 0 of 1');
  });
});
