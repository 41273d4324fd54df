import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { alive, eventually, getJson, killLeftovers, tempDir, workload, writeScripts } from './local-runtime.testing';
import { readProcStat } from './proc-stat';
import { ProcessRecordStore, type ProcessRecord } from './process-record.store';
import { ProcessSupervisor } from './process.supervisor';
import type { StoppingReplica, SupervisorOptions } from './supervisor.config';

// Real processes (node scripts), real ports, real /proc. Fast timings so that backoff and deadlines fit a test.
const fast: Omit<SupervisorOptions, 'stateDir'> = {
  readinessPeriodMs: 100, livenessPeriodMs: 200, failureThreshold: 3, startupDeadlineMs: 5000, readyWithoutProbeAfterMs: 300,
  backoffBaseMs: 200, backoffMaxMs: 1000, gracePeriodMs: 1000, exitPollMs: 100,
};

let scripts: string;
let nextRange = 0;
const stateDirs: string[] = [];
const supervisors: ProcessSupervisor[] = [];
const extraPids = new Set<number>();

function supervisor(options: Partial<SupervisorOptions> = {}, stateDir = tempDir('state')): ProcessSupervisor {
  if (!stateDirs.includes(stateDir)) stateDirs.push(stateDir);
  // each test its own port range: tests never compete for ports, the bind test handles everything else
  const from = 23000 + (nextRange++) * 40;
  const sup = new ProcessSupervisor({ stateDir, portRange: { from, to: from + 39 }, ...fast, ...options });
  supervisors.push(sup);
  return sup;
}

const pidsOf = (sup: ProcessSupervisor, name: string) => sup.processes(name).map((p) => p.pid);
const healthy = (sup: ProcessSupervisor, name: string) => () => (sup.observeWorkload(name).health === 'Healthy' ? sup.observeWorkload(name) : undefined);

beforeAll(() => {
  scripts = writeScripts();
});

afterEach(() => {
  for (const sup of supervisors.splice(0)) sup.close();
  killLeftovers(stateDirs, extraPids);
});

afterAll(() => killLeftovers(stateDirs, extraPids));

describe('ProcessSupervisor (real processes)', () => {
  it('starts 2 replicas: Healthy with 2 ready endpoints, each its own process on its own port, logs and records written', async () => {
    const stateDir = tempDir('state');
    const sup = supervisor({}, stateDir);
    expect(await sup.apply([workload(scripts, 'web', 'server.js', { replicas: 2 })])).toEqual(['web']);
    expect(sup.observeWorkload('web').health).toBe('Progressing');

    const observed = await eventually(healthy(sup, 'web'), 'Healthy');
    expect(observed).toMatchObject({ replicas: 2, readyReplicas: 2, restarts: 0, recentRestarts: 0 });
    const endpoints = sup.endpoints('web');
    expect(new Set(endpoints).size).toBe(2);
    const served = await Promise.all(endpoints.map((e) => getJson(e)));
    expect(served.map((s) => s.pid).sort()).toEqual(pidsOf(sup, 'web').sort());
    expect(served.every((s) => s.cwd === scripts)).toBe(true);

    const record = JSON.parse(readFileSync(path.join(stateDir, 'processes', 'web-0.json'), 'utf8')) as ProcessRecord;
    expect(record.startTime).toBe(readProcStat(record.pid ?? -1)?.startTime);
    expect(readFileSync(path.join(stateDir, 'logs', 'web-1.log'), 'utf8')).toContain('listening on');
    expect(readProcStat(record.pid ?? -1)).not.toBeNull();
    // own process group (detached): the pgid (field 5) is the pid
    expect(readFileSync(`/proc/${record.pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[2]).toBe(String(record.pid));
    await sup.stopAll();
  });

  it('replaces every replica when the spec changes, and changes nothing when it does not', async () => {
    const sup = supervisor();
    await sup.apply([workload(scripts, 'web', 'server.js', { replicas: 2 })]);
    await eventually(healthy(sup, 'web'), 'v1 Healthy');
    const before = pidsOf(sup, 'web');
    expect(await sup.apply([workload(scripts, 'web', 'server.js', { replicas: 2 })])).toEqual([]);
    expect(pidsOf(sup, 'web')).toEqual(before);

    const v2 = workload(scripts, 'web', 'server.js', { replicas: 2, version: '2.0.0', env: { VERSION: '2.0.0' } });
    expect(await sup.apply([v2])).toEqual(['web']);
    const observed = await eventually(healthy(sup, 'web'), 'v2 Healthy');
    expect(observed.specHash).toBe(v2.specHash);
    const after = pidsOf(sup, 'web');
    expect(after.some((pid) => before.includes(pid))).toBe(false);
    expect(before.every((pid) => pid !== null && !alive(pid))).toBe(true);
    const served = await Promise.all(sup.endpoints('web').map((e) => getJson(e)));
    expect(served.map((s) => s.version)).toEqual(['2.0.0', '2.0.0']);
    await sup.stopAll();
  });

  it('a new spec that never becomes ready: one surge replica, the old replicas keep running and ready; going back stops it', async () => {
    const sup = supervisor({ startupDeadlineMs: 1500 });
    const v1 = workload(scripts, 'web', 'server.js', { replicas: 2 });
    await sup.apply([v1]);
    await eventually(healthy(sup, 'web'), 'v1 Healthy');
    const oldPids = pidsOf(sup, 'web');
    const oldEndpoints = sup.endpoints('web').sort();

    const stuck = workload(scripts, 'web', 'never-ready.js', { replicas: 2, version: '2.0.0' });
    expect(await sup.apply([stuck])).toEqual(['web']);
    expect(sup.observeWorkload('web')).toMatchObject({ health: 'Progressing', specHash: stuck.specHash });
    const observed = await eventually(() => (sup.observeWorkload('web').health === 'Degraded' ? sup.observeWorkload('web') : undefined), 'past the startup deadline', 8000);
    expect(observed).toMatchObject({ specHash: stuck.specHash, replicas: 3, readyReplicas: 2, message: 'replica 2 not ready 2s after start' });
    expect(sup.processes('web').map((p) => [p.replica, p.ready])).toEqual([[0, true], [1, true], [2, false]]);
    expect(pidsOf(sup, 'web').slice(0, 2)).toEqual(oldPids);
    expect(oldPids.every((pid) => alive(pid ?? -1))).toBe(true);
    expect(sup.endpoints('web').sort()).toEqual(oldEndpoints);

    // going back (a rollback) only stops the stuck replica: the old ones were never touched
    expect(await sup.apply([v1])).toEqual(['web']);
    const back = await eventually(healthy(sup, 'web'), 'v1 Healthy again');
    expect(back).toMatchObject({ specHash: v1.specHash, replicas: 2 });
    expect(pidsOf(sup, 'web')).toEqual(oldPids);
    await sup.stopAll();
  });

  it('a supervisor restarted mid-rollout adopts old and new replicas, starts no duplicate, and finishes the rollout', async () => {
    const stateDir = tempDir('state');
    const first = supervisor({}, stateDir);
    await first.apply([workload(scripts, 'web', 'server.js', { replicas: 2 })]);
    await eventually(healthy(first, 'web'), 'v1 Healthy');
    const oldPids = pidsOf(first, 'web');
    const v2 = workload(scripts, 'web', 'server.js', { replicas: 2, version: '2.0.0', env: { VERSION: '2.0.0', READY_AFTER_MS: '1500' } });
    await first.apply([v2]);
    // the surge replica runs (not ready for 1.5 s): records of 2 old and 1 new replica are on disk
    const surge = await eventually(() => first.processes('web').find((p) => p.replica === 2 && p.pid !== null), 'the surge replica started');
    first.close();
    expect(new ProcessRecordStore(stateDir).readAll().map((r) => [r.replica, r.specHash === v2.specHash])).toEqual([[0, false], [1, false], [2, true]]);

    const second = supervisor({}, stateDir);
    expect(await second.recover()).toEqual({ adopted: ['web-0', 'web-1', 'web-2'], restarting: [] });
    const seen = new Set<number>();
    let most = 0;
    const done = await eventually(() => {
      const processes = second.processes('web');
      for (const p of processes) if (p.pid !== null) seen.add(p.pid);
      most = Math.max(most, processes.length);
      return second.observeWorkload('web').health === 'Healthy' ? second.observeWorkload('web') : undefined;
    }, 'v2 Healthy', 15_000);
    expect(done).toMatchObject({ specHash: v2.specHash, replicas: 2, readyReplicas: 2 });
    expect(most).toBe(3);
    // the adopted new replica kept its pid; exactly one more new process was started; the old ones are gone
    const fresh = pidsOf(second, 'web');
    expect(fresh).toContain(surge.pid);
    expect([...seen].filter((pid) => !oldPids.includes(pid)).sort()).toEqual([...fresh].sort());
    expect(oldPids.some((pid) => alive(pid ?? -1))).toBe(false);
    expect(new ProcessRecordStore(stateDir).readAll().every((r) => r.specHash === v2.specHash)).toBe(true);
    const served = await Promise.all(second.endpoints('web').map((e) => getJson(e)));
    expect(served.map((s) => s.version)).toEqual(['2.0.0', '2.0.0']);
    await second.stopAll();
  });

  it('scales down: the extra replicas are stopped and forgotten', async () => {
    const stateDir = tempDir('state');
    const sup = supervisor({}, stateDir);
    await sup.apply([workload(scripts, 'web', 'server.js', { replicas: 3 })]);
    await eventually(healthy(sup, 'web'), 'Healthy with 3');
    const before = pidsOf(sup, 'web');

    const scaled = workload(scripts, 'web', 'server.js', { replicas: 1 });
    expect(await sup.apply([scaled])).toEqual(['web']);
    // scaling does not restart the replica that stays; it now reports the new specHash (replicas is part of it)
    expect(pidsOf(sup, 'web')).toEqual([before[0]]);
    expect(sup.observeWorkload('web').specHash).toBe(scaled.specHash);
    expect(alive(before[1] ?? -1) || alive(before[2] ?? -1)).toBe(false);
    expect(new ProcessRecordStore(stateDir).readAll().map((r) => r.replica)).toEqual([0]);
    expect(Object.keys(JSON.parse(readFileSync(path.join(stateDir, 'ports.json'), 'utf8')) as object)).toEqual(['web-0']);
    expect(sup.observeWorkload('web')).toMatchObject({ health: 'Healthy', replicas: 1, readyReplicas: 1 });
    await sup.stopAll();
  });

  it('restarts a process killed by hand within the backoff, on the same port, and counts the restart', async () => {
    const sup = supervisor();
    await sup.apply([workload(scripts, 'web', 'server.js')]);
    await eventually(healthy(sup, 'web'), 'Healthy');
    const [before] = sup.processes('web');
    process.kill(before?.pid ?? -1, 'SIGKILL');

    const killedAt = Date.now();
    const restarted = await eventually(() => sup.processes('web').find((p) => p.pid !== null && p.pid !== before?.pid && p.ready), 'restarted', 8000);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(restarted.port).toBe(before?.port);
    expect(sup.observeWorkload('web')).toMatchObject({ health: 'Healthy', restarts: 1, recentRestarts: 1 });
    await sup.stopAll();
  });

  it('a crash-looping process: restarts with growing backoff, recentRestarts grows, Degraded', async () => {
    const stateDir = tempDir('state');
    const sup = supervisor({}, stateDir);
    await sup.apply([workload(scripts, 'crash', 'crasher.js', { healthPath: null })]);
    const observed = await eventually(() => {
      const o = sup.observeWorkload('crash');
      return o.health === 'Degraded' && o.recentRestarts >= 3 ? o : undefined;
    }, 'Degraded crash loop', 15_000);
    expect(observed.message).toContain('crash-looping');
    expect(observed.message).toContain('code 1');
    expect(observed.restarts).toBeGreaterThanOrEqual(3);
    const record = new ProcessRecordStore(stateDir).readAll()[0];
    // the delay doubles from the 200 ms base: 200, 400, 800, then capped at 1000
    expect(record?.lastDelayMs).toBeGreaterThanOrEqual(800);
    expect(record?.lastDelayMs).toBeLessThanOrEqual(1000);
    await sup.stopAll();
  });

  it('a process failing its liveness probe is killed and restarted', async () => {
    const failFile = path.join(tempDir('liveness'), 'fail');
    const logs: string[] = [];
    const sup = supervisor({ log: (line) => logs.push(line) });
    await sup.apply([workload(scripts, 'web', 'flaky-health.js', { env: { FAIL_FILE: failFile } })]);
    await eventually(healthy(sup, 'web'), 'Healthy');
    const [before] = pidsOf(sup, 'web');
    writeFileSync(failFile, '');
    // readiness drops after 3 failures (not an endpoint any more), liveness kills after 3 failures
    await eventually(() => (sup.endpoints('web').length === 0 ? true : undefined), 'not ready', 5000);
    const after = await eventually(() => {
      const pid = pidsOf(sup, 'web')[0];
      return pid && pid !== before ? pid : undefined;
    }, 'restarted after liveness failures', 8000);
    expect(alive(before ?? -1)).toBe(false);
    expect(sup.observeWorkload('web').restarts).toBe(1);
    expect(logs).toContain('web-0: liveness probe failed 3 times, killing');
    expect(logs.some((line) => line.startsWith('web-0: liveness probe failed 3 times; restart #1'))).toBe(true);
    expect(after).not.toBe(before);
    await sup.stopAll();
  });

  it('a process that never becomes ready: Progressing, then Degraded after the startup deadline, never an endpoint', async () => {
    const sup = supervisor({ startupDeadlineMs: 1500 });
    await sup.apply([workload(scripts, 'slow', 'never-ready.js')]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sup.observeWorkload('slow')).toMatchObject({ health: 'Progressing', replicas: 1, readyReplicas: 0 });
    const observed = await eventually(() => (sup.observeWorkload('slow').health === 'Degraded' ? sup.observeWorkload('slow') : undefined), 'Degraded', 5000);
    expect(observed.message).toBe('replica 0 not ready 2s after start');
    expect(sup.endpoints('slow')).toEqual([]);
    await sup.stopAll();
  });

  it('without healthPath a replica is ready once alive for the configured time', async () => {
    const sup = supervisor({ readyWithoutProbeAfterMs: 800 });
    await sup.apply([workload(scripts, 'plain', 'server.js', { healthPath: null })]);
    const start = Date.now();
    await eventually(healthy(sup, 'plain'), 'Healthy');
    expect(Date.now() - start).toBeGreaterThanOrEqual(700);
    await sup.stopAll();
  });

  it('reallocates a persisted port found taken by someone else', async () => {
    const stateDir = tempDir('state');
    const sup = supervisor({}, stateDir);
    const from = 23000 + (nextRange - 1) * 40;
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(from, '127.0.0.1', resolve));
    try {
      writeFileSync(path.join(stateDir, 'ports.json'), JSON.stringify({ 'web-0': from }));
      await sup.apply([workload(scripts, 'web', 'server.js')]);
      await eventually(healthy(sup, 'web'), 'Healthy');
      const port = sup.processes('web')[0]?.port;
      expect(port).not.toBe(from);
      expect(sup.endpoints('web')).toEqual([`127.0.0.1:${port}`]);
      expect(JSON.parse(readFileSync(path.join(stateDir, 'ports.json'), 'utf8'))).toEqual({ 'web-0': port });
      await sup.stopAll();
    } finally {
      squatter.close();
    }
  });

  it('stops gracefully: beforeStop first, then SIGTERM; SIGKILL after the grace period for a process ignoring SIGTERM', async () => {
    const dir = tempDir('markers');
    const calls: Array<StoppingReplica & { aliveThen: boolean; termedThen: boolean }> = [];
    const sup = supervisor({
      gracePeriodMs: 3000,
      beforeStop: (replica) => {
        const pid = sup.processes(replica.workload)[0]?.pid ?? -1;
        calls.push({ ...replica, aliveThen: alive(pid), termedThen: existsSync(path.join(dir, `${replica.workload}.marker`)) });
      },
    });
    await sup.apply([
      workload(scripts, 'polite', 'server.js', { env: { MARKER: path.join(dir, 'polite.marker') } }),
      workload(scripts, 'stubborn', 'stubborn.js', { env: { MARKER: path.join(dir, 'stubborn.marker') } }),
    ]);
    await eventually(healthy(sup, 'polite'), 'polite Healthy');
    await eventually(healthy(sup, 'stubborn'), 'stubborn Healthy');
    const [polite] = pidsOf(sup, 'polite');
    const [stubborn] = pidsOf(sup, 'stubborn');
    const politeEndpoint = sup.endpoints('polite')[0];

    let start = Date.now();
    await sup.remove('polite');
    expect(Date.now() - start).toBeLessThan(2500);
    expect(alive(polite ?? -1)).toBe(false);
    expect(readFileSync(path.join(dir, 'polite.marker'), 'utf8')).toBe('TERM\n');

    start = Date.now();
    await sup.remove('stubborn');
    expect(Date.now() - start).toBeGreaterThanOrEqual(3000);
    expect(alive(stubborn ?? -1)).toBe(false);
    expect(readFileSync(path.join(dir, 'stubborn.marker'), 'utf8')).toBe('TERM\n');

    expect(calls).toEqual([
      { workload: 'polite', replica: 0, endpoint: politeEndpoint, reason: 'removed', aliveThen: true, termedThen: false },
      expect.objectContaining({ workload: 'stubborn', reason: 'removed', aliveThen: true, termedThen: false }),
    ]);
    expect(sup.observeWorkload('polite').health).toBe('Missing');
  });

  it('a new supervisor on the same stateDir adopts the live processes (same pids), then still restarts them when they die', async () => {
    const stateDir = tempDir('state');
    const first = supervisor({}, stateDir);
    const desired = workload(scripts, 'web', 'server.js', { replicas: 2 });
    await first.apply([desired]);
    await eventually(healthy(first, 'web'), 'Healthy');
    const pids = pidsOf(first, 'web');
    first.close();

    const second = supervisor({}, stateDir);
    expect(await second.recover()).toEqual({ adopted: ['web-0', 'web-1'], restarting: [] });
    await eventually(healthy(second, 'web'), 'Healthy after adoption');
    expect(await second.apply([desired])).toEqual([]);
    expect(pidsOf(second, 'web')).toEqual(pids);
    expect(second.observeWorkload('web').restarts).toBe(0);

    // not our child any more: the exit is seen by polling /proc
    process.kill(pids[0] ?? -1, 'SIGKILL');
    await eventually(() => {
      const p = second.processes('web')[0];
      return p?.pid && p.pid !== pids[0] && p.ready ? p : undefined;
    }, 'adopted replica restarted', 5000);
    expect(second.observeWorkload('web')).toMatchObject({ restarts: 1, health: 'Healthy' });
    await second.stopAll();
  });

  it('a record whose pid was recycled (another start time) is not adopted: a new process is started', async () => {
    const stateDir = tempDir('state');
    const first = supervisor({}, stateDir);
    await first.apply([workload(scripts, 'web', 'server.js')]);
    await eventually(healthy(first, 'web'), 'Healthy');
    const [old] = first.processes('web');
    first.close();
    extraPids.add(old?.pid ?? -1);
    const store = new ProcessRecordStore(stateDir);
    const record = store.readAll()[0] as ProcessRecord;
    store.write({ ...record, startTime: (record.startTime ?? 0) + 1 });

    const second = supervisor({}, stateDir);
    expect(await second.recover()).toEqual({ adopted: [], restarting: ['web-0'] });
    const fresh = await eventually(() => second.processes('web').find((p) => p.pid !== null && p.ready), 'new process', 5000);
    expect(fresh.pid).not.toBe(old?.pid);
    // the "recycled" pid belongs to someone else: never signalled; it holds the port, so the new process got another
    expect(alive(old?.pid ?? -1)).toBe(true);
    expect(fresh.port).not.toBe(old?.port);
    expect(second.observeWorkload('web')).toMatchObject({ health: 'Healthy', restarts: 1 });
    await second.stopAll();
  });

  it('a record whose pid is a zombie counts as dead: a new process is started', async () => {
    const stateDir = tempDir('state');
    const dir = tempDir('zombie');
    // `sleep 0` ends while its parent has become `sleep 30` (exec), which never reaps it: a real zombie
    const holder = spawn('/bin/sh', ['-c', `sleep 0 & echo $! > ${dir}/zpid; exec sleep 30`], { stdio: 'ignore' });
    extraPids.add(holder.pid ?? -1);
    const zpid = await eventually(() => {
      const pid = Number(readFileSync(path.join(dir, 'zpid'), 'utf8'));
      return readProcStat(pid)?.state === 'Z' ? pid : undefined;
    }, 'a zombie', 5000);
    const spec = workload(scripts, 'web', 'server.js');
    new ProcessRecordStore(stateDir).write({
      workload: 'web', replica: 0, pid: zpid, startTime: readProcStat(zpid)?.startTime ?? null, startedAt: Date.now(), specHash: spec.specHash,
      port: 0, command: spec.command, restarts: 0, restartTimes: [], lastDelayMs: null, spec,
    });

    const sup = supervisor({}, stateDir);
    expect(await sup.recover()).toEqual({ adopted: [], restarting: ['web-0'] });
    const fresh = await eventually(() => sup.processes('web').find((p) => p.pid !== null && p.ready), 'new process', 5000);
    expect(fresh.pid).not.toBe(zpid);
    expect(sup.observeWorkload('web')).toMatchObject({ health: 'Healthy', restarts: 1 });
    await sup.stopAll();
    holder.kill('SIGKILL');
  });

  it('a command that cannot be spawned counts as a crash: restarted with backoff, then Degraded', async () => {
    const sup = supervisor();
    await sup.apply([workload(scripts, 'ghost', 'server.js', { command: ['/nonexistent/bin/ghost'] })]);
    const observed = await eventually(() => (sup.observeWorkload('ghost').health === 'Degraded' ? sup.observeWorkload('ghost') : undefined), 'Degraded', 10_000);
    expect(observed.message).toContain('spawn failed');
    expect(observed.message).toContain('ENOENT');
    expect(observed).toMatchObject({ replicas: 0, readyReplicas: 0 });
    await sup.stopAll();
  });

  it('refuses an invalid apply before starting anything', async () => {
    const sup = supervisor();
    await expect(sup.apply([workload(scripts, 'ok', 'server.js'), workload(scripts, 'bad/name', 'server.js')])).rejects.toMatchObject({ code: 'INVALID_WORKLOAD' });
    expect(sup.names()).toEqual([]);
  });
});
