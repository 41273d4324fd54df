import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiBody, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import { validatePayload } from '@delivery/contracts';
import { ValidationError } from '@delivery/messaging';
import { RepositoryDirectory } from '@delivery/repository-directory';
import { pageOf, pageResult, payloadSchemaOf } from '@delivery/service-kit';
import { checkPipeline } from '../domain/pipeline.check';
import type { Reason } from '../domain/metadata.rules';
import { pipelineIdOf } from '../pipeline.messages';
import { PipelinePlanner } from '../pipeline.planner';
import { PIPELINES_READ, PIPELINES_WRITE } from '../pipeline.scopes';
import { PipelineStore } from '../pipeline.store';

export interface PipelinePreview {
  pipelineId: string;
  pipelinePath: string;
  content: string;
  contentDigest: string;
  /** false when GeneratePipeline would be refused; reasons says why */
  valid: boolean;
  reasons: Reason[];
  /** the branch head the file was compared with */
  baseRevision: string;
  /** false when the branch already holds exactly these bytes */
  changed: boolean;
}

const REASONS_SCHEMA = { type: 'array', items: { type: 'object', properties: { subject: { type: 'string' }, message: { type: 'string' } } } };
const PREVIEW_SCHEMA = {
  type: 'object',
  properties: {
    pipelineId: { type: 'string' },
    pipelinePath: { type: 'string' },
    content: { type: 'string', description: 'the YAML file, byte for byte what GeneratePipeline would commit' },
    contentDigest: { type: 'string' },
    valid: { type: 'boolean' },
    reasons: REASONS_SCHEMA,
    baseRevision: { type: 'string' },
    changed: { type: 'boolean' },
  },
};

// Studio's preview of GeneratePipeline (the same YAML and checks, against the same head, nothing committed) and the
// list of the pipeline files this service maintains. Another tenant's repository is the same 404 as a missing one.
@ApiTags('pipelines')
@ApiBearerAuth()
@Controller('pipelines')
export class PipelinesController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly directory: RepositoryDirectory,
    private readonly planner: PipelinePlanner,
    private readonly store: PipelineStore,
  ) {}

  @Post('preview')
  @HttpCode(200)
  @RequireScopes(PIPELINES_WRITE)
  @ApiOperation({ summary: 'Generate the pipeline YAML of a GeneratePipeline payload and check it, without committing (preview)' })
  @ApiBody({ schema: payloadSchemaOf('GeneratePipeline') })
  @ApiOkResponse({ schema: PREVIEW_SCHEMA, description: 'invalid metadata is a 200 with valid false and the reasons' })
  @ApiBadRequestResponse({ description: 'the body is not a GeneratePipeline payload' })
  @ApiNotFoundResponse({ description: 'no such repository for the caller, or no such branch' })
  async preview(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<PipelinePreview> {
    const checked = validatePayload('GeneratePipeline', body);
    if (!checked.ok) throw new ValidationError('invalid-body', checked.reason);
    const input = checked.value;
    const repository = await this.directory.visibleTo(principal, input.repositoryId);
    const result = checkPipeline(input.module, input.pipelinePath);
    const plan = await this.planner.plan(repository, input, result.generated);
    const reasons = [...result.metadata, ...result.schema];
    const { generated } = result;
    return {
      pipelineId: pipelineIdOf(principal.tenantId, input.repositoryId, input.branch, generated.path),
      pipelinePath: generated.path,
      content: generated.content,
      contentDigest: generated.contentDigest,
      valid: reasons.length === 0,
      reasons,
      baseRevision: plan.headSha,
      changed: plan.action !== null,
    };
  }

  @Get()
  @RequireScopes(PIPELINES_READ)
  @ApiOperation({ summary: 'The pipeline files this service generated, of the tenant or of one repository; page with ?after=<next>' })
  @ApiQuery({ name: 'repositoryId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'after', required: false })
  async list(@CurrentPrincipal() principal: Principal, @Query('repositoryId') repositoryId?: unknown, @Query('limit') limit?: unknown, @Query('after') after?: unknown) {
    if (repositoryId !== undefined && (typeof repositoryId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(repositoryId))) {
      throw new ValidationError('invalid-repository-id', 'repositoryId must be a repository id');
    }
    const page = pageOf(limit, after);
    const rows = await this.store.list(this.dataSource.manager, { tenantId: principal.tenantId, projects: principal.projects, repositoryId }, page);
    return pageResult(rows, page, (row) => row.pipelineId);
  }
}
