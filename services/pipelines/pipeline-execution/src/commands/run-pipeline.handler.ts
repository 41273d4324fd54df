import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { schemas } from '@delivery/contracts';
import { platformErrorOf, type GitProvider } from '@delivery/git-provider';
import { NotFoundError, uuidv7, ValidationError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, RepositoryDirectory } from '@delivery/repository-directory';
import type { CommandHandler, CommandOrigin, Decision, StreamAppend } from '@delivery/service-kit';
import { parsePipeline } from '../domain/pipeline.parser';
import { PipelineDefinitionError } from '../domain/pipeline.plan';
import { DEFAULT_PIPELINE_PATH, requestStream, runRejectedOf, type RunPipelineCommand } from '../pipeline.messages';
import { RUNNER_CONFIG, type RunnerConfig } from '../runner.config';
import { wakeRunWorkers } from '../runs/run-queue.notify';

export interface QueuedRun {
  runId: string;
  status: 'queued';
  sha: string;
}

// RunPipeline (bus and REST): the run is checked before it is accepted (known repository, ref, pipeline file at
// the ref, only supported steps) and queued as a row in the command's transaction; a worker starts it. A refusal
// is answered with PipelineRunRejected.
@Injectable()
export class RunPipelineHandler implements CommandHandler<'RunPipeline', QueuedRun> {
  constructor(
    private readonly directory: RepositoryDirectory,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
    @Inject(RUNNER_CONFIG) private readonly config: RunnerConfig,
  ) {}

  async execute(command: RunPipelineCommand, manager: EntityManager, origin: CommandOrigin): Promise<Decision<QueuedRun>> {
    const input = command.payload;
    const runner = input.runner ?? 'local';
    if (runner === 'azure-pipelines' && !this.config.azure) throw new ValidationError('pipeline.runner-unavailable', `runner ${runner} is not available here (AZURE_DEVOPS_ORG_URL, AZURE_DEVOPS_PROJECT and AZURE_DEVOPS_TOKEN are not set)`);
    if (runner !== 'local' && runner !== 'azure-pipelines') throw new ValidationError('pipeline.runner-unavailable', `runner ${String(runner)} is not available here`);
    const repository = await this.directory.require(command, input.repositoryId, origin, manager);
    const locator = locatorOf(repository);
    const pipelinePath = input.pipelinePath ?? DEFAULT_PIPELINE_PATH;
    const sha = await this.resolve(input.sha, input.branch, locator);
    const text = await this.git.readFile(locator, sha, pipelinePath).catch((error: unknown) => {
      throw platformErrorOf(error);
    });
    if (text === undefined) throw new NotFoundError('pipeline.file-not-found', `${pipelinePath} does not exist at ${sha.slice(0, 12)} (${input.branch})`, { path: pipelinePath });
    // Azure Pipelines runs the whole YAML language: the local runner's subset is checked only for local runs
    if (runner === 'local') this.checkLocalSubset(text.toString('utf8'));
    const runId = uuidv7();
    await manager.query(
      `INSERT INTO pipeline_runs (run_id, tenant_id, project_id, repository_id, branch, sha, pipeline_path, pull_request_id, reason, variables,
         timeout_seconds, runner, command_id, trace_id, correlation_id, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $16, $12, $13, $14, $15)`,
      [
        runId,
        command.tenantId,
        command.projectId,
        input.repositoryId,
        input.branch,
        sha,
        pipelinePath,
        input.pullRequestId ?? null,
        input.reason ?? 'manual',
        JSON.stringify(input.variables ?? {}),
        input.timeoutSeconds ?? this.config.defaultTimeoutSeconds,
        command.id,
        command.traceId,
        command.correlationId,
        JSON.stringify(command.actor),
        runner,
      ],
    );
    await wakeRunWorkers(manager);
    return { appends: [], result: { runId, status: 'queued', sha } };
  }

  failed(command: RunPipelineCommand, failure: schemas.Failure): StreamAppend {
    return { stream: requestStream(command.id), events: [runRejectedOf(command, failure)] };
  }

  private checkLocalSubset(text: string): void {
    try {
      parsePipeline(text);
    } catch (error) {
      if (!(error instanceof PipelineDefinitionError)) throw error;
      throw new ValidationError(error.code, error.message, error.subject ? { problems: [{ subject: error.subject, message: error.message }] } : undefined);
    }
  }

  /** the given commit (it must exist) or the branch's head */
  private async resolve(sha: string | undefined, branch: string, locator: ReturnType<typeof locatorOf>): Promise<string> {
    try {
      if (sha !== undefined) {
        if (!(await this.git.getCommit(locator, sha))) throw new NotFoundError('pipeline.unknown-ref', `commit ${sha} does not exist in the repository`);
        return sha;
      }
      const head = await this.git.resolveBranch(locator, branch);
      if (head === undefined) throw new NotFoundError('pipeline.unknown-ref', `branch ${branch} does not exist in the repository`);
      return head;
    } catch (error) {
      throw platformErrorOf(error);
    }
  }
}
