import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { assertProject, CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import { PromotionRepository, promotionStream } from './promotion.repository';
import { RELEASES_READ } from '@delivery/release-scopes';
import { promotionView } from './promotion.view';

@ApiTags('promotions')
@ApiBearerAuth()
@Controller('promotions')
export class PromotionsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: PromotionRepository,
  ) {}

  @Get(':releaseId/:environment')
  @RequireScopes(RELEASES_READ)
  @ApiOperation({ summary: 'The latest promotion attempt of a release in an environment: its state and step timeline' })
  @ApiOkResponse({ description: 'status, steps (weights, revision, sync, gate results), failure and rollback' })
  @ApiNotFoundResponse({ description: 'never promoted there, or a promotion of another tenant or project' })
  async get(@CurrentPrincipal() principal: Principal, @Param('releaseId') releaseId: string, @Param('environment') environment: string) {
    const { attempt } = await this.repository.load(this.dataSource, promotionStream(releaseId, environment));
    if (!attempt) throw new NotFoundException('promotion not found');
    // another tenant's promotion is the same 404 as a missing one
    assertProject(principal, attempt.command.tenantId, attempt.command.projectId, 'promotion');
    return promotionView(attempt);
  }
}
