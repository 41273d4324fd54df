import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { eventually, waitForMessages } from '@delivery/testing';
import { PIPELINES_READ, PIPELINES_WRITE } from './pipeline-execution.scopes';
import { finishedFor, rejectedFor, runOnBus, startPipelineHarness, type PipelineHarness } from './pipeline-execution.testing';
import { processAlive } from './runner/process-group';

const sha256 = (text: string | Buffer) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const JUNIT = '<testsuite name="unit" tests="1" failures="0"><testcase classname="shop" name="works"/></testsuite>';

const BUILD = `
trigger: [main]
variables:
  - name: greeting
    value: hello
steps:
  - script: |
      mkdir -p reports
      printf '%s' '${JUNIT}' > reports/TEST-unit.xml
      printf '%s' "$(greeting) $(Build.SourceVersion)" > $(Build.ArtifactStagingDirectory)/build-info.txt
      tar czf $(Build.ArtifactStagingDirectory)/shop-1.0.0.tgz README.md
      echo "branch $BUILD_SOURCEBRANCHNAME greeting $GREETING"
    displayName: Build and test
  - task: PublishTestResults@2
    inputs:
      testResultsFormat: JUnit
      testResultsFiles: '**/TEST-*.xml'
  - task: PublishPipelineArtifact@1
    inputs: { targetPath: $(Build.ArtifactStagingDirectory), artifact: drop }
`;

describe('pipeline-execution: runs on the local runner', () => {
  let h: PipelineHarness;
  let token: string;

  beforeAll(async () => {
    h = await startPipelineHarness();
    token = await h.fx.token({ scopes: [PIPELINES_READ, PIPELINES_WRITE] });
  });
  afterAll(async () => {
    await h?.close();
  });

  const get = (path: string, bearer = token) => h.fx.http(h.service).get(path).set('Authorization', `Bearer ${bearer}`);
  const pidIn = (file: string) => Number(readFileSync(join(h.scratch, file), 'utf8').trim());

  it('runs a pipeline: Started, then Finished Succeeded with test results and artifacts whose digests match the store', async () => {
    const repo = await h.repo('shop', BUILD);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    expect(started.payload).toMatchObject({ repositoryId: repo.repositoryId, branch: 'main', sha: repo.headSha, pipelinePath: 'azure-pipelines.yml', runner: 'local', reason: 'manual', pullRequestId: null });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload).toMatchObject({ result: 'Succeeded', sha: repo.headSha });
    expect(finished.traceId).toBe(started.traceId);
    expect(finished.payload.steps.map((s) => [s.name, s.status, s.exitCode])).toEqual([
      ['Build and test', 'succeeded', 0],
      ['PublishTestResults@2', 'succeeded', 0],
      ['PublishPipelineArtifact@1', 'succeeded', 0],
    ]);
    const runId = started.payload.runId;
    expect(finished.payload.steps[0]!.log).toBe(`runs/${runId}/logs/1-build-and-test.log`);

    const [results] = finished.payload.outputs.testResults;
    expect(results).toMatchObject({ name: 'reports/TEST-unit.xml', kind: 'test-results', digest: sha256(JUNIT), mediaType: 'application/junit+xml' });
    const artifacts = finished.payload.outputs.artifacts;
    expect(artifacts.map((a) => [a.name, a.kind])).toEqual([
      ['build-info.txt', 'file'],
      ['shop-1.0.0.tgz', 'npm-package'],
    ]);
    expect(artifacts[0]!.digest).toBe(sha256(`hello ${repo.headSha}`));
    for (const ref of [results!, ...artifacts]) {
      expect(ref.location.startsWith(`runs/${runId}/`)).toBe(true);
      const stored = await h.store.stat(ref.location);
      expect(stored).toMatchObject({ digest: ref.digest, size: ref.size });
      expect(sha256(await h.store.read(ref.location))).toBe(ref.digest);
    }

    const log = await get(`/runs/${runId}/steps/1/log`).expect(200);
    expect(log.text).toContain('branch main greeting hello');
    const run = (await get(`/runs/${runId}`).expect(200)).body;
    expect(run).toMatchObject({ runId, status: 'finished', result: 'Succeeded', attempt: 1, steps: [{ index: 1, status: 'succeeded' }, { index: 2 }, { index: 3 }] });
    const list = (await get(`/runs?repositoryId=${repo.repositoryId}`).expect(200)).body;
    expect(list.items.map((r: { runId: string }) => r.runId)).toEqual([runId]);
    // another tenant sees nothing
    const stranger = await h.fx.token({ tenant: 'globex', scopes: [PIPELINES_READ] });
    await get(`/runs/${runId}`, stranger).expect(404);
    await get(`/runs/${runId}/steps/1/log`, stranger).expect(404);
    expect(existsSync(join(h.scratch, 'runs', runId))).toBe(false);
  });

  it('feeds the checks of a pull request from its run: pending when it starts, the result when it ends', async () => {
    const repo = await h.repo('shop-pr', BUILD);
    const pullRequestId = '01890a5d-ac96-7000-8000-000000000042';
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main', pullRequestId, reason: 'pull-request' });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload).toMatchObject({ result: 'Succeeded', pullRequestId });
    const names = h.fx.bus.names;
    const checks = await waitForMessages<Envelope<PayloadOf<'SetPullRequestCheck'>>>(h.fx.bus, {
      stream: names.commandStream('source-control'),
      subject: names.commandFilter('pull-request'),
      predicate: (e) => e.type === 'SetPullRequestCheck' && e.payload.pullRequestId === pullRequestId,
      count: 2,
    });
    expect(checks.map((c) => c.payload)).toEqual([
      expect.objectContaining({ name: 'pipeline/azure-pipelines.yml', state: 'pending', sourceSha: repo.headSha }),
      expect.objectContaining({ name: 'pipeline/azure-pipelines.yml', state: 'succeeded', sourceSha: repo.headSha }),
    ]);
    expect(checks.every((c) => c.traceId === started.traceId)).toBe(true);
  });

  it('fails on a failing step: later steps skipped, an always() step still runs', async () => {
    const repo = await h.repo('failing', `steps:\n  - script: echo before; exit 3\n    displayName: Broken\n  - script: echo never\n  - script: echo cleanup\n    condition: always()\n    displayName: Cleanup\n`);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload.result).toBe('Failed');
    expect(finished.payload.error).toMatchObject({ code: 'pipeline.step-failed', message: expect.stringContaining('step 1 (Broken) failed with exit code 3') });
    expect(finished.payload.steps.map((s) => [s.status, s.exitCode])).toEqual([
      ['failed', 3],
      ['skipped', null],
      ['succeeded', 0],
    ]);
    expect((await h.store.read(finished.payload.steps[2]!.log!)).toString()).toContain('cleanup');
  });

  it('times a hanging step out with the run timeout and kills its process group', async () => {
    const repo = await h.repo('hanging', `steps:\n  - script: |\n      echo $$ > ${h.scratch}/hang-leader.pid\n      sleep 600 &\n      echo $! > ${h.scratch}/hang-child.pid\n      wait\n  - script: echo after\n`);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main', timeoutSeconds: 2 });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload.result).toBe('Failed');
    expect(finished.payload.error?.code).toBe('pipeline.timed-out');
    expect(finished.payload.steps.map((s) => s.status)).toEqual(['timed-out', 'skipped']);
    expect(finished.payload.durationMs).toBeLessThan(15_000);
    for (const file of ['hang-leader.pid', 'hang-child.pid']) expect(processAlive(pidIn(file))).toBe(false);
  });

  it('cancels a running run: the step and the children it spawned are killed, the run is Canceled', async () => {
    const script = `bash -c 'sleep 600 & echo $! > ${h.scratch}/bg.pid; sleep 600 & echo $! > ${h.scratch}/fg.pid; wait'`;
    const repo = await h.repo('cancel', `steps:\n  - script: ${JSON.stringify(script)}\n    displayName: Hang\n  - script: echo after\n`);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    await eventually(async () => (existsSync(join(h.scratch, 'bg.pid')) && existsSync(join(h.scratch, 'fg.pid')) ? true : undefined), 'the step started its children');
    const pids = [pidIn('bg.pid'), pidIn('fg.pid')];
    expect(pids.every(processAlive)).toBe(true);
    await h.fx.send('CancelPipelineRun', { runId: started.payload.runId, reason: 'not needed' });
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload.result).toBe('Canceled');
    expect(finished.payload.steps.map((s) => s.status)).toEqual(['canceled', 'canceled']);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    const run = (await get(`/runs/${started.payload.runId}`).expect(200)).body;
    expect(run).toMatchObject({ status: 'canceled', result: 'Canceled', cancelRequested: true });
  });

  it('rejects a pipeline with an unsupported task before starting, naming task and step', async () => {
    const repo = await h.repo('docker', `steps:\n  - script: echo ok\n  - task: Docker@2\n    displayName: Build image\n    inputs: { command: build }\n`);
    const command = await h.fx.send('RunPipeline', { repositoryId: repo.repositoryId, branch: 'main' });
    const rejected = await rejectedFor(h.fx, command.id);
    expect(rejected.payload).toMatchObject({ repositoryId: repo.repositoryId, branch: 'main', error: { code: 'pipeline.unsupported-task', message: expect.stringMatching(/step 2 \(Build image\): task Docker@2/) } });
    const rows = await h.service.dataSource.query(`SELECT 1 FROM pipeline_runs WHERE repository_id = $1`, [repo.repositoryId]);
    expect(rows).toHaveLength(0);
  });

  it('rejects a run when the pipeline file is missing at the ref', async () => {
    const repo = await h.repo('no-pipeline', undefined);
    const command = await h.fx.send('RunPipeline', { repositoryId: repo.repositoryId, branch: 'main' });
    expect((await rejectedFor(h.fx, command.id)).payload.error).toMatchObject({ code: 'pipeline.file-not-found', message: expect.stringContaining('azure-pipelines.yml') });
  });

  it('rejects a run of a branch or a commit that does not exist', async () => {
    const repo = await h.repo('no-branch', 'steps: [{ script: echo hi }]\n');
    const command = await h.fx.send('RunPipeline', { repositoryId: repo.repositoryId, branch: 'nope' });
    expect((await rejectedFor(h.fx, command.id)).payload.error.code).toBe('pipeline.unknown-ref');
    const unknownSha = await h.fx.send('RunPipeline', { repositoryId: repo.repositoryId, branch: 'main', sha: 'b'.repeat(40) });
    expect((await rejectedFor(h.fx, unknownSha.id)).payload).toMatchObject({ sha: 'b'.repeat(40), error: { code: 'pipeline.unknown-ref' } });
  });

  it('queues over REST and follows a live log until the step ends', async () => {
    const repo = await h.repo('ticks', `steps:\n  - script: for i in 1 2 3 4; do echo tick $i; sleep 0.4; done\n    displayName: Ticks\n`);
    const writer = await h.fx.token({ scopes: [PIPELINES_WRITE, PIPELINES_READ] });
    const queued = await h.fx.http(h.service).post('/runs').set('Authorization', `Bearer ${writer}`).send({ projectId: 'web', repositoryId: repo.repositoryId, branch: 'main' }).expect(202);
    const runId = queued.body.runId as string;
    await eventually(async () => ((await get(`/runs/${runId}`)).body.steps?.[0]?.status === 'running' ? true : undefined), 'step 1 running');
    const live = await get(`/runs/${runId}/steps/1/log?follow=1`).expect(200);
    expect(live.text).toMatch(/tick 1[\s\S]*tick 4[\s\S]*Finishing: Ticks/);
    expect((await finishedFor(h.fx, runId)).payload.result).toBe('Succeeded');
  });
});
