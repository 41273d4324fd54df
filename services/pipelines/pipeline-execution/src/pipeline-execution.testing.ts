import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { FileArtifactStore } from '@delivery/artifacts';
import { createGitSandbox, seedRepository, type GitSandbox, type SeededRepository } from '@delivery/repository-directory/testing';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, waitForMessages, type ServiceFixture } from '@delivery/testing';
import { pipelineExecutionService } from './pipeline-execution.service';

// Shared by the service's integration tests: the service on real NATS, Postgres and git, with a runner work
// directory and an artifact store of the test file's own.
export type StartedEvent = Envelope<PayloadOf<'PipelineRunStarted'>, 'PipelineRunStarted'>;
export type FinishedEvent = Envelope<PayloadOf<'PipelineRunFinished'>, 'PipelineRunFinished'>;
export type RejectedEvent = Envelope<PayloadOf<'PipelineRunRejected'>, 'PipelineRunRejected'>;

export interface PipelineHarness {
  fx: ServiceFixture;
  sandbox: GitSandbox;
  service: RunningService;
  store: FileArtifactStore;
  /** a scratch directory for the test's own files (pid files) */
  scratch: string;
  repo(name: string, pipeline: string | undefined, files?: Record<string, string>): Promise<SeededRepository>;
  restart(): Promise<RunningService>;
  close(): Promise<void>;
}

export async function startPipelineHarness(env: Record<string, string> = {}): Promise<PipelineHarness> {
  const root = await mkdtemp(join(tmpdir(), 'pipeline-execution-'));
  const settings: Record<string, string> = { RUNNER_WORK_DIR: join(root, 'runs'), ARTIFACT_DIR: join(root, 'artifacts'), RUNNER_POLL_MS: '100', ...env };
  Object.assign(process.env, settings);
  const sandbox = await createGitSandbox();
  const fx = await createServiceFixture('pipelines');
  const harness: PipelineHarness = {
    fx,
    sandbox,
    service: await fx.start(pipelineExecutionService()),
    store: new FileArtifactStore(settings.ARTIFACT_DIR!),
    scratch: root,
    async repo(name, pipeline, files = {}) {
      const all = { 'README.md': `# ${name}\n`, ...(pipeline === undefined ? {} : { 'azure-pipelines.yml': pipeline }), ...files };
      return seedRepository(fx, sandbox, name, { files: all, knownBy: harness.service });
    },
    async restart() {
      await harness.service.close();
      harness.service = await fx.start(pipelineExecutionService());
      return harness.service;
    },
    async close() {
      await fx.close();
      await sandbox.close();
      for (const key of Object.keys(settings)) delete process.env[key];
      await rm(root, { recursive: true, force: true });
    },
  };
  return harness;
}

function eventOf<T extends Envelope>(fx: ServiceFixture, type: T['type'], predicate: (event: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const names = fx.bus.names;
  return waitForMessages<T>(fx.bus, { stream: names.eventStream('pipelines'), subject: names.eventFilter('pipelines', type), predicate, timeoutMs }).then((found) => found[0]!);
}

export const startedFor = (fx: ServiceFixture, commandId: string, timeoutMs?: number) => eventOf<StartedEvent>(fx, 'PipelineRunStarted', (e) => e.causationId === commandId, timeoutMs);
export const finishedFor = (fx: ServiceFixture, runId: string, timeoutMs?: number) => eventOf<FinishedEvent>(fx, 'PipelineRunFinished', (e) => e.payload.runId === runId, timeoutMs);
export const rejectedFor = (fx: ServiceFixture, commandId: string) => eventOf<RejectedEvent>(fx, 'PipelineRunRejected', (e) => e.causationId === commandId);

/** RunPipeline on the bus, its PipelineRunStarted */
export async function runOnBus(h: PipelineHarness, payload: PayloadOf<'RunPipeline'>): Promise<StartedEvent> {
  const command = await h.fx.send('RunPipeline', payload);
  return startedFor(h.fx, command.id);
}
