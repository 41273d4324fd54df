import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { readRouterRecord, routeBucket } from '@delivery/gitops-router';
import { alive, eventually, killLeftovers, tempDir } from '../local-runtime.testing';
import type { SupervisorOptions } from '../supervisor.config';
import { buildImage, buildPackageTarball, desiredApp, get, pushImage, REV1, REV2, shopWorkload, startFileServer, startRegistry, versionVia, writeOciLayout, type TestImage } from './adapter.testing';
import { LocalRuntimeAdapter, type LocalRuntimeOptions } from './local-runtime.adapter';

// Real processes: the npm package is unpacked and run by the supervisor, the router runs as its own process.
// One scenario, in order: rolling v1 → canary v2 at 10 % → promote + prune → bad inputs → restart adoption →
// router killed → OCI images (layout directory, then docker-registry) in a second environment.

jest.setTimeout(90_000);

const fast: Omit<SupervisorOptions, 'stateDir'> = {
  portRange: { from: 26100, to: 26199 }, readinessPeriodMs: 100, livenessPeriodMs: 500, startupDeadlineMs: 20_000,
  backoffBaseMs: 200, backoffMaxMs: 1000, gracePeriodMs: 2000, exitPollMs: 100,
};

let stateDir: string;
let tarballV1: string;
let tarballV2Url: string;
let files: { url: string; close(): Promise<void> };
let layoutDir: string;
let registry: { url: string; child: ChildProcess };
let registryPort: number;
let imageV2: TestImage;
const adapters: LocalRuntimeAdapter[] = [];
const pids = new Set<number>();
const KEYS = Array.from({ length: 200 }, (_, i) => `user-${i}`);

function adapter(over: Partial<LocalRuntimeOptions> = {}): LocalRuntimeAdapter {
  const a = new LocalRuntimeAdapter({ stateDir, supervisor: fast, drainMs: 300, ...over });
  adapters.push(a);
  return a;
}
const freePort = () => new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});
const envDir = () => path.join(stateDir, 'dev');
const routerPid = async () => (await readRouterRecord(path.join(envDir(), 'router')))?.pid;
const healthyApp = (a: LocalRuntimeAdapter, names: string[]) => async () => {
  const observed = await a.observe('dev', 'shop');
  const ok = observed.workloads.length === names.length && observed.workloads.every((w) => names.includes(w.name) && w.health === 'Healthy');
  return ok ? observed : undefined;
};
const canaryCount = async (url: string): Promise<number> => {
  const versions = await Promise.all(KEYS.map((k) => versionVia(url, k)));
  return versions.filter((v) => v === '2.0.0').length;
};

const v1 = () => shopWorkload('shop-stable', 'stable', '1.0.0', tarballV1);
const v2 = () => shopWorkload('shop-canary', 'canary', '2.0.0', tarballV2Url);

beforeAll(async () => {
  stateDir = tempDir('adapter');
  const pkgDir = tempDir('packages');
  tarballV1 = await buildPackageTarball(pkgDir, '1.0.0');
  const v2File = await buildPackageTarball(pkgDir, '2.0.0');
  files = await startFileServer({ '/shop/-/shop-2.0.0.tgz': readFileSync(v2File), '/not-gzip.tgz': Buffer.from('plain text') });
  tarballV2Url = `${files.url}/shop/-/shop-2.0.0.tgz`;
  layoutDir = tempDir('oci-layout');
  writeOciLayout(layoutDir, await buildImage('1.0.0'), '1.0.0');
  registryPort = await freePort();
  registry = await startRegistry(tempDir('registry'), registryPort);
  imageV2 = await buildImage('2.0.0');
  await pushImage(registry.url, 'shop/api', '2.0.0', imageV2);
});

afterAll(async () => {
  for (const a of adapters) await a.stopAll().catch(() => undefined);
  for (const env of ['dev', 'img']) {
    const rp = (await readRouterRecord(path.join(stateDir, env, 'router')))?.pid;
    if (rp !== undefined) pids.add(rp);
  }
  killLeftovers(['dev', 'img'].map((env) => path.join(stateDir, env, 'supervisor')), pids);
  registry?.child.kill('SIGKILL');
  await files?.close();
});

describe('LocalRuntimeAdapter (real processes and router)', () => {
  let a: LocalRuntimeAdapter;
  let url: string;

  it('rolling v1: unpacks the npm package once, runs it, Healthy, reachable through the router by host and by path', async () => {
    a = adapter();
    const desired = desiredApp([v1()]);
    expect(await a.apply(desired)).toEqual({ changed: ['shop-stable'] });
    const appDirs = readdirSync(path.join(envDir(), 'apps'));
    expect(appDirs).toEqual([`shop--shop-stable-${desired.workloads[0]?.specHash.slice(0, 12)}`]);
    expect(existsSync(path.join(envDir(), 'apps', appDirs[0] ?? '', 'server.js'))).toBe(true);

    const observed = await eventually(healthyApp(a, ['shop-stable']), 'shop-stable Healthy', 20_000);
    expect(observed.workloads[0]).toMatchObject({ name: 'shop-stable', slot: 'stable', readyReplicas: 1, specHash: desired.workloads[0]?.specHash });
    expect(observed.weights).toEqual([{ slot: 'stable', weight: 100 }]);
    url = await a.routerUrl('dev');
    await eventually(async () => ((await versionVia(url, 'k')) === '1.0.0' ? true : undefined), 'v1 through the router');
    expect(await versionVia(url, 'k', '127.0.0.1', '/shop/')).toBe('1.0.0');
    expect(await a.applications('dev')).toEqual(['shop']);

    // a second apply of the same state changes nothing and reuses the unpacked directory
    expect(await a.apply(desired)).toEqual({ changed: [] });
    expect(readdirSync(path.join(envDir(), 'apps'))).toEqual(appDirs);
  });

  it('canary v2 at 10 % (tarball fetched over http): both Healthy, exactly the keys of buckets 0-9 answer v2', async () => {
    const result = await a.apply(desiredApp([v1(), v2()], { revision: REV2, weights: [{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 10 }] }));
    expect(result).toEqual({ changed: ['shop-canary'] });
    const observed = await eventually(healthyApp(a, ['shop-stable', 'shop-canary']), 'both Healthy', 20_000);
    expect(observed.weights).toEqual([{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 10 }]);

    const expected = KEYS.filter((k) => routeBucket(k) < 10).length;
    expect(expected).toBeGreaterThan(5);
    expect(expected).toBeLessThan(40);
    await eventually(async () => ((await canaryCount(url)) === expected ? true : undefined), `${expected} of ${KEYS.length} keys on v2`);
    // the unchanged stable slot keeps the revision it was deployed at
    const routes = JSON.parse(readFileSync(path.join(envDir(), 'router', 'routes.json'), 'utf8')) as { applications: Array<{ slots: Array<{ slot: string; revision: string }> }> };
    expect(routes.applications[0]?.slots.map((s) => [s.slot, s.revision])).toEqual([['stable', REV1], ['canary', REV2]]);
  });

  it('promote to 100 % v2 with prune: the stable slot is removed, every key answers v2', async () => {
    const stablePids = JSON.parse(readFileSync(path.join(envDir(), 'supervisor', 'processes', 'shop--shop-stable-0.json'), 'utf8')) as { pid: number };
    const result = await a.apply(desiredApp([v2()], { revision: REV2, weights: [{ slot: 'canary', weight: 100 }], prune: true }));
    expect(result).toEqual({ changed: ['shop-stable'] });
    const observed = await eventually(healthyApp(a, ['shop-canary']), 'only shop-canary', 20_000);
    expect(observed.weights).toEqual([{ slot: 'canary', weight: 100 }]);
    expect(alive(stablePids.pid)).toBe(false);
    await eventually(async () => ((await canaryCount(url)) === KEYS.length ? true : undefined), 'all keys on v2');
  });

  it('refuses weights that do not sum to 100: error, nothing started', async () => {
    const result = await a.apply(desiredApp([shopWorkload('cart', 'stable', '1.0.0', tarballV1), shopWorkload('cart-canary', 'canary', '1.0.0', tarballV1)], {
      application: 'cart', weights: [{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 20 }],
    }));
    expect(result).toEqual({ changed: [], error: { code: 'runtime.invalid-desired-state', message: 'weights sum to 110, not 100' } });
    expect(await a.applications('dev')).toEqual(['shop']);
    expect(readdirSync(path.join(envDir(), 'apps')).filter((d) => d.startsWith('cart'))).toEqual([]);
  });

  it('refuses an empty command: error, nothing started', async () => {
    const result = await a.apply(desiredApp([shopWorkload('cart', null, '1.0.0', tarballV1, { command: [] })], { application: 'cart' }));
    expect(result.changed).toEqual([]);
    expect(result.error?.code).toBe('runtime.invalid-desired-state');
    expect(result.error?.message).toMatch(/command must be a non-empty argv/);
    expect(await a.applications('dev')).toEqual(['shop']);
  });

  it('refuses an image tag the OCI layout does not have with runtime.artifact-unavailable, nothing started', async () => {
    const w = shopWorkload('cart', null, '1.0.0', tarballV1, { artifact: { kind: 'image', reference: `oci:${layoutDir}:9.9.9` } });
    const result = await a.apply(desiredApp([w], { application: 'cart' }));
    expect(result).toMatchObject({ changed: [], error: { code: 'runtime.artifact-unavailable' } });
    expect(result.error?.message).toMatch(/no manifest tagged "9.9.9"/);
    expect(await a.applications('dev')).toEqual(['shop']);
    expect(readdirSync(path.join(envDir(), 'apps')).filter((d) => d.startsWith('cart'))).toEqual([]);
  });

  it('refuses a tarball that is not gzip with runtime.artifact-unavailable, nothing started', async () => {
    const result = await a.apply(desiredApp([shopWorkload('cart', null, '1.0.0', `${files.url}/not-gzip.tgz`)], { application: 'cart' }));
    expect(result).toMatchObject({ changed: [], error: { code: 'runtime.artifact-unavailable' } });
    expect(result.error?.message).toMatch(/not a gzip file/);
    expect(await a.applications('dev')).toEqual(['shop']);
    expect(readdirSync(path.join(envDir(), 'apps')).filter((d) => d.startsWith('cart'))).toEqual([]);
  });

  it('a new adapter on the same state dir adopts the processes and the router (same pids), still Healthy', async () => {
    const workloadPid = (JSON.parse(readFileSync(path.join(envDir(), 'supervisor', 'processes', 'shop--shop-canary-0.json'), 'utf8')) as { pid: number }).pid;
    const router = await routerPid();
    pids.add(workloadPid);
    await a.close();

    a = adapter();
    const observed = await eventually(healthyApp(a, ['shop-canary']), 'adopted Healthy', 20_000);
    expect(observed.weights).toEqual([{ slot: 'canary', weight: 100 }]);
    expect((JSON.parse(readFileSync(path.join(envDir(), 'supervisor', 'processes', 'shop--shop-canary-0.json'), 'utf8')) as { pid: number }).pid).toBe(workloadPid);
    expect(await routerPid()).toBe(router);
    expect(await a.routerUrl('dev')).toBe(url);
    expect(await versionVia(url, 'after-restart')).toBe('2.0.0');
  });

  it('router killed: the next observe restarts it on the same port with the same table', async () => {
    const old = await routerPid();
    expect(old).toBeDefined();
    process.kill(old ?? 0, 'SIGKILL');
    await eventually(() => (alive(old ?? 0) ? undefined : true), 'router dead');
    expect((await get(url, '/').catch(() => ({ status: 0 }))).status).toBe(0);

    const observed = await a.observe('dev', 'shop');
    expect(observed.weights).toEqual([{ slot: 'canary', weight: 100 }]);
    const fresh = await routerPid();
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(old);
    pids.add(fresh ?? 0);
    expect(await a.routerUrl('dev')).toBe(url);
    await eventually(async () => ((await versionVia(url, 'after-kill')) === '2.0.0' ? true : undefined), 'v2 through the new router');
  });

  it('runs an OCI image from a layout directory (WorkingDir, whiteouts), then rolls to v2 pulled from docker-registry', async () => {
    const image = (version: string, reference: string, digest?: string) =>
      shopWorkload('api', null, version, '', { command: [process.execPath, 'server.js'], artifact: { kind: 'image', reference, ...(digest ? { digest } : {}) } });
    const first = image('1.0.0', `oci:${layoutDir}:1.0.0`);
    expect(await a.apply(desiredApp([first], { environment: 'img', application: 'api' }))).toEqual({ changed: ['api'] });
    const rootfs = path.join(stateDir, 'img', 'apps', `api--api-${first.specHash.slice(0, 12)}`, 'rootfs');
    expect(existsSync(path.join(rootfs, 'app', 'server.js'))).toBe(true);
    expect(existsSync(path.join(rootfs, 'app', 'stale.txt'))).toBe(false);
    await eventually(async () => ((await a.observe('img', 'api')).workloads[0]?.health === 'Healthy' ? true : undefined), 'api Healthy', 20_000);
    const imgUrl = await a.routerUrl('img');
    expect(imgUrl).not.toBe(url);
    await eventually(async () => ((await versionVia(imgUrl, 'k', 'api.img.localhost')) === '1.0.0' ? true : undefined), 'api v1 through the img router');

    const second = image('2.0.0', `127.0.0.1:${registryPort}/shop/api:2.0.0`, imageV2.manifestDigest);
    expect(await a.apply(desiredApp([second], { environment: 'img', application: 'api', revision: REV2 }))).toEqual({ changed: ['api'] });
    await eventually(async () => ((await versionVia(imgUrl, 'k', 'api.img.localhost')) === '2.0.0' ? true : undefined), 'api v2 through the img router', 20_000);
    expect(await a.applications('img')).toEqual(['api']);
  });
});
