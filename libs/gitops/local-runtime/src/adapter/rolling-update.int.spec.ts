import path from 'node:path';
import { readRouterRecord, readRoutesFile } from '@delivery/gitops-router';
import { alive, eventually, killLeftovers, tempDir } from '../local-runtime.testing';
import { ProcessRecordStore } from '../process-record.store';
import type { SupervisorOptions } from '../supervisor.config';
import { buildPackageTarball, desiredApp, get, REV2, shopWorkload, versionVia } from './adapter.testing';
import { LocalRuntimeAdapter } from './local-runtime.adapter';

// A rolling update through the adapter and its router (real processes): replicas that answer /health only 1.5 s
// after they start are replaced one at a time, each old one stopped only once a new one is ready. Requests go
// through the router the whole time.

jest.setTimeout(90_000);

const fast: Omit<SupervisorOptions, 'stateDir'> = {
  portRange: { from: 26300, to: 26349 }, readinessPeriodMs: 100, startupDeadlineMs: 20_000, gracePeriodMs: 2000, exitPollMs: 100,
};

interface Sample {
  /** the supervisor's view (ObservedWorkload) */
  processes: number;
  ready: number;
  /** backends of the slot in the routes.json the adapter wrote */
  backends: number;
  /** a request through the router: HTTP status (0: no answer) and the version that answered */
  status: number;
  version: string | null;
}

let stateDir: string;
let runtime: LocalRuntimeAdapter;

beforeAll(() => {
  stateDir = tempDir('rolling');
  // drainMs as in production (1.5 s): the router reloads routes.json well within it
  runtime = new LocalRuntimeAdapter({ stateDir, supervisor: fast });
});

afterAll(async () => {
  await runtime.stopAll().catch(() => undefined);
  const router = await readRouterRecord(path.join(stateDir, 'dev', 'router'));
  killLeftovers([path.join(stateDir, 'dev', 'supervisor')], router ? [router.pid] : []);
});

describe('LocalRuntimeAdapter rolling update (maxSurge 1, maxUnavailable 0)', () => {
  it('two slow-starting replicas: at every moment 2 ready and 2 backends in the table, no request through the router fails', async () => {
    const pkgDir = tempDir('rolling-packages');
    const slow = async (version: string) => shopWorkload('web', null, version, await buildPackageTarball(pkgDir, version), { replicas: 2, env: { READY_AFTER_MS: '1500' } });
    const v1 = await slow('1.0.0');
    const v2 = await slow('2.0.0');
    const observeWeb = async () => (await runtime.observe('dev', 'shop')).workloads[0];

    expect(await runtime.apply(desiredApp([v1]))).toEqual({ changed: ['web'] });
    await eventually(async () => ((await observeWeb())?.health === 'Healthy' ? true : undefined), 'v1 Healthy', 20_000);
    const url = await runtime.routerUrl('dev');
    await eventually(async () => ((await versionVia(url, 'k')) === '1.0.0' ? true : undefined), 'v1 through the router');
    const oldPids = processPids();
    expect(oldPids).toHaveLength(2);

    expect(await runtime.apply(desiredApp([v2], { revision: REV2 }))).toEqual({ changed: ['web'] });
    const samples: Sample[] = [];
    await eventually(async () => {
      const observed = await observeWeb();
      const table = await readRoutesFile(path.join(stateDir, 'dev', 'router'));
      const answer = await get(url, '/', { host: 'shop.dev.localhost' }).catch(() => ({ status: 0, body: '' }));
      samples.push({
        processes: observed?.replicas ?? 0,
        ready: observed?.readyReplicas ?? 0,
        backends: table?.table.applications[0]?.slots[0]?.backends.length ?? 0,
        status: answer.status,
        version: answer.status === 200 ? (JSON.parse(answer.body) as { version: string }).version : null,
      });
      return observed?.health === 'Healthy' && observed.specHash === v2.specHash ? true : undefined;
    }, 'v2 rolled out', 30_000);

    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    expect(Math.min(...samples.map((s) => s.ready))).toBeGreaterThanOrEqual(2);
    expect(Math.min(...samples.map((s) => s.backends))).toBeGreaterThanOrEqual(2);
    // one surge replica at a time, and the traffic moved from v1 to v2 while the test watched
    expect(Math.max(...samples.map((s) => s.processes))).toBe(3);
    expect(new Set(samples.map((s) => s.version))).toEqual(new Set(['1.0.0', '2.0.0']));
    expect(processPids()).toHaveLength(2);
    expect(oldPids.some(alive)).toBe(false);
    expect(await versionVia(url, 'after')).toBe('2.0.0');
  });
});

/** pids of the supervised processes, from the supervisor's records */
function processPids(): number[] {
  return new ProcessRecordStore(path.join(stateDir, 'dev', 'supervisor')).readAll().flatMap((r) => (r.pid === null ? [] : [r.pid]));
}
