import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startRouterProcess, type RouterProcess } from './router-process';
import { adoptRouter, readRouterRecord, writeRoutesFile, type RouterRecord } from './router-state';
import type { RoutingTableInput } from './routing-table';
import { closeTestAgent, freePort, request, revisionOf, spawnRouter, startBackend, waitFor, type TestBackend } from './router.testing';

const REV_A = revisionOf('a');
const REV_B = revisionOf('b');

let stateDir: string;
let one: TestBackend;
let two: TestBackend;

const routes = (backend: string, revision = REV_A): RoutingTableInput => ({
  environment: 'dev',
  applications: [{ application: 'shop', slots: [{ slot: 'stable', revision, weight: 100, backends: [backend] }] }],
});
const who = async (port: number): Promise<string> => {
  const res = await request(port, '/shop/', { 'x-route-key': 'k' });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${res.body}`);
  return (JSON.parse(res.body) as { backend: string }).backend;
};
const admin = async <T>(record: RouterRecord, urlPath: string): Promise<T> =>
  JSON.parse((await request(record.adminPort, urlPath)).body) as T;

beforeAll(async () => {
  [one, two] = await Promise.all([startBackend('one'), startBackend('two')]);
});
beforeEach(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'router-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});
afterAll(async () => {
  await Promise.all([one.close(), two.close()]);
  closeTestAgent();
});

describe('startRouterProcess (in this process)', () => {
  let running: RouterProcess;
  afterEach(async () => running.stop());

  it('serves routes.json, reloads it when the controller replaces it, and keeps the table on an invalid file', async () => {
    await writeRoutesFile(stateDir, routes(one.address));
    running = await startRouterProcess(stateDir, 0, { pollMs: 200 });
    const port = running.record.port;
    expect(await who(port)).toBe('one');

    await writeRoutesFile(stateDir, routes(two.address, REV_B));
    await waitFor(async () => expect(await who(port)).toBe('two'));

    await writeFile(path.join(stateDir, 'routes.json'), '{"environment":"dev","applications":[{"application":"shop","slots":[]}]}');
    await waitFor(async () => {
      const health = await admin<{ routes: { lastError: string | null } }>(running.record, '/_router/health');
      expect(health.routes.lastError).toMatch(/non-empty/);
    });
    expect(await who(port)).toBe('two');
  });

  it('starts without routes.json (404 for everything) and serves the table once the controller writes it', async () => {
    running = await startRouterProcess(stateDir, 0, { pollMs: 200 });
    expect((await request(running.record.port, '/shop/')).status).toBe(404);
    await writeRoutesFile(stateDir, routes(one.address));
    await waitFor(async () => expect(await who(running.record.port)).toBe('one'));
  });

  it('exposes health and windowed stats on the admin port', async () => {
    await writeRoutesFile(stateDir, routes(one.address));
    running = await startRouterProcess(stateDir, 0);
    for (let i = 0; i < 3; i++) await who(running.record.port);
    const health = await admin<{ status: string; pid: number; startedAt: string; applications: number }>(running.record, '/_router/health');
    expect(health).toMatchObject({ status: 'ok', pid: process.pid, startedAt: running.record.startedAt, applications: 1 });
    const peek = await admin<{ applications: Array<{ traffic: Array<{ requests: number }> }> }>(running.record, '/_router/stats?peek=1');
    expect(peek.applications[0]?.traffic[0]?.requests).toBe(3);
    const stats = await admin<{ environment: string; applications: unknown[] }>(running.record, '/_router/stats');
    expect(stats).toMatchObject({ environment: 'dev', applications: [{ application: 'shop', traffic: [{ revision: REV_A, weight: 100, requests: 3, errors5xx: 0 }] }] });
    expect((await admin<{ applications: unknown[] }>(running.record, '/_router/stats')).applications).toEqual([]);
    expect((await request(running.record.adminPort, '/_router/nope')).status).toBe(404);
  });

  it('records itself in router.json and a restarted controller adopts it; a stopped router leaves no record', async () => {
    running = await startRouterProcess(stateDir, 0);
    const record = await readRouterRecord(stateDir);
    expect(record).toEqual(running.record);
    expect(record).toMatchObject({ version: 1, pid: process.pid, host: '127.0.0.1', stateDir });
    expect(await adoptRouter(stateDir)).toEqual(record);
    await running.stop();
    expect(await readRouterRecord(stateDir)).toBeNull();
    running = await startRouterProcess(stateDir, 0); // for afterEach
  });

  it('does not adopt a record whose start time does not match the live router (pid reused)', async () => {
    running = await startRouterProcess(stateDir, 0);
    const file = path.join(stateDir, 'router.json');
    const record = JSON.parse(await readFile(file, 'utf8')) as RouterRecord;
    await writeFile(file, JSON.stringify({ ...record, startedAt: '2000-01-01T00:00:00.000Z' }));
    expect(await adoptRouter(stateDir)).toBeNull();
  });
});

describe('router.main as its own process', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  const startChild = async (port: number): Promise<{ child: ChildProcess; record: RouterRecord }> => {
    const child = spawnRouter(stateDir, port);
    children.push(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const record = await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`router exited ${child.exitCode}: ${output}`);
        const r = await readRouterRecord(stateDir);
        if (r === null || r.pid !== child.pid) throw new Error(`no record for pid ${child.pid} yet: ${output}`);
        return r;
      },
      20_000,
    );
    return { child, record };
  };

  it('start, serve, kill -9, start again → serves the same routes from routes.json', async () => {
    await writeRoutesFile(stateDir, routes(two.address, REV_B));
    const port = await freePort();
    const first = await startChild(port);
    expect(await who(port)).toBe('two');
    expect(await adoptRouter(stateDir)).toEqual(first.record);
    const before = await admin<{ digest: string; table: unknown }>(first.record, '/_router/table');

    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    await expect(request(port, '/shop/')).rejects.toThrow();
    expect(await adoptRouter(stateDir)).toBeNull(); // the record is left behind, but its pid is dead

    const second = await startChild(port);
    expect(second.record.pid).not.toBe(first.record.pid);
    expect(await who(port)).toBe('two');
    const after = await admin<{ digest: string; table: unknown }>(second.record, '/_router/table');
    expect(after).toEqual(before);
    expect(after.table).toEqual(JSON.parse(await readFile(path.join(stateDir, 'routes.json'), 'utf8')));
  });

  it('stops gracefully on SIGTERM and removes its record', async () => {
    const { child } = await startChild(0);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await readRouterRecord(stateDir)).toBeNull();
  });
});
