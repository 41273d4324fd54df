import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, ownedOrNotFound, RequireScopes, type Principal } from '@delivery/auth';
import { ValidationError } from '@delivery/messaging';
import { pageOf, pageResult, payloadSchemaOf } from '@delivery/service-kit';
import { BUILDS_READ } from '../build-result.scopes';
import { BuildsReadModel, type BuildRow } from './builds.read-model';

const STATUSES = ['Succeeded', 'Failed', 'Canceled'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const BUILD_SCHEMA = payloadSchemaOf('BuildCompleted', {
  properties: { projectId: { type: 'string' }, traceId: { type: 'string' }, runFinishedAt: { type: 'string', format: 'date-time' }, createdAt: { type: 'string', format: 'date-time' } },
});

// The builds of the caller's tenant (and projects): another tenant's build is the same 404 as a missing one.
@ApiTags('builds')
@ApiBearerAuth()
@Controller('builds')
export class BuildsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly builds: BuildsReadModel,
  ) {}

  @Get()
  @RequireScopes(BUILDS_READ)
  @ApiOperation({ summary: 'Builds, newest first, optionally of one repository and one status; page with ?after=<next>' })
  @ApiQuery({ name: 'repositoryId', required: false })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'after', required: false })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('repositoryId') repositoryId?: unknown,
    @Query('status') status?: unknown,
    @Query('limit') limit?: unknown,
    @Query('after') after?: unknown,
  ): Promise<{ items: ReturnType<typeof summaryOf>[]; next: string | null }> {
    if (repositoryId !== undefined && (typeof repositoryId !== 'string' || !ENTITY_ID.test(repositoryId))) throw new ValidationError('invalid-repository', 'repositoryId must be a repository id');
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.includes(status))) throw new ValidationError('invalid-status', `status must be one of ${STATUSES.join(', ')}`);
    const page = pageOf(limit, after);
    if (page.after !== undefined && !UUID.test(page.after)) throw new ValidationError('invalid-cursor', 'after must be the id of the last build of the previous page');
    const rows = await this.builds.list(this.dataSource, { tenantId: principal.tenantId, projects: principal.projects, repositoryId, status }, page);
    return pageResult(rows.map(summaryOf), page, (build) => build.buildId);
  }

  @Get(':buildId')
  @RequireScopes(BUILDS_READ)
  @ApiOperation({ summary: 'One build: status, test counts, coverage, the first failed tests and the verified artifacts' })
  @ApiOkResponse({ schema: BUILD_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such build for the caller' })
  async get(@CurrentPrincipal() principal: Principal, @Param('buildId') buildId: string): Promise<BuildRow> {
    if (!UUID.test(buildId)) throw new NotFoundException('build not found');
    return ownedOrNotFound(principal, await this.builds.find(this.dataSource, buildId), 'build');
  }
}

// a list item leaves out the failures and artifacts (GET /builds/:id has them)
function summaryOf(row: BuildRow) {
  const { failedTests: _failed, artifacts: _artifacts, tenantId: _tenant, ...summary } = row;
  return summary;
}
