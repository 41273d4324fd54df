// Contract tests: the Azure Pipelines runner against a loopback fake answering with recorded Build REST 7.1 shapes
// (azure-pipelines-fake.server.ts), logs and artifacts into a real FileArtifactStore in a temp directory.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@delivery/artifacts';
import { uuidv7 } from '@delivery/messaging';
import type { RunControl, RunRequest, StepRecord } from '../runner.port';
import type { AzurePipelinesConfig } from './azure-pipelines.client';
import { AzureUnauthorizedError, AzureUnavailableError, DefinitionNotFoundError } from './azure-pipelines.errors';
import { fakeZip, FakeAzurePipelinesServer } from './azure-pipelines-fake.server';
import { AzurePipelinesRunner } from './azure-pipelines.runner';

const TOKEN = 'fake-pat';
const SHA = '5f0e2a9c1b7d4e3f8a6b0c9d2e1f4a7b8c3d6e90';
const BUILDS = '/org/Delivery/_apis/build/builds';

function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

describe('AzurePipelinesRunner (contract, recorded Build REST 7.1 shapes)', () => {
  let fake: FakeAzurePipelinesServer;
  let root: string;
  let store: FileArtifactStore;

  beforeAll(async () => {
    fake = await new FakeAzurePipelinesServer(TOKEN).start();
    root = await mkdtemp(join(tmpdir(), 'azure-runner-'));
    store = new FileArtifactStore(root);
  });
  afterAll(async () => {
    await fake.stop();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => fake.reset());

  function runner(overrides: Partial<AzurePipelinesConfig> = {}): AzurePipelinesRunner {
    const config: AzurePipelinesConfig = { organizationUrl: fake.organizationUrl, project: 'Delivery', token: TOKEN, pollMs: 10, maxPollMs: 40, retries: 2, retryBaseMs: 5, cancelWaitMs: 5_000, ...overrides };
    return new AzurePipelinesRunner(config, store);
  }

  function request(overrides: Partial<RunRequest> = {}): RunRequest {
    return {
      runId: uuidv7(),
      repository: { name: 'orders-service', source: 'https://dev.azure.com/fabrikam/Delivery/_git/orders-service' },
      branch: 'main',
      sha: SHA,
      pipelinePath: 'azure-pipelines.yml',
      reason: 'pull-request',
      variables: { DEPLOY_ENV: 'staging' },
      timeoutSeconds: 60,
      ...overrides,
    };
  }

  function control(onProgress?: (steps: StepRecord[]) => void, controller = new AbortController()): RunControl & { snapshots: StepRecord[][] } {
    const snapshots: StepRecord[][] = [];
    return {
      snapshots,
      signal: controller.signal,
      progress: async (steps) => {
        snapshots.push(steps);
        onProgress?.(steps);
      },
    };
  }

  function one(method: string, path: string) {
    const found = fake.buildRequests().filter((r) => r.method === method && r.path === path);
    if (found.length !== 1) throw new Error(`expected one ${method} ${path}, got ${found.length}: ${fake.calls().join(', ')}`);
    return found[0]!;
  }

  it('finds the definition of the repository and file, queues it at the commit with the variables as parameters, and tags it with the runId', async () => {
    const req = request();
    await runner().execute(req, control());

    const definitions = one('GET', '/org/Delivery/_apis/build/definitions');
    expect(definitions.query).toMatchObject({ repositoryType: 'TfsGit', includeAllProperties: 'true' });
    const lookup = fake.buildRequests().find((r) => r.method === 'GET' && r.path === BUILDS);
    expect(lookup?.query).toMatchObject({ definitions: '41', tagFilters: req.runId });
    const queue = one('POST', BUILDS);
    expect(queue.apiVersion).toMatch(/^7\.\d/);
    expect(queue.body).toEqual({ definition: { id: 41 }, sourceBranch: 'refs/heads/main', sourceVersion: SHA, parameters: '{"DEPLOY_ENV":"staging"}', reason: 256, tags: [req.runId] });
    one('PUT', `${BUILDS}/1234/tags/${req.runId}`);
    expect(fake.builds.get(1234)?.tags).toEqual([req.runId]);
  });

  it('picks the definition by process.yamlFilename (leading slash ignored) among the repository\'s definitions', async () => {
    await runner().execute(request({ pipelinePath: 'ci/nightly.yml' }), control());
    expect(one('POST', BUILDS).body).toMatchObject({ definition: { id: 42 } });
  });

  it('an idempotent re-queue finds the build tagged with the runId instead of queueing again', async () => {
    const r = runner();
    const req = request();
    const first = await r.queue(41, req);
    const again = await r.queue(41, req);
    expect(again.id).toBe(first.id);
    expect(fake.calls().filter((c) => c === `POST ${BUILDS}`)).toHaveLength(1);
    // a whole execute of the same run (a retry after a crash) follows that build too
    await r.execute(req, control());
    expect(fake.calls().filter((c) => c === `POST ${BUILDS}`)).toHaveLength(1);
    expect(fake.builds.size).toBe(1);
  });

  it('a queueBuild that answers 500 is not repeated blindly: the tag is looked up again before the next POST', async () => {
    fake.fail(/^POST .*\/_apis\/build\/builds$/, 500, 1);
    await runner().execute(request(), control());
    expect(fake.calls().filter((c) => c === `POST ${BUILDS}` || c === `GET ${BUILDS}`)).toEqual([`GET ${BUILDS}`, `POST ${BUILDS}`, `GET ${BUILDS}`, `POST ${BUILDS}`]);
  });

  it('monitors the build: timeline Task records → steps in order with statuses, job, durations; result failed → Failed (step-failed)', async () => {
    const c = control();
    const outcome = await runner().execute(request(), c);
    expect(outcome.result).toBe('Failed');
    expect(outcome.error).toEqual({ code: 'pipeline.step-failed', message: 'step 4 "Run tests" (Build) failed', retryable: false });
    expect(outcome.steps.map((s) => [s.index, s.name, s.job, s.status])).toEqual([
      [1, 'Initialize job', 'Build', 'succeeded'],
      [2, 'Checkout orders-service@main to s', 'Build', 'succeeded'],
      [3, 'npm ci', 'Build', 'succeeded'],
      [4, 'Run tests', 'Build', 'failed'],
      [5, 'Integration tests', 'Build', 'timed-out'],
      [6, 'Publish drop', 'Build', 'skipped'],
      [7, 'Post-job: Checkout orders-service@main to s', 'Build', 'succeeded'],
    ]);
    expect(outcome.steps[3]).toMatchObject({ exitCode: null, durationMs: 32_500, startedAt: '2026-12-02T15:02:58.400Z' });
    // while it ran: step 3 running, the rest pending; progress reported only on change
    expect(c.snapshots[0]?.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'running', 'pending', 'pending', 'pending', 'pending']);
    expect(c.snapshots.length).toBe(2);
    expect(fake.calls().filter((x) => x === `GET ${BUILDS}/1234/Timeline` || x === `GET ${BUILDS}/1234/timeline`).length).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['succeeded', 'Succeeded'],
    ['partiallySucceeded', 'Succeeded'],
    ['canceled', 'Canceled'],
  ] as const)('maps the build result %s → %s', async (azure, platform) => {
    fake.finalResult = azure;
    const outcome = await runner().execute(request(), control());
    expect(outcome.result).toBe(platform);
    expect(outcome.error).toBeUndefined();
  });

  it('stores each task log under runs/<runId>/logs/<n>-<slug>.log and the artifacts as zips, with digests from the store', async () => {
    const req = request();
    const outcome = await runner().execute(req, control());
    const runTests = outcome.steps[3]!;
    expect(runTests.log).toBe(`runs/${req.runId}/logs/4-run-tests.log`);
    const expected = await readFile(join(__dirname, '__fixtures__', 'log-4.txt'));
    expect(await store.read(runTests.log!)).toEqual(expected);
    expect((await store.stat(runTests.log!))?.digest).toBe(sha256(expected));
    expect(outcome.steps[5]?.log).toBeUndefined(); // skipped: no log
    expect(outcome.steps.filter((s) => s.log).length).toBe(6);
    one('GET', `${BUILDS}/1234/logs/4`);

    expect(outcome.outputs.testResults).toEqual([]);
    expect(outcome.outputs.artifacts).toEqual([
      { name: 'drop', kind: 'file', location: `runs/${req.runId}/artifacts/drop.zip`, digest: sha256(fakeZip('drop')), size: fakeZip('drop').length, mediaType: 'application/zip' },
      { name: 'packages', kind: 'file', location: `runs/${req.runId}/artifacts/packages.zip`, digest: sha256(fakeZip('packages')), size: fakeZip('packages').length, mediaType: 'application/zip' },
    ]);
    expect(await store.read(`runs/${req.runId}/artifacts/packages.zip`)).toEqual(fakeZip('packages'));
    // container artifact through getArtifactContentZip, pipeline artifact through its downloadUrl
    const zip = fake.buildRequests().find((r) => r.path === `${BUILDS}/1234/artifacts` && r.query['artifactName'] === 'drop');
    expect(zip?.accept).toMatch(/^application\/zip/);
    expect(fake.calls()).toContain('GET /_download/packages');
  });

  it('a cancel (abort signal) sends updateBuild {status: cancelling} and ends Canceled with the running step canceled and the rest skipped', async () => {
    fake.inProgressPolls = 1_000;
    const controller = new AbortController();
    const c = control(() => controller.abort('canceled'), controller);
    const outcome = await runner().execute(request(), c);
    const patch = one('PATCH', `${BUILDS}/1234`);
    expect(patch.body).toEqual({ status: 4 });
    expect(outcome.result).toBe('Canceled');
    expect(outcome.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'canceled', 'skipped', 'skipped', 'skipped', 'skipped']);
  });

  it('a shutdown asks ADO to cancel and ends Failed (pipeline.runner-stopped) without waiting', async () => {
    fake.inProgressPolls = 1_000;
    const controller = new AbortController();
    const outcome = await runner().execute(request(), control(() => controller.abort('shutdown'), controller));
    one('PATCH', `${BUILDS}/1234`);
    expect(outcome).toMatchObject({ result: 'Failed', error: { code: 'pipeline.runner-stopped' } });
  });

  it('the run timeout cancels the build and ends Failed (pipeline.timed-out)', async () => {
    fake.inProgressPolls = 1_000_000;
    const outcome = await runner({ pollMs: 100, maxPollMs: 100 }).execute(request({ timeoutSeconds: 1 }), control());
    one('PATCH', `${BUILDS}/1234`);
    expect(outcome).toMatchObject({ result: 'Failed', error: { code: 'pipeline.timed-out' } });
  });

  it('no YAML definition of the repository for the file → DefinitionNotFoundError (pipeline.definition-not-found), nothing queued', async () => {
    const error = await runner().execute(request({ pipelinePath: 'ci/nightly.yml', repository: { name: 'billing', source: 'x' } }), control()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DefinitionNotFoundError);
    expect(error).toMatchObject({ code: 'pipeline.definition-not-found', disposition: 'reject', message: expect.stringContaining('ci/nightly.yml') });
    expect(fake.calls().filter((c) => c.startsWith('POST'))).toEqual([]);
  });

  it('401 (a rejected PAT) → AzureUnauthorizedError (pipeline.azure-unauthorized), not retried', async () => {
    const error = await runner({ token: 'wrong' }).execute(request(), control()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureUnauthorizedError);
    expect(error).toMatchObject({ code: 'pipeline.azure-unauthorized', disposition: 'reject', message: expect.stringContaining('AZURE_DEVOPS_TOKEN') });
    expect(fake.requests).toHaveLength(1);
  });

  it('5xx is retried with backoff, then fails with a retryable AzureUnavailableError (pipeline.azure-unavailable)', async () => {
    fake.fail(/definitions$/, 500, 100);
    const error = await runner().execute(request(), control()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureUnavailableError);
    expect(error).toMatchObject({ code: 'pipeline.azure-unavailable', disposition: 'retry', message: expect.stringContaining('VS402371') });
    expect(fake.calls().filter((c) => c.endsWith('/definitions'))).toHaveLength(3); // 1 + retries (2)
  });

  it('when following the build fails for good, the error is thrown and the build is asked to cancel', async () => {
    fake.inProgressPolls = 1_000;
    fake.fail(/Timeline$/, 500, 100);
    const error = await runner().execute(request(), control()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'pipeline.azure-unavailable', disposition: 'retry' });
    expect(one('PATCH', `${BUILDS}/1234`).body).toEqual({ status: 4 });
  });

  it('a 503 that clears within the retries is invisible to the run', async () => {
    fake.fail(/Timeline$/, 503, 2);
    const outcome = await runner().execute(request(), control());
    expect(outcome.result).toBe('Failed');
    expect(outcome.steps).toHaveLength(7);
  });
});
