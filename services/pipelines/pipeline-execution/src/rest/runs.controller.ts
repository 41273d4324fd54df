import { open as openFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiNotFoundResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { assertProject, CurrentPrincipal, ownedOrNotFound, RequireScopes, type Principal } from '@delivery/auth';
import { ARTIFACT_STORE } from '../runs/artifact-store.provider';
import type { ArtifactStore } from '@delivery/artifacts';
import { IllegalStateError, NotFoundError, ValidationError } from '@delivery/messaging';
import { CommandRunner, pageOf, pageResult, payloadSchemaOf, projectIdOf, restCommand } from '@delivery/service-kit';
import { CancelPipelineRunHandler } from '../commands/cancel-pipeline-run.handler';
import { RunPipelineHandler } from '../commands/run-pipeline.handler';
import { SOURCE } from '../pipeline.messages';
import { PIPELINES_READ, PIPELINES_WRITE } from '../pipeline-execution.scopes';
import { RUN_COLUMNS, runOf, type PipelineRunRow } from '../runs/pipeline-run.row';
import type { StepRecord } from '../runner/runner.port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Runs over REST: queue, look, read logs (live while a step runs), cancel. Another tenant's or project's run is
// the same 404 as a missing one (DESIGN §6).
@ApiTags('runs')
@ApiBearerAuth()
@Controller('runs')
export class RunsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly runner: CommandRunner,
    private readonly runPipeline: RunPipelineHandler,
    private readonly cancelRun: CancelPipelineRunHandler,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  @Post()
  @HttpCode(202)
  @RequireScopes(PIPELINES_WRITE)
  @ApiOperation({ summary: 'Queue a run (RunPipeline); projectId in the body or the query' })
  @ApiBody({ schema: payloadSchemaOf('RunPipeline', { properties: { projectId: { type: 'string' } } }) })
  async queue(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Query('projectId') queryProject?: unknown) {
    const { projectId: bodyProject, ...payload } = objectOf(body);
    const projectId = projectIdOf(bodyProject ?? queryProject);
    assertProject(principal, principal.tenantId, projectId, 'project');
    return this.runner.runRest(restCommand('RunPipeline', payload, { source: SOURCE, projectId }), this.runPipeline);
  }

  @Get()
  @RequireScopes(PIPELINES_READ)
  @ApiOperation({ summary: 'Runs of the tenant, newest first, optionally of one repository; page with ?after=<next>' })
  @ApiQuery({ name: 'repositoryId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'after', required: false })
  async list(@CurrentPrincipal() principal: Principal, @Query('repositoryId') repositoryId?: unknown, @Query('limit') limit?: unknown, @Query('after') after?: unknown) {
    if (repositoryId !== undefined && typeof repositoryId !== 'string') throw new ValidationError('invalid-repository', 'repositoryId must be a string');
    const page = pageOf(limit, after);
    if (page.after !== undefined && !UUID.test(page.after)) throw new ValidationError('invalid-cursor', 'after must be the runId of the last item of the previous page');
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE tenant_id = $1 AND ($2::text[] IS NULL OR project_id = ANY($2)) AND ($3::text IS NULL OR repository_id = $3)
         AND ($4::uuid IS NULL OR run_id < $4) ORDER BY run_id DESC LIMIT $5`,
      [principal.tenantId, principal.projects ?? null, repositoryId ?? null, page.after ?? null, page.limit],
    );
    return pageResult(rows.map(runOf).map(viewOf), page, (run) => run.runId);
  }

  @Get(':runId')
  @RequireScopes(PIPELINES_READ)
  @ApiOperation({ summary: 'One run: status, result, steps (with their log keys) and outputs' })
  @ApiNotFoundResponse({ description: 'no such run for the caller' })
  async get(@CurrentPrincipal() principal: Principal, @Param('runId') runId: string) {
    return viewOf(await this.visible(principal, runId));
  }

  @Get(':runId/steps/:index/log')
  @RequireScopes(PIPELINES_READ)
  @ApiOperation({ summary: "A step's log as text (index is 1-based); live while the step runs; ?follow=1 streams it until the step ends" })
  @ApiQuery({ name: 'follow', required: false })
  async log(@CurrentPrincipal() principal: Principal, @Param('runId') runId: string, @Param('index') index: string, @Query('follow') follow: unknown, @Res() res: Response): Promise<void> {
    const run = await this.visible(principal, runId);
    const step = stepOf(run, index);
    const following = follow === '1' || follow === 'true';
    if (!following || step.log) {
      const text = await this.snapshot(step);
      res.status(200).type('text/plain; charset=utf-8').send(text);
      return;
    }
    res.status(200).type('text/plain; charset=utf-8');
    res.flushHeaders();
    let offset = 0;
    for (;;) {
      const current = stepOf(await this.visible(principal, runId), index);
      if (current.log) {
        // the step ended: the rest comes from the stored log, which is the whole file
        const stored = await this.store.read(current.log);
        res.end(stored.subarray(offset));
        return;
      }
      if (current.logFile) offset += await copyFrom(current.logFile, offset, res);
      // ended without a stored log (its runner was lost), or the client went away
      if (res.destroyed || (current.status !== 'pending' && current.status !== 'running')) {
        res.end();
        return;
      }
      await sleep(200);
    }
  }

  @Post(':runId/cancel')
  @HttpCode(202)
  @RequireScopes(PIPELINES_WRITE)
  @ApiOperation({ summary: 'Cancel a queued or running run (CancelPipelineRun): body {reason?}' })
  async cancel(@CurrentPrincipal() principal: Principal, @Param('runId') runId: string, @Body() body: unknown) {
    const run = await this.visible(principal, runId);
    return this.runner.runRest(restCommand('CancelPipelineRun', { ...objectOf(body), runId }, { source: SOURCE, projectId: run.projectId }), this.cancelRun);
  }

  private async snapshot(step: StepRecord): Promise<Buffer> {
    if (step.log) return this.store.read(step.log);
    if (step.logFile) {
      const handle = await openFile(step.logFile, 'r').catch(() => undefined);
      if (handle) {
        try {
          return await handle.readFile();
        } finally {
          await handle.close();
        }
      }
      throw new IllegalStateError('pipeline.log-elsewhere', 'the step is running on another machine; its log is available when it ends');
    }
    throw new NotFoundError('pipeline.log-not-found', `step ${step.index} has no log (${step.status})`);
  }

  private async visible(principal: Principal, runId: string): Promise<PipelineRunRow> {
    if (!UUID.test(runId)) throw new NotFoundException('run not found');
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(`SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE run_id = $1`, [runId]);
    return ownedOrNotFound(principal, rows[0] ? runOf(rows[0]) : undefined, 'run');
  }
}

function stepOf(run: PipelineRunRow, index: string): StepRecord {
  const step = /^\d+$/.test(index) ? run.steps.find((s) => s.index === Number(index)) : undefined;
  if (!step) throw new NotFoundError('pipeline.step-not-found', `run ${run.runId} has no step ${index}`);
  return step;
}

/** appends the file's bytes from `offset` to the response; returns how many */
async function copyFrom(file: string, offset: number, res: Response): Promise<number> {
  const handle = await openFile(file, 'r').catch(() => undefined);
  if (!handle) return 0;
  try {
    const { size } = await handle.stat();
    if (size <= offset) return 0;
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    res.write(buffer.subarray(0, bytesRead));
    return bytesRead;
  } finally {
    await handle.close();
  }
}

function viewOf(run: PipelineRunRow) {
  return {
    runId: run.runId,
    projectId: run.projectId,
    repositoryId: run.repositoryId,
    branch: run.branch,
    sha: run.sha,
    pipelinePath: run.pipelinePath,
    pullRequestId: run.pullRequestId,
    reason: run.reason,
    runner: run.runner,
    status: run.status,
    result: run.result,
    error: run.error,
    attempt: run.attempt,
    cancelRequested: run.cancelRequestedAt !== null,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    steps: run.steps.map(({ index, name, job, status, exitCode, durationMs, startedAt, log }) => ({ index, name, job, status, exitCode, durationMs, startedAt: startedAt ?? null, log: log ?? null })),
    outputs: run.outputs,
  };
}

function objectOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('invalid-body', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}
