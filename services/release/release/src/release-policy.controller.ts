import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { assertProject, CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import { projectIdOf } from '@delivery/service-kit';
import { ReleasePolicies, type ProjectReleasePolicy } from './release.policies';
import { RELEASES_ADMIN, RELEASES_READ } from '@delivery/release-scopes';

// The approval policy and GitOps target of a project, as data: the defaults until someone stores one.
@ApiTags('release-policy')
@ApiBearerAuth()
@Controller('projects/:projectId/release-policy')
export class ReleasePolicyController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policies: ReleasePolicies,
  ) {}

  @Get()
  @RequireScopes(RELEASES_READ)
  @ApiOperation({ summary: 'The project’s approval policy and GitOps target (stored: false when the defaults apply)' })
  async get(@CurrentPrincipal() principal: Principal, @Param('projectId') project: string): Promise<ProjectReleasePolicy> {
    const projectId = this.project(principal, project);
    return this.policies.of(this.dataSource, principal.tenantId, projectId);
  }

  @Put()
  @RequireScopes(RELEASES_ADMIN)
  @ApiOperation({ summary: 'Replace the project’s policy: body {policy, gitops?: {repositoryId, branch, pathTemplate}}' })
  @ApiBadRequestResponse({ description: 'approval-policy.invalid or release-policy.invalid, naming the first bad field' })
  async put(@CurrentPrincipal() principal: Principal, @Param('projectId') project: string, @Body() body: unknown): Promise<ProjectReleasePolicy> {
    const projectId = this.project(principal, project);
    return this.policies.put(this.dataSource, principal.tenantId, projectId, body, principal.actor);
  }

  private project(principal: Principal, value: string): string {
    const projectId = projectIdOf(value);
    assertProject(principal, principal.tenantId, projectId, 'project');
    return projectId;
  }
}
