import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import { ValidationError } from '@delivery/messaging';
import { ReleaseReadModel } from './release.read-model';
import { RELEASES_READ } from '@delivery/release-scopes';

// The approvals inbox: environments of the tenant's releases the caller may still approve.
@ApiTags('releases')
@ApiBearerAuth()
@Controller('approvals')
export class ApprovalsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly readModel: ReleaseReadModel,
  ) {}

  @Get()
  @RequireScopes(RELEASES_READ)
  @ApiOperation({ summary: 'Environments awaiting the caller’s approval (?status=pending): not approved yet, not planned or approved by the caller' })
  @ApiQuery({ name: 'status', required: false, description: 'only "pending" is supported' })
  async pending(@CurrentPrincipal() principal: Principal, @Query('status') status?: unknown) {
    if (status !== undefined && status !== 'pending') throw new ValidationError('invalid-status', 'status must be "pending"');
    const items = await this.readModel.awaiting(this.dataSource, { tenantId: principal.tenantId, projects: principal.projects, actor: principal.actor });
    return { items };
  }
}
