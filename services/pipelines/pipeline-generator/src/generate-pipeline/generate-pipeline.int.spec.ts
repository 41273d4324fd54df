import { generatePipeline } from '../domain/pipeline.generator';
import { bareModule, dotnetModule, nodeModule } from '../domain/module.test-fixture';
import { pipelineIdOf } from '../pipeline.messages';
import { PIPELINES_WRITE } from '../pipeline.scopes';
import { generatedFor, generateInput, generationFailedFor, startPipelineHarness, streamTypes, type PipelineHarness } from '../pipeline.testing';

const PATH = 'services/shop/azure-pipelines.yml';

// GeneratePipeline over the bus, committed through the real commit service on real NATS, Postgres and git.
describe('GeneratePipeline', () => {
  let h: PipelineHarness;

  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const read = async (repo: { locator: Parameters<PipelineHarness['sandbox']['git']['readFile']>[0] }, path: string) =>
    (await h.sandbox.git.readFile(repo.locator, 'main', path))?.toString('utf8');
  const commitCount = async (repo: { locator: Parameters<PipelineHarness['sandbox']['git']['log']>[0] }) => (await h.sandbox.git.log(repo.locator, 'main', { limit: 50 })).length;

  it('commits the previewed file with lineage trailers and answers with the branch head', async () => {
    const repo = await h.repository('shop-generate');
    const input = generateInput(repo, nodeModule);
    const token = await h.fx.token({ scopes: [PIPELINES_WRITE] });
    const preview = await h.fx.http(h.generator).post('/pipelines/preview').set('Authorization', `Bearer ${token}`).send(input).expect(200);
    expect(preview.body).toMatchObject({ valid: true, reasons: [], changed: true, baseRevision: repo.headSha, pipelinePath: PATH });

    const command = await h.fx.send('GeneratePipeline', input);
    const event = await generatedFor(h.fx, command.id);
    const head = await h.sandbox.git.resolveBranch(repo.locator, 'main');
    const pipelineId = pipelineIdOf('acme', repo.repositoryId, 'main', PATH);
    expect(event).toMatchObject({ source: 'pipeline-generator', traceId: command.traceId, correlationId: command.correlationId, actor: { kind: 'service', id: 'pipeline-generator' } });
    expect(event.payload).toEqual({
      pipelineId,
      repositoryId: repo.repositoryId,
      branch: 'main',
      module: 'shop',
      pipelinePath: PATH,
      contentDigest: preview.body.contentDigest,
      changed: true,
      commitSha: head,
    });
    expect(await read(repo, PATH)).toBe(preview.body.content);
    const commit = await h.sandbox.git.getCommit(repo.locator, head!);
    expect(commit?.parents).toEqual([repo.headSha]);
    expect(commit?.trailers).toMatchObject({ 'Pipeline-Id': pipelineId, Module: 'shop', 'Content-Digest': preview.body.contentDigest, 'Trace-Id': command.traceId });
    expect(await streamTypes(h.generator, pipelineId)).toEqual(['CreateCommit', 'PipelineGenerated']);
  });

  it('answers the same metadata again with changed false and commits nothing', async () => {
    const repo = await h.repository('shop-unchanged');
    const input = generateInput(repo, nodeModule);
    const first = await generatedFor(h.fx, (await h.fx.send('GeneratePipeline', input)).id);
    expect(await commitCount(repo)).toBe(2);

    const second = await generatedFor(h.fx, (await h.fx.send('GeneratePipeline', input)).id);
    expect(second.payload).toMatchObject({ changed: false, commitSha: null, pipelineId: first.payload.pipelineId, contentDigest: first.payload.contentDigest });
    expect(await commitCount(repo)).toBe(2);
    expect(await h.sandbox.git.resolveBranch(repo.locator, 'main')).toBe(first.payload.commitSha);
  });

  it('commits again when the metadata changes', async () => {
    const repo = await h.repository('shop-changed');
    const first = await generatedFor(h.fx, (await h.fx.send('GeneratePipeline', generateInput(repo, nodeModule))).id);
    const changedModule = { ...nodeModule, build: 'npm run build:prod', environments: ['dev1'] };
    const second = await generatedFor(h.fx, (await h.fx.send('GeneratePipeline', generateInput(repo, changedModule))).id);
    expect(second.payload).toMatchObject({ changed: true, pipelineId: first.payload.pipelineId });
    expect(second.payload.contentDigest).not.toBe(first.payload.contentDigest);
    expect(second.payload.commitSha).toBe(await h.sandbox.git.resolveBranch(repo.locator, 'main'));
    expect((await h.sandbox.git.getCommit(repo.locator, second.payload.commitSha!))?.parents).toEqual([first.payload.commitSha]);
    expect(await read(repo, PATH)).toBe(generatePipeline(changedModule).content);
  });

  it('refuses invalid metadata with every reason and commits nothing', async () => {
    const repo = await h.repository('shop-invalid');
    const { packages: _, ...noPackages } = nodeModule;
    const module = { ...noPackages, testResults: { format: 'junit' as const, glob: '../outside/junit.xml' } };
    const command = await h.fx.send('GeneratePipeline', generateInput(repo, module));
    const failed = await generationFailedFor(h.fx, command.id);
    expect(failed.payload).toMatchObject({ repositoryId: repo.repositoryId, branch: 'main', module: 'shop' });
    expect(failed.payload.error).toMatchObject({ code: 'pipeline.invalid-metadata', retryable: false });
    expect(failed.payload.error.details).toEqual([
      { subject: 'module.pack', message: expect.stringMatching(/no packages/) },
      { subject: 'module.testResults.glob', message: expect.stringMatching(/leaves the module directory/) },
    ]);
    expect(await commitCount(repo)).toBe(1);
    expect(await read(repo, PATH)).toBeUndefined();
    expect(await streamTypes(h.generator, pipelineIdOf('acme', repo.repositoryId, 'main', PATH))).toEqual(['PipelineGenerationFailed']);
  });

  it('refuses a branch that does not exist', async () => {
    const repo = await h.repository('shop-no-branch');
    const command = await h.fx.send('GeneratePipeline', generateInput(repo, nodeModule, { branch: 'feature/none' }));
    const failed = await generationFailedFor(h.fx, command.id);
    expect(failed.payload.error).toMatchObject({ code: 'branch.not-found', retryable: false });
  });

  it('commits every module of a branch when they are generated at once (a lost compare-and-swap plans again)', async () => {
    const repo = await h.repository('monorepo');
    const modules = [nodeModule, dotnetModule, { ...bareModule, path: 'tools/cli' }, { ...bareModule, name: 'web', path: 'apps/web' }];
    const commands = await Promise.all(modules.map((module) => h.fx.send('GeneratePipeline', generateInput(repo, module))));
    const events = await Promise.all(commands.map((command) => generatedFor(h.fx, command.id)));
    expect(events.every((e) => e.payload.changed)).toBe(true);
    expect(await commitCount(repo)).toBe(1 + modules.length);
    for (const module of modules) expect(await read(repo, generatePipeline(module).path)).toBe(generatePipeline(module).content);
  });

  it('writes the file at the pipeline path it is given', async () => {
    const repo = await h.repository('shop-path');
    const event = await generatedFor(h.fx, (await h.fx.send('GeneratePipeline', generateInput(repo, nodeModule, { pipelinePath: 'ci/shop.yml' }))).id);
    expect(event.payload).toMatchObject({ pipelinePath: 'ci/shop.yml', changed: true });
    expect(await read(repo, 'ci/shop.yml')).toBe(generatePipeline(nodeModule).content);
  });
});
