import type { Readable } from 'node:stream';
import type { ArtifactStore } from '@delivery/artifacts';
import type { schemas } from '@delivery/contracts';
import { BuildStatus, type Build, type BuildArtifact, type BuildDefinition } from 'azure-devops-node-api/interfaces/BuildInterfaces';
import type { PipelineRunner, RunControl, RunOutcome, RunOutputs, RunRequest, StepRecord } from '../runner.port';
import { AzureBuildClient, delay, type AzurePipelinesConfig } from './azure-pipelines.client';
import { DefinitionNotFoundError, isRetryable, mapAzureError } from './azure-pipelines.errors';
import { isCompleted, logKeyOf, queueBodyOf, resultOf, stepsOf, type MappedStep } from './azure-pipelines.mapping';

// Runs a pipeline on Azure Pipelines: finds the YAML definition of the repository's pipeline file, queues a build
// at the run's commit (tagged with the runId, so a repeated attempt finds it instead of queueing twice), follows
// it by polling with backoff, and at the end copies the task logs and the build's artifacts into the artifact
// store. A cancel, a shutdown or the run's timeout ask ADO to cancel the build.
/** Nest token of the Azure runner (null when AZURE_DEVOPS_* are not configured) */
export const AZURE_PIPELINES_RUNNER = Symbol('AZURE_PIPELINES_RUNNER');

export class AzurePipelinesRunner implements PipelineRunner {
  readonly kind = 'azure-pipelines' as const;
  private readonly client: AzureBuildClient;

  constructor(
    readonly config: AzurePipelinesConfig,
    private readonly store: ArtifactStore,
  ) {
    this.client = new AzureBuildClient(config);
  }

  async execute(request: RunRequest, control: RunControl): Promise<RunOutcome> {
    const deadline = Date.now() + request.timeoutSeconds * 1000;
    const definition = await this.findDefinition(request, control.signal);
    const build = await this.queue(definition, request, control.signal);
    try {
      return await this.follow(build, request, control, deadline);
    } catch (error) {
      // the run ends here (it is never run again): do not leave its build running unobserved in ADO
      await this.client.call('updateBuild', (api) => api.updateBuild({ status: BuildStatus.Cancelling }, this.client.project, build.id as number), undefined, true).catch(() => undefined);
      throw error;
    }
  }

  /** The YAML definition of this repository whose file is the run's pipeline file (lowest id when several). */
  async findDefinition(request: RunRequest, signal?: AbortSignal): Promise<number> {
    const { project } = this.client;
    // includeAllProperties: only full definitions carry process.yamlFilename and repository
    const definitions = (await this.client.call(
      'getDefinitions',
      (api) => api.getDefinitions(project, undefined, undefined, 'TfsGit', undefined, 1000, undefined, undefined, undefined, undefined, undefined, undefined, true),
      signal,
    )) as BuildDefinition[] | null;
    const path = normalizePath(request.pipelinePath);
    const repo = request.repository.name.toLowerCase();
    const matches = (definitions ?? [])
      .filter((d) => d.repository?.type === 'TfsGit' && (d.repository.name?.toLowerCase() === repo || d.repository.id?.toLowerCase() === repo))
      .filter((d) => normalizePath((d.process as { yamlFilename?: string } | undefined)?.yamlFilename ?? '') === path)
      .sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    const found = matches[0]?.id;
    if (found === undefined) {
      throw new DefinitionNotFoundError(
        'pipeline.definition-not-found',
        `no Azure Pipelines YAML definition in project ${project} runs ${request.pipelinePath} of repository ${request.repository.name}; create one for that file`,
        { repository: request.repository.name, pipelinePath: request.pipelinePath },
      );
    }
    return found;
  }

  /** The build tagged with the runId, or a new one queued and tagged. */
  async queue(definitionId: number, request: RunRequest, signal?: AbortSignal): Promise<Build> {
    const { project } = this.client;
    const tag = request.runId;
    for (let attempt = 0; ; attempt++) {
      const existing = await this.client.call(
        'getBuilds',
        (api) => api.getBuilds(project, [definitionId], undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, [tag]),
        signal,
      );
      // the tag is checked again: a build of someone else is never adopted
      const found = (existing ?? []).find((b) => b.tags?.includes(tag));
      if (found?.id !== undefined) return found;
      try {
        // a POST is not repeated blindly: a failed attempt may have queued, so the next one looks for the tag first
        const build = await this.client.call('queueBuild', async (api) => api.queueBuild(queueBodyOf(definitionId, request, tag), project), signal, true);
        if (build?.id === undefined) throw mapAzureError(new Error('queueBuild answered without a build'), 'queueBuild');
        await this.client.call('addBuildTag', (api) => api.addBuildTag(project, build.id as number, tag), signal);
        return build;
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.config.retries || signal?.aborted) throw error;
        await delay(this.config.retryBaseMs * 2 ** attempt, signal);
      }
    }
  }

  private async follow(queued: Build, request: RunRequest, control: RunControl, deadline: number): Promise<RunOutcome> {
    const { project } = this.client;
    const buildId = queued.id as number;
    let build = queued;
    let mapped: MappedStep[] = [];
    let reported = '';
    let interval = this.config.pollMs;
    let stop: 'canceled' | 'shutdown' | 'timed-out' | undefined;
    let cancelSentAt = 0;
    for (;;) {
      if (!stop && control.signal.aborted) stop = control.signal.reason === 'shutdown' ? 'shutdown' : 'canceled';
      if (!stop && Date.now() > deadline) stop = 'timed-out';
      if (stop && !cancelSentAt && !isCompleted(build)) {
        cancelSentAt = Date.now();
        await this.client.call('updateBuild', (api) => api.updateBuild({ status: BuildStatus.Cancelling }, project, buildId));
      }
      build = (await this.client.call('getBuild', (api) => api.getBuild(project, buildId))) ?? build;
      const timeline = await this.client.call('getBuildTimeline', (api) => api.getBuildTimeline(project, buildId));
      mapped = stepsOf(timeline?.records ?? []);
      const snapshot = JSON.stringify(mapped.map((m) => m.step));
      if (snapshot !== reported) {
        reported = snapshot;
        interval = this.config.pollMs;
        await control.progress(mapped.map((m) => m.step));
      }
      if (isCompleted(build)) break;
      // a shutdown does not wait for ADO to wind the build down; a cancel or a timeout does, for a while
      if (stop === 'shutdown' || (cancelSentAt && Date.now() - cancelSentAt > this.config.cancelWaitMs)) break;
      await delay(interval, stop ? undefined : control.signal);
      interval = Math.min(this.config.maxPollMs, Math.round(interval * 1.5));
    }
    const steps = await this.storeLogs(request.runId, buildId, mapped, !isCompleted(build));
    const outputs: RunOutputs = { testResults: [], coverage: [], artifacts: isCompleted(build) ? await this.storeArtifacts(request.runId, buildId) : [] };
    return { ...this.outcomeOf(build, steps, stop), steps, outputs };
  }

  private outcomeOf(build: Build, steps: StepRecord[], stop: 'canceled' | 'shutdown' | 'timed-out' | undefined): Pick<RunOutcome, 'result' | 'error'> {
    const failure = (code: string, message: string): schemas.Failure => ({ code, message, retryable: false });
    if (stop === 'shutdown') return { result: 'Failed', error: failure('pipeline.runner-stopped', `the runner stopped (shutdown) while Azure Pipelines build ${build.id ?? '?'} ran; it was asked to cancel`) };
    if (stop === 'timed-out') return { result: 'Failed', error: failure('pipeline.timed-out', `the run exceeded its timeout; Azure Pipelines build ${build.id ?? '?'} was canceled`) };
    if (stop === 'canceled') return { result: 'Canceled' };
    return resultOf(build, steps);
  }

  /** Each task's log into the store (tasks that never ran have none); unfinished steps end canceled/skipped. */
  private async storeLogs(runId: string, buildId: number, mapped: MappedStep[], abandoned: boolean): Promise<StepRecord[]> {
    const steps: StepRecord[] = [];
    for (const { step, logId } of mapped) {
      const ended: StepRecord = abandoned && step.status === 'running' ? { ...step, status: 'canceled' } : abandoned && step.status === 'pending' ? { ...step, status: 'skipped' } : step;
      if (logId === undefined) {
        steps.push(ended);
        continue;
      }
      const key = logKeyOf(runId, step.index, step.name);
      const log = await this.put(key, () => this.client.download('getBuildLog', (api) => api.getBuildLog(this.client.project, buildId, logId)));
      steps.push({ ...ended, log: log.key });
    }
    return steps;
  }

  /** Every artifact of the build as a zip in the store (`artifacts/<name>.zip`). */
  private async storeArtifacts(runId: string, buildId: number): Promise<schemas.ArtifactRef[]> {
    const { project } = this.client;
    const artifacts: BuildArtifact[] = (await this.client.call('getArtifacts', (api) => api.getArtifacts(project, buildId))) ?? [];
    const refs: schemas.ArtifactRef[] = [];
    for (const artifact of artifacts) {
      const name = artifact.name ?? `artifact-${artifact.id ?? refs.length + 1}`;
      const downloadUrl = artifact.resource?.downloadUrl;
      const open = (): Promise<Readable> =>
        artifact.resource?.type === 'PipelineArtifact' && downloadUrl
          ? this.client.fetchUrl('download pipeline artifact', downloadUrl)
          : this.client.download('getArtifactContentZip', (api) => api.getArtifactContentZip(project, buildId, name));
      const key = `runs/${runId}/artifacts/${name.replace(/[^A-Za-z0-9@+_.-]+/g, '_').replace(/^\.+/, '_').slice(0, 200)}.zip`;
      const stored = await this.put(key, open);
      refs.push({ name: name.slice(0, 200), kind: 'file', location: stored.key, digest: stored.digest, size: stored.size, mediaType: 'application/zip' });
    }
    return refs;
  }

  /** A download into the store; an earlier attempt of the same run may have stored it already (keys are immutable). */
  private async put(key: string, open: () => Promise<Readable>): Promise<{ key: string; digest: string; size: number }> {
    const existing = await this.store.stat(key);
    if (existing) return existing;
    return this.store.put(key, await open());
  }
}

function normalizePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\/+/, '').toLowerCase();
}
