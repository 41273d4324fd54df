import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signTestToken } from '@delivery/auth';
import { ContractClient, eventually } from '@delivery/testing';
// loopback registries the services' own tests use (boundary rule off for e2e specs)
import { startRegistry, type LocalRegistry } from '../../packaging/container-image/src/container-image.testing';
import { startVerdaccio, type Verdaccio } from '../../packaging/package-publishing/src/testing/verdaccio.testing';
import { createPlatform, filesOf, sampleModule, type Json, type PlatformProcesses } from './platform.fixture';

jest.setTimeout(300_000);

const SECRET = 'pipelines-e2e-secret-0123456789abcdef';
const SERVICES = [
  'source-control/repository',
  'source-control/commit',
  'pipelines/pipeline-generator',
  'pipelines/pipeline-execution',
  'pipelines/build-result',
  'packaging/package-publishing',
  'packaging/container-image',
];
const PROJECT = 'greeter';
const FIXTURE = path.join(__dirname, 'fixtures', 'sample-module');

// Issue 5's story as real processes on real NATS, Postgres, git, Verdaccio and docker-registry: an agent that knows
// only contracts/ provisions a repository holding the sample Node module, has its pipeline generated and run by the
// local runner (npm test writes JUnit and lcov, npm pack the tarball), gets a BuildCompleted with the module's real
// test counts and coverage, publishes the package to the npm registry and packs it into an OCI image, all under
// one traceId that the lineage endpoint returns whole.
describe('pipelines and packaging end to end (real processes, registries and git)', () => {
  let platform: PlatformProcesses;
  let verdaccio: Verdaccio;
  let registry: LocalRegistry;
  let scratch: string;
  const seen: Json[] = [];
  const contracts = ContractClient.load();

  beforeAll(async () => {
    [verdaccio, registry, scratch] = await Promise.all([startVerdaccio(), startRegistry(), mkdtemp(path.join(tmpdir(), 'e2epipe-'))]);
    platform = await createPlatform('e2epipe', SECRET);
    platform.onEvents('acme.evt.>', (event) => seen.push(event));
  });
  afterAll(async () => {
    await platform?.close();
    await Promise.all([verdaccio?.close(), registry?.stop(), scratch && rm(scratch, { recursive: true, force: true })]);
  });

  it('a module goes from its repository through a generated pipeline and a local run to an npm package and an OCI image, on one trace', async () => {
    const npmToken = await verdaccio.addUser('platform', 'platform-secret');
    await platform.start(SERVICES, {
      ARTIFACT_DIR: path.join(scratch, 'artifacts'),
      RUNNER_WORK_DIR: path.join(scratch, 'runs'),
      PACKAGE_FEEDS: JSON.stringify({ npm: { kind: 'npm-registry', url: verdaccio.url, token: npmToken } }),
      CONTAINER_REGISTRIES: JSON.stringify({ [registry.host]: { url: registry.url, kind: 'distribution' } }),
      DEFAULT_REGISTRY: registry.host,
    });
    const traceId = randomBytes(16).toString('hex');
    const agent = { kind: 'agent', id: 'builder-agent-3' } as const;
    const publish = (type: string, payload: Json) => platform.publish(contracts.command(type, payload, { tenantId: 'acme', projectId: PROJECT, traceId, actor: agent }));
    const answer = (types: string[], command: Json, timeoutMs = 60_000) =>
      eventually(async () => seen.find((e) => types.includes(e.type) && e.causationId === command.id), `${types.join(' or ')} to ${command.type}`, timeoutMs);
    const expectType = (event: Json, type: string) => {
      if (event.type !== type) throw new Error(`expected ${type}, got ${event.type}: ${JSON.stringify(event.payload)}`);
      return event.payload as Json;
    };

    // --- 1. a repository holding the sample module
    const provision = await publish('ProvisionRepository', { name: 'greeter', purpose: 'application', initialFiles: await filesOf(FIXTURE) });
    const { repositoryId } = expectType(await answer(['RepositoryProvisioned'], provision), 'RepositoryProvisioned');

    // --- 2. its pipeline, generated from metadata and committed
    const module = sampleModule('1.0.0');
    // generation waits until the generator knows the repository (it learns it from RepositoryProvisioned)
    const generated = await eventually(async () => {
      const event = await answer(['PipelineGenerated', 'PipelineGenerationFailed'], await publish('GeneratePipeline', { repositoryId, branch: 'main', module }));
      return event.type === 'PipelineGenerated' || event.payload.error?.code !== 'repository.not-found' ? event : undefined;
    }, 'the pipeline generated', 60_000);
    const pipeline = expectType(generated, 'PipelineGenerated');
    expect(pipeline).toMatchObject({ repositoryId, branch: 'main', pipelinePath: 'azure-pipelines.yml', changed: true });

    // --- 3. a run of that commit on the local runner
    const run = await publish('RunPipeline', { repositoryId, branch: 'main', sha: pipeline.commitSha, reason: 'manual' });
    const started = expectType(await answer(['PipelineRunStarted', 'PipelineRunRejected'], run), 'PipelineRunStarted');
    const finished = await eventually(async () => seen.find((e) => e.type === 'PipelineRunFinished' && e.payload.runId === started.runId), 'the run to finish', 180_000);
    expect(finished.payload).toMatchObject({ result: 'Succeeded', sha: pipeline.commitSha });
    expect(finished.payload.steps.map((s: Json) => s.status)).toEqual(finished.payload.steps.map(() => 'succeeded'));

    // --- 4. the build, with the module's real test counts and coverage
    const built = await eventually(async () => seen.find((e) => ['BuildCompleted', 'BuildResultIngestionFailed'].includes(e.type) && e.payload.runId === started.runId), 'the build', 60_000);
    const build = expectType(built, 'BuildCompleted');
    expect(build).toMatchObject({ status: 'Succeeded', repositoryId, sha: pipeline.commitSha, tests: { total: 4, passed: 3, failed: 0, skipped: 1 } });
    expect(build.coverage.lines).toBeGreaterThan(50);
    const tarball = (build.artifacts as Json[]).find((a) => a.kind === 'npm-package');
    expect(tarball).toMatchObject({ name: expect.stringContaining('sample-greeter-1.0.0.tgz') });

    // --- 5. the package to the npm registry, the image to the OCI registry
    const publishPackage = await publish('PublishPackage', { buildId: build.buildId, format: 'npm', artifact: tarball, name: '@sample/greeter', version: '1.0.0', feed: { kind: 'npm-registry', name: 'npm' } });
    const image = await publish('BuildContainerImage', {
      buildId: build.buildId,
      repository: 'sample/greeter',
      tags: ['1.0.0'],
      layers: [tarball],
      config: { cmd: ['node', '/app/src/server.js'], env: { PORT: '3000' }, exposedPorts: [3000], workingDir: '/app' },
    });
    const published = expectType(await answer(['PackagePublished', 'PackagePublishFailed'], publishPackage), 'PackagePublished');
    const packument = (await (await fetch(`${verdaccio.url}@sample%2fgreeter`)).json()) as Json;
    expect(published).toMatchObject({ name: '@sample/greeter', version: '1.0.0', alreadyPublished: false, integrity: packument.versions['1.0.0'].dist.integrity });
    const pushed = expectType(await answer(['ContainerImagePushed', 'ContainerImageBuildFailed'], image), 'ContainerImagePushed');
    const manifest = await fetch(`${registry.url}/v2/sample/greeter/manifests/1.0.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(`sha256:${createHash('sha256').update(Buffer.from(await manifest.arrayBuffer())).digest('hex')}`).toBe(pushed.digest);

    // --- 6. one trace, commit to image: the lineage endpoint returns the whole story in order
    const opsUrl = platform.urlOf('ops');
    const lineageToken = await signTestToken({ sub: 'studio', tenant: 'acme', scopes: ['devops.lineage.read'] }, SECRET);
    const story = await eventually(async () => {
      const response = await fetch(`${opsUrl}/lineage/${traceId}`, { headers: { authorization: `Bearer ${lineageToken}` } });
      const entries = ((await response.json()) as Json).entries as Json[];
      return entries.some((e) => e.type === 'ContainerImagePushed') && entries.some((e) => e.type === 'PackagePublished') ? entries : undefined;
    }, 'the lineage of the trace', 30_000);
    const types = story.map((e) => e.type as string);
    for (const type of ['RepositoryProvisioned', 'GeneratePipeline', 'CreateCommit', 'CommitCreated', 'PipelineGenerated', 'RunPipeline', 'PipelineRunStarted', 'PipelineRunFinished', 'BuildCompleted', 'PublishPackage', 'PackagePublished', 'BuildContainerImage', 'ContainerImagePushed']) {
      expect(types).toContain(type);
    }
    expect(types.indexOf('PipelineGenerated')).toBeLessThan(types.indexOf('PipelineRunStarted'));
    expect(types.indexOf('PipelineRunFinished')).toBeLessThan(types.indexOf('BuildCompleted'));
    expect(types.indexOf('BuildCompleted')).toBeLessThan(types.indexOf('ContainerImagePushed'));
  });
});
