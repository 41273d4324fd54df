// The service with the Azure runner wired in (real NATS, Postgres, git; Azure DevOps is the recorded-shape fake):
// RunPipeline.runner picks the runner per run, the worker runs the row on the runner its `runner` column names.
import { createHash } from 'node:crypto';
import { finishedFor, rejectedFor, runOnBus, startPipelineHarness, type PipelineHarness } from '../../pipeline-execution.testing';
import { fakeZip, FakeAzurePipelinesServer } from './azure-pipelines-fake.server';

const TOKEN = 'fake-pat';
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
// a task the local runner refuses: Azure runs the full YAML language, so it is not checked here
const PIPELINE = 'steps:\n  - task: Docker@2\n    inputs: { command: build }\n';

describe('pipeline-execution: runs on Azure Pipelines (AZURE_DEVOPS_* set)', () => {
  let fake: FakeAzurePipelinesServer;
  let h: PipelineHarness;

  beforeAll(async () => {
    fake = await new FakeAzurePipelinesServer(TOKEN).start();
    h = await startPipelineHarness({ AZURE_DEVOPS_ORG_URL: fake.organizationUrl, AZURE_DEVOPS_PROJECT: 'Delivery', AZURE_DEVOPS_TOKEN: TOKEN, AZURE_PIPELINES_POLL_MS: '50' });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.stop();
  });

  it('RunPipeline runner azure-pipelines: queued on ADO at the run sha, Finished with the timeline\'s steps, logs and artifacts in the store', async () => {
    const repo = await h.repo('orders-service', PIPELINE);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main', runner: 'azure-pipelines', variables: { DEPLOY_ENV: 'prod' } });
    expect(started.payload).toMatchObject({ runner: 'azure-pipelines', sha: repo.headSha });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload).toMatchObject({ result: 'Failed', error: { code: 'pipeline.step-failed' } });
    expect(finished.payload.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed', 'timed-out', 'skipped', 'succeeded']);
    const queued = fake.buildRequests().find((r) => r.method === 'POST');
    expect(queued?.body).toMatchObject({ definition: { id: 41 }, sourceBranch: 'refs/heads/main', sourceVersion: repo.headSha, parameters: '{"DEPLOY_ENV":"prod"}', tags: [started.payload.runId] });
    const drop = finished.payload.outputs?.artifacts.find((a) => a.name === 'drop');
    expect(drop).toMatchObject({ location: `runs/${started.payload.runId}/artifacts/drop.zip`, digest: sha256(fakeZip('drop')) });
    expect(await h.store.read(`runs/${started.payload.runId}/logs/4-run-tests.log`)).toBeTruthy();
  });

  it('no definition for the repository\'s pipeline file: Finished Failed with pipeline.definition-not-found', async () => {
    const repo = await h.repo('unknown-to-ado', PIPELINE);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main', runner: 'azure-pipelines' });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload).toMatchObject({ result: 'Failed', error: { code: 'pipeline.definition-not-found', retryable: false } });
  });
});

describe('pipeline-execution: Azure Pipelines not configured', () => {
  let h: PipelineHarness;

  beforeAll(async () => {
    for (const name of ['AZURE_DEVOPS_ORG_URL', 'AZURE_DEVOPS_PROJECT', 'AZURE_DEVOPS_TOKEN']) delete process.env[name];
    h = await startPipelineHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('RunPipeline runner azure-pipelines is refused with pipeline.runner-unavailable', async () => {
    const repo = await h.repo('orders-service', PIPELINE);
    const command = await h.fx.send('RunPipeline', { repositoryId: repo.repositoryId, branch: 'main', runner: 'azure-pipelines' });
    expect((await rejectedFor(h.fx, command.id)).payload.error).toMatchObject({ code: 'pipeline.runner-unavailable', message: expect.stringContaining('AZURE_DEVOPS_ORG_URL') });
  });
});
