import { Type } from '@sinclair/typebox';
import { command, event } from '../message';
import {
  ApplicationName,
  ArtifactRef,
  BranchName,
  BuildStatus,
  CoverageSummary,
  EntityId,
  EnvironmentName,
  EnvVars,
  Failure,
  ImageRepository,
  PackageFormat,
  RepoPath,
  Sha,
  Sha256Digest,
  StrictObject,
  StringEnum,
  TestSummary,
  Timestamp,
} from './shared.schemas';

// Pipeline generator, pipeline execution and build result (DESIGN §2, issue 5). A pipeline lives in and runs
// from a repository; a failed build halts its flow (no package, no image, no release).
const context = 'pipelines';
const repositoryId = EntityId;
const runId = EntityId;
const Script = Type.String({ minLength: 1, maxLength: 4000, description: 'a shell command line' });
const Glob = Type.String({ minLength: 1, maxLength: 500, description: 'file glob relative to the module path' });
const RunResult = StringEnum(['Succeeded', 'Failed', 'Canceled']);
const Runner = StringEnum(['local', 'azure-pipelines']);
const RunReason = StringEnum(['manual', 'pull-request', 'merge', 'schedule', 'retry']);

// What the generator needs to know about a module; everything else is convention.
const ModuleMetadata = StrictObject({
  name: ApplicationName,
  path: Type.Optional(RepoPath),
  runtime: StringEnum(['node', 'dotnet']),
  runtimeVersion: Type.Optional(Type.String({ maxLength: 20, pattern: '^[0-9]+(\\.[0-9x]+){0,2}$', description: 'e.g. 20.x, 8.0' })),
  install: Type.Optional(Script),
  build: Type.Optional(Script),
  test: Type.Optional(Script),
  pack: Type.Optional(Script),
  testResults: Type.Optional(StrictObject({ format: StringEnum(['junit', 'trx']), glob: Glob })),
  coverage: Type.Optional(StrictObject({ format: StringEnum(['cobertura', 'lcov']), glob: Glob })),
  packages: Type.Optional(Type.Array(StrictObject({ format: PackageFormat, path: RepoPath }), { maxItems: 20 })),
  images: Type.Optional(
    Type.Array(StrictObject({ repository: ImageRepository, context: Type.Optional(RepoPath), dockerfile: Type.Optional(RepoPath) }), { maxItems: 20 }),
  ),
  environments: Type.Optional(Type.Array(EnvironmentName, { maxItems: 20, uniqueItems: true })),
  variables: Type.Optional(EnvVars),
  templates: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500, description: 'template reference, e.g. steps/node.yml@templates' }), { maxItems: 20 })),
});

const StepOutcome = StrictObject({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  status: StringEnum(['succeeded', 'failed', 'skipped', 'canceled', 'timed-out']),
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Integer({ minimum: 0 }),
  log: Type.Optional(Type.String({ maxLength: 2048, description: 'artifact-store key of the step log' })),
});

export const pipelinesMessages = [
  // --- pipeline-generator
  command('GeneratePipeline', {
    service: 'pipeline-generator',
    summary: "Generate the module's Azure Pipelines YAML from its metadata and commit it to the repository.",
    payload: StrictObject({
      repositoryId,
      branch: BranchName,
      module: ModuleMetadata,
      pipelinePath: Type.Optional(RepoPath),
    }),
  }),
  event('PipelineGenerated', {
    service: 'pipeline-generator',
    context,
    summary: 'The pipeline definition is in the repository (committed only when its content changed).',
    payload: StrictObject({
      pipelineId: EntityId,
      repositoryId,
      branch: BranchName,
      module: ApplicationName,
      pipelinePath: RepoPath,
      contentDigest: Sha256Digest,
      changed: Type.Boolean(),
      commitSha: Type.Union([Sha, Type.Null()], { description: 'null when the file was already up to date' }),
    }),
  }),
  event('PipelineGenerationFailed', {
    service: 'pipeline-generator',
    context,
    summary: 'The metadata was invalid or the generated YAML failed the Azure Pipelines schema; details list the reasons.',
    payload: StrictObject({ repositoryId, branch: BranchName, module: Type.Optional(Type.String({ maxLength: 100 })), error: Failure }),
  }),

  // --- pipeline-execution
  command('RunPipeline', {
    service: 'pipeline-execution',
    summary: 'Queue a run of the pipeline at a ref.',
    payload: StrictObject({
      repositoryId,
      branch: BranchName,
      sha: Type.Optional(Sha),
      pipelinePath: Type.Optional(RepoPath),
      pullRequestId: Type.Optional(EntityId),
      reason: Type.Optional(RunReason),
      runner: Type.Optional(Runner),
      variables: Type.Optional(EnvVars),
      timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    }),
  }),
  event('PipelineRunStarted', {
    service: 'pipeline-execution',
    context,
    summary: 'A pipeline run left the queue and started on a runner.',
    payload: StrictObject({
      runId,
      repositoryId,
      branch: BranchName,
      sha: Sha,
      pipelinePath: RepoPath,
      pullRequestId: Type.Union([EntityId, Type.Null()]),
      runner: Runner,
      reason: RunReason,
      startedAt: Timestamp,
    }),
  }),
  event('PipelineRunRejected', {
    service: 'pipeline-execution',
    context,
    summary: 'A run could not start (unknown ref, missing pipeline file, unsupported task).',
    payload: StrictObject({ repositoryId, branch: BranchName, sha: Type.Optional(Sha), error: Failure }),
  }),
  command('CancelPipelineRun', {
    service: 'pipeline-execution',
    summary: 'Cancel a queued or running pipeline run (its whole process tree).',
    payload: StrictObject({ runId, reason: Type.Optional(Type.String({ maxLength: 1000 })) }),
  }),
  event('PipelineRunFinished', {
    service: 'pipeline-execution',
    context,
    summary: 'A pipeline run ended (succeeded, failed, timed out or canceled) with its step outcomes and outputs.',
    payload: StrictObject({
      runId,
      repositoryId,
      branch: BranchName,
      sha: Sha,
      pullRequestId: Type.Union([EntityId, Type.Null()]),
      result: RunResult,
      error: Type.Optional(Failure),
      startedAt: Timestamp,
      finishedAt: Timestamp,
      durationMs: Type.Integer({ minimum: 0 }),
      steps: Type.Array(StepOutcome, { maxItems: 500 }),
      outputs: StrictObject({
        testResults: Type.Array(ArtifactRef, { maxItems: 100 }),
        coverage: Type.Array(ArtifactRef, { maxItems: 100 }),
        artifacts: Type.Array(ArtifactRef, { maxItems: 200 }),
      }),
    }),
  }),

  // --- build-result (consumes PipelineRunFinished)
  event('BuildCompleted', {
    service: 'build-result',
    context,
    summary: 'The results of a run were ingested: status, test counts, coverage and artifacts with digests.',
    payload: StrictObject({
      buildId: EntityId,
      runId,
      repositoryId,
      branch: BranchName,
      sha: Sha,
      pullRequestId: Type.Union([EntityId, Type.Null()]),
      status: BuildStatus,
      tests: TestSummary,
      coverage: Type.Union([CoverageSummary, Type.Null()], { description: 'null when the run reported none' }),
      failedTests: Type.Array(
        StrictObject({ suite: Type.Optional(Type.String({ maxLength: 500 })), name: Type.String({ maxLength: 500 }), message: Type.Optional(Type.String({ maxLength: 2000 })) }),
        { maxItems: 50, description: 'the first failures, for people' },
      ),
      artifacts: Type.Array(ArtifactRef, { maxItems: 200 }),
    }),
  }),
  event('BuildResultIngestionFailed', {
    service: 'build-result',
    context,
    summary: 'Test or coverage reports of a run could not be read (malformed JUnit/TRX, Cobertura, lcov).',
    payload: StrictObject({ runId, repositoryId, file: Type.Optional(Type.String({ maxLength: 2048 })), error: Failure }),
  }),
] as const;
