import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import { NotFoundError, ValidationError } from '@delivery/messaging';
import { RepositoryDirectory } from '@delivery/repository-directory';
import { CommandRunner, payloadSchemaOf, restCommand } from '@delivery/service-kit';
import { GITOPS_READ, GITOPS_WRITE } from '../gitops.scopes';
import { SOURCE } from '../sync/application.reconciler';
import { applicationsIn } from '../sync/applications.store';
import { SyncGitOpsHandler, type SyncGitOpsResult } from '../triggers/sync-gitops.handler';

const ENVIRONMENT = /^[a-z0-9][a-z0-9-]{0,62}$/;

// The GitOps view of an environment and the REST door of SyncGitOps. An environment with nothing the caller's
// tenant (and projects) can see is a 404, the same for another tenant's environment as for an unknown one.
@ApiTags('gitops')
@ApiBearerAuth()
@Controller('environments')
export class ApplicationsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly directory: RepositoryDirectory,
    private readonly runner: CommandRunner,
    private readonly handler: SyncGitOpsHandler,
  ) {}

  @Get(':env/applications')
  @RequireScopes(GITOPS_READ)
  @ApiOperation({ summary: 'The applications of an environment: sync, health, revision, release, workloads and last events' })
  @ApiNotFoundResponse({ description: 'no application of the caller in this environment' })
  async list(@CurrentPrincipal() principal: Principal, @Param('env') environment: string) {
    checkEnvironment(environment);
    const rows = await applicationsIn(this.dataSource.manager, { tenantId: principal.tenantId, ...(principal.projects !== undefined ? { projects: principal.projects } : {}) }, environment);
    if (rows.length === 0) throw new NotFoundError('environment.not-found', `environment ${environment} not found`);
    return {
      environment,
      items: rows.map((row) => ({
        application: row.application,
        projectId: row.projectId,
        repositoryId: row.repositoryId,
        ...row.state.view,
        updatedAt: row.updatedAt.toISOString(),
      })),
    };
  }

  @Post(':env/sync')
  @HttpCode(200)
  @RequireScopes(GITOPS_WRITE)
  @ApiOperation({ summary: 'Reconcile the environment (or one application) to the GitOps repository now (SyncGitOps)' })
  @ApiBody({ schema: payloadSchemaOf('SyncGitOps', { omit: ['environment'] }) })
  @ApiNotFoundResponse({ description: 'no such GitOps repository for the caller' })
  async sync(@CurrentPrincipal() principal: Principal, @Param('env') environment: string, @Body() body: unknown): Promise<SyncGitOpsResult> {
    checkEnvironment(environment);
    const payload = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (typeof payload.repositoryId !== 'string') throw new ValidationError('invalid-body', 'repositoryId is required');
    const repository = await this.directory.visibleTo(principal, payload.repositoryId);
    const command = restCommand('SyncGitOps', { reason: 'manual', ...payload, environment }, { source: SOURCE, projectId: repository.projectId });
    return this.runner.runRest(command, this.handler);
  }
}

function checkEnvironment(environment: string): void {
  if (!ENVIRONMENT.test(environment)) throw new ValidationError('invalid-environment', 'environment must be a slug (lowercase letters, digits, dashes)');
}
