import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConflictResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { assertProject, CurrentPrincipal, ownedOrNotFound, RequireScopes, type Principal } from '@delivery/auth';
import type { EventStore } from '@delivery/eventstore';
import { ValidationError } from '@delivery/messaging';
import { CommandRunner, EVENT_STORE, pageOf, pageResult, payloadSchemaOf, projectIdOf, restCommand, type CommandHandler } from '@delivery/service-kit';
import type { ReleaseBusCommand, ReleaseResult } from './commands/release-command.handler';
import { ApproveReleaseHandler, PlanReleaseHandler, RejectReleaseHandler, RetryReleaseHandler, ReviseReleaseHandler, SubmitReleaseHandler } from './commands/release.handlers';
import { releaseStream, SOURCE } from './release.flow';
import { ReleaseReadModel, type ReleaseRow } from './release.read-model';
import { RELEASES_APPROVE, RELEASES_READ, RELEASES_WRITE } from '@delivery/release-scopes';

// The REST door of the release commands and the release views. Another tenant's (or project's) release is the
// same 404 as a missing one; the bus doors are the commandConsumers of the module.
@ApiTags('releases')
@ApiBearerAuth()
@Controller('releases')
export class ReleasesController {
  constructor(
    private readonly runner: CommandRunner,
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly readModel: ReleaseReadModel,
    private readonly plan: PlanReleaseHandler,
    private readonly revise: ReviseReleaseHandler,
    private readonly submit: SubmitReleaseHandler,
    private readonly approve: ApproveReleaseHandler,
    private readonly reject: RejectReleaseHandler,
    private readonly retry: RetryReleaseHandler,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes(RELEASES_WRITE)
  @ApiOperation({ summary: 'Plan a release of a succeeded build (PlanRelease); projectId in the body or the query' })
  @ApiBody({ schema: payloadSchemaOf('PlanRelease', { properties: { projectId: { type: 'string' } } }) })
  @ApiQuery({ name: 'projectId', required: false })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Query('projectId') queryProject?: unknown): Promise<ReleaseResult> {
    const { projectId: bodyProject, ...payload } = objectOf(body);
    const projectId = projectIdOf(bodyProject ?? queryProject);
    assertProject(principal, principal.tenantId, projectId, 'project');
    return this.runner.runRest(restCommand('PlanRelease', payload, { source: SOURCE, projectId }), this.plan);
  }

  @Get()
  @RequireScopes(RELEASES_READ)
  @ApiOperation({ summary: 'Releases of the tenant by id, optionally of one status; page with ?after=<next>' })
  @ApiQuery({ name: 'status', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'after', required: false })
  async list(@CurrentPrincipal() principal: Principal, @Query('status') status?: unknown, @Query('limit') limit?: unknown, @Query('after') after?: unknown) {
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.includes(status))) throw new ValidationError('invalid-status', `status must be one of ${STATUSES.join(', ')}`);
    const page = pageOf(limit, after);
    const rows = await this.readModel.list(this.dataSource, { tenantId: principal.tenantId, projects: principal.projects, status }, page);
    return pageResult(rows.map(summaryOf), page, (r) => r.releaseId);
  }

  @Get(':id')
  @RequireScopes(RELEASES_READ)
  @ApiOperation({ summary: 'One release: its state and its timeline (the events of its stream with actor, time and trace)' })
  @ApiNotFoundResponse({ description: 'no such release for the caller' })
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const row = await this.visible(principal, id);
    const events = await this.store.read(releaseStream(id));
    const timeline = events.map((e) => ({ version: e.version, type: e.type, payload: e.data, actor: e.metadata.actor, occurredAt: e.metadata.occurredAt, traceId: e.metadata.traceId }));
    return { ...summaryOf(row), state: row.state, timeline };
  }

  @Post(':id/submit')
  @HttpCode(200)
  @RequireScopes(RELEASES_WRITE)
  @ApiOperation({ summary: 'Submit a planned release for approval (SubmitRelease)' })
  async submitRelease(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'SubmitRelease', body, this.submit);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @RequireScopes(RELEASES_APPROVE)
  @ApiOperation({ summary: 'Approve an environment (ApproveRelease): body {environment, role, comment}; a repeated approval answers 200 with no events' })
  @ApiForbiddenResponse({ description: 'segregation of duties: the planner, or an approver already holding another role; the reason names the rule' })
  @ApiConflictResponse({ description: 'outside the deployment window (names the next opening) or an illegal transition' })
  async approveRelease(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'ApproveRelease', body, this.approve);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @RequireScopes(RELEASES_APPROVE)
  @ApiOperation({ summary: 'Reject a release (RejectRelease): body {comment, environment?}' })
  async rejectRelease(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'RejectRelease', body, this.reject);
  }

  @Post(':id/revise')
  @HttpCode(200)
  @RequireScopes(RELEASES_WRITE)
  @ApiOperation({ summary: 'Revise a planned or rejected release (ReviseRelease)' })
  async reviseRelease(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'ReviseRelease', body, this.revise);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @RequireScopes(RELEASES_WRITE)
  @ApiOperation({ summary: 'Resume a failed release (RetryRelease): body {reason, fromEnvironment?}' })
  async retryRelease(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'RetryRelease', body, this.retry);
  }

  private async command<T extends Exclude<ReleaseBusCommand, 'PlanRelease'>>(principal: Principal, id: string, type: T, body: unknown, handler: CommandHandler<T, ReleaseResult>): Promise<ReleaseResult> {
    const row = await this.visible(principal, id);
    return this.runner.runRest(restCommand(type, { ...objectOf(body), releaseId: id }, { source: SOURCE, projectId: row.projectId }), handler);
  }

  private async visible(principal: Principal, id: string): Promise<ReleaseRow> {
    return ownedOrNotFound(principal, await this.readModel.find(this.dataSource, id), 'release');
  }

}

const STATUSES = ['planned', 'pending-approval', 'approved', 'rejected', 'promoting', 'deployed', 'failed'];

function summaryOf(row: ReleaseRow) {
  const plan = row.state.plan;
  return { releaseId: row.releaseId, projectId: row.projectId, status: row.status, application: plan?.application ?? null, version: plan?.version ?? null, traceId: row.traceId };
}

function objectOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('invalid-body', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}
