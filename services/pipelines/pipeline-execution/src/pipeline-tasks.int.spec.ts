import { createHash } from 'node:crypto';
import { PIPELINES_READ, PIPELINES_WRITE } from './pipeline-execution.scopes';
import { finishedFor, runOnBus, startPipelineHarness, type PipelineHarness } from './pipeline-execution.testing';

const sha256 = (text: string | Buffer) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const COBERTURA = '<coverage line-rate="0.8" branch-rate="0.5"></coverage>';

// The task mapping, variables, env, working directories and per-step timeouts, run for real.
describe('pipeline-execution: tasks and step options', () => {
  let h: PipelineHarness;
  let token: string;

  beforeAll(async () => {
    h = await startPipelineHarness();
    token = await h.fx.token({ scopes: [PIPELINES_READ, PIPELINES_WRITE] });
  });
  afterAll(async () => {
    await h?.close();
  });

  const log = async (key: string | undefined) => (await h.store.read(key!)).toString('utf8');

  it('runs stages and jobs in order with NodeTool, Npm, coverage, artifacts, variables, env and working directories', async () => {
    const major = process.versions.node.split('.')[0];
    const pipeline = `
variables: { level: pipeline, configuration: Debug }
stages:
  - stage: Build
    jobs:
      - job: Compile
        variables: { level: job }
        steps:
          - task: NodeTool@0
            inputs: { versionSpec: ${major}.x }
          - task: Npm@1
            displayName: npm version
            inputs: { command: custom, customCommand: --version, workingDir: app }
          - bash: |
              echo "level=$LEVEL config=$CONFIGURATION custom=$CUSTOM pwd=$(pwd) sha=$(Build.SourceVersion)"
              mkdir -p coverage && printf '%s' '${COBERTURA}' > coverage/cobertura-coverage.xml
            workingDirectory: app
            env: { CUSTOM: "$(level)-env" }
          - task: PublishCodeCoverageResults@2
            inputs: { summaryFileLocation: $(System.DefaultWorkingDirectory)/app/coverage/cobertura-coverage.xml }
  - stage: Pack
    dependsOn: Build
    jobs:
      - job: Pack
        steps:
          - script: mkdir -p $(Build.ArtifactStagingDirectory)/nuget && printf 'nupkg' > $(Build.ArtifactStagingDirectory)/nuget/Shop.1.0.0.nupkg
          - task: PublishBuildArtifacts@1
            inputs: { PathtoPublish: $(Build.ArtifactStagingDirectory)/nuget, ArtifactName: packages }
`;
    const repo = await h.repo('tasks', pipeline, { 'app/package.json': '{"name":"app","version":"1.0.0"}\n' });
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main', variables: { configuration: 'Release' } });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload.result).toBe('Succeeded');
    expect(finished.payload.steps.map((s) => s.status)).toEqual(Array(6).fill('succeeded'));
    expect(await log(finished.payload.steps[0]!.log)).toContain(`Found node ${process.version}`);
    expect(await log(finished.payload.steps[1]!.log)).toMatch(/\/app\$ npm --version\n\d+\.\d+\.\d+/);
    const bash = await log(finished.payload.steps[2]!.log);
    expect(bash).toContain(`level=job config=Release custom=job-env pwd=${h.scratch}/runs/${started.payload.runId}/s/app sha=${repo.headSha}`);
    expect(finished.payload.outputs.coverage).toEqual([
      { name: 'app/coverage/cobertura-coverage.xml', kind: 'coverage', location: `runs/${started.payload.runId}/coverage/4/app/coverage/cobertura-coverage.xml`, digest: sha256(COBERTURA), size: COBERTURA.length, mediaType: 'application/xml' },
    ]);
    expect(finished.payload.outputs.artifacts).toMatchObject([{ name: 'Shop.1.0.0.nupkg', kind: 'nuget-package', location: `runs/${started.payload.runId}/artifacts/packages/Shop.1.0.0.nupkg`, digest: sha256('nupkg') }]);
  });

  it('fails a NodeTool step clearly when the machine node does not satisfy the versionSpec', async () => {
    const repo = await h.repo('old-node', `steps:\n  - task: NodeTool@0\n    inputs: { versionSpec: 14.x }\n  - script: echo built\n`);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload.result).toBe('Failed');
    expect(finished.payload.steps.map((s) => s.status)).toEqual(['failed', 'skipped']);
    expect(await log(finished.payload.steps[0]!.log)).toContain(`this machine has node ${process.version}, which does not satisfy versionSpec 14.x`);
  });

  it('times out one step by its fractional timeoutInMinutes; continueOnError lets the run succeed', async () => {
    const repo = await h.repo('step-timeout', `steps:\n  - script: sleep 600\n    timeoutInMinutes: 0.03\n    continueOnError: true\n  - script: echo next\n`);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload.steps.map((s) => s.status)).toEqual(['timed-out', 'succeeded']);
    expect(finished.payload.result).toBe('Succeeded');
    expect(finished.payload.steps[0]!.durationMs).toBeLessThan(10_000);
  });

  it("stops a job at its timeoutInMinutes: the job's later steps are skipped, an always() job still runs", async () => {
    const pipeline = `jobs:\n  - job: Slow\n    timeoutInMinutes: 0.03\n    steps:\n      - script: sleep 600\n      - script: echo same job\n  - job: Report\n    condition: always()\n    steps: [{ script: echo report }]\n`;
    const repo = await h.repo('job-timeout', pipeline);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload.result).toBe('Failed');
    expect(finished.payload.error).toMatchObject({ code: 'pipeline.step-failed', message: expect.stringContaining('timed out') });
    expect(finished.payload.steps.map((s) => s.status)).toEqual(['timed-out', 'skipped', 'succeeded']);
  });

  it('runs a failed() job only after a failure, and the given sha rather than the branch head', async () => {
    const pipeline = `jobs:\n  - job: A\n    steps: [{ script: exit 1 }]\n  - job: B\n    steps: [{ script: echo b }]\n  - job: Report\n    condition: failed()\n    steps: [{ script: echo reporting }]\n`;
    const repo = await h.repo('jobs', pipeline);
    await h.sandbox.git.commit(repo.locator, { branch: 'main', changes: [{ action: 'update', path: 'azure-pipelines.yml', content: 'steps: [{ script: echo newer }]\n' }], message: 'newer', author: { name: 't', email: 't@example.com' } });
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main', sha: repo.headSha });
    expect(started.payload.sha).toBe(repo.headSha);
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'succeeded']);
  });

  it('cancels over REST within the tenant only; a finished run cannot be canceled', async () => {
    const repo = await h.repo('rest-cancel', `steps:\n  - script: sleep 600\n`);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    const runId = started.payload.runId;
    const stranger = await h.fx.token({ tenant: 'globex', scopes: [PIPELINES_WRITE, PIPELINES_READ] });
    const reader = await h.fx.token({ scopes: [PIPELINES_READ] });
    await h.fx.http(h.service).post(`/runs/${runId}/cancel`).set('Authorization', `Bearer ${stranger}`).send({}).expect(404);
    await h.fx.http(h.service).post(`/runs/${runId}/cancel`).set('Authorization', `Bearer ${reader}`).send({}).expect(403);
    const accepted = await h.fx.http(h.service).post(`/runs/${runId}/cancel`).set('Authorization', `Bearer ${token}`).send({ reason: 'stop' }).expect(202);
    expect(accepted.body).toEqual({ runId, status: 'canceling' });
    expect((await finishedFor(h.fx, runId)).payload.result).toBe('Canceled');
    const again = await h.fx.http(h.service).post(`/runs/${runId}/cancel`).set('Authorization', `Bearer ${token}`).send({}).expect(409);
    expect(again.body.code).toBe('pipeline.run-already-finished');
  });
});
