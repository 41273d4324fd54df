import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, assertProject, type Principal } from '@delivery/auth';
import { REPOSITORIES_READ, REPOSITORIES_WRITE, RepositoryDirectory, type RepositoryRecord } from '@delivery/repository-directory';
import { CommandRunner, pageOf, pageResult, payloadSchemaOf, projectIdOf, restCommand } from '@delivery/service-kit';
import { ProvisionRepositoryHandler } from './provision-repository/provision-repository.handler';

const REPOSITORY_SCHEMA = {
  type: 'object',
  properties: {
    repositoryId: { type: 'string' },
    tenantId: { type: 'string' },
    projectId: { type: 'string' },
    name: { type: 'string' },
    defaultBranch: { type: 'string' },
    purpose: { type: 'string', enum: ['application', 'gitops', 'infrastructure'] },
    provider: { type: 'string', enum: ['local', 'azure-devops'] },
    cloneUrl: { type: 'string' },
  },
};

// REST door of the repository service (Studio, operators); the bus door is ProvisionRepositoryConsumer.
@ApiTags('repositories')
@ApiBearerAuth()
@Controller('repositories')
export class RepositoriesController {
  constructor(
    private readonly runner: CommandRunner,
    private readonly provision: ProvisionRepositoryHandler,
    private readonly directory: RepositoryDirectory,
  ) {}

  @Post()
  @RequireScopes(REPOSITORIES_WRITE)
  @ApiOperation({ summary: 'Provision a repository (the ProvisionRepository command); answers with the repository' })
  @ApiBody({ schema: payloadSchemaOf('ProvisionRepository', { properties: { projectId: { type: 'string', description: 'the project the repository belongs to' } }, required: ['projectId'] }) })
  @ApiCreatedResponse({ schema: REPOSITORY_SCHEMA })
  @ApiConflictResponse({ description: 'a repository of that name exists in the project' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: Record<string, unknown>): Promise<RepositoryRecord> {
    const { projectId: rawProject, ...payload } = body ?? {};
    const projectId = projectIdOf(rawProject);
    assertProject(principal, principal.tenantId, projectId, 'project');
    const command = restCommand('ProvisionRepository', payload, { source: 'repository', projectId });
    return this.runner.runRest(command, this.provision);
  }

  @Get()
  @RequireScopes(REPOSITORIES_READ)
  @ApiOperation({ summary: 'Repositories of the tenant, by id; page with ?after=<next>' })
  @ApiQuery({ name: 'projectId', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1-200 (default 50)' })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` of the previous page' })
  @ApiOkResponse({ schema: { type: 'object', properties: { items: { type: 'array', items: REPOSITORY_SCHEMA }, next: { type: 'string', nullable: true } } } })
  async list(@CurrentPrincipal() principal: Principal, @Query('projectId') project?: unknown, @Query('limit') limit?: unknown, @Query('after') after?: unknown) {
    const projectId = project === undefined ? undefined : projectIdOf(project);
    if (projectId) assertProject(principal, principal.tenantId, projectId, 'project');
    const page = pageOf(limit, after);
    const rows = await this.directory.list({ tenantId: principal.tenantId, projectId, projects: principal.projects }, page);
    return pageResult(rows, page, (row) => row.repositoryId);
  }

  @Get(':id')
  @RequireScopes(REPOSITORIES_READ)
  @ApiOperation({ summary: 'One repository' })
  @ApiOkResponse({ schema: REPOSITORY_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such repository in the caller’s tenant' })
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<RepositoryRecord> {
    return this.directory.visibleTo(principal, id, { owner: true });
  }
}
