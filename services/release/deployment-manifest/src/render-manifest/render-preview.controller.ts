import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiBody, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import { validatePayload } from '@delivery/contracts';
import { ValidationError } from '@delivery/messaging';
import { RepositoryDirectory } from '@delivery/repository-directory';
import { payloadSchemaOf } from '@delivery/service-kit';
import type { RenderedFile } from '../domain/manifest.renderer';
import { ManifestPlanner } from '../gitops/manifest.planner';
import { RELEASES_READ } from '@delivery/release-scopes';

export interface ManifestPreview {
  files: RenderedFile[];
  contentDigest: string;
  /** the commit the render was compared with */
  baseRevision: string;
  /** false when the branch already holds exactly these manifests */
  changed: boolean;
  changes: Array<{ path: string; action: 'add' | 'update' | 'delete' }>;
}

const PREVIEW_SCHEMA = {
  type: 'object',
  properties: {
    files: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' }, digest: { type: 'string' } } } },
    contentDigest: { type: 'string' },
    baseRevision: { type: 'string' },
    changed: { type: 'boolean' },
    changes: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, action: { type: 'string', enum: ['add', 'update', 'delete'] } } } },
  },
};

// Studio's preview: the same render the bus door would commit, against the same head, with nothing committed.
@ApiTags('manifests')
@ApiBearerAuth()
@Controller('manifests')
export class RenderPreviewController {
  constructor(
    private readonly directory: RepositoryDirectory,
    private readonly planner: ManifestPlanner,
  ) {}

  @Post('render')
  @HttpCode(200)
  @RequireScopes(RELEASES_READ)
  @ApiOperation({ summary: 'Render the manifests of a RenderManifest payload without committing them (preview)' })
  @ApiBody({ schema: payloadSchemaOf('RenderManifest') })
  @ApiOkResponse({ schema: PREVIEW_SCHEMA })
  @ApiBadRequestResponse({ description: 'the payload does not fit the contract, or the release cannot be rendered (the code says why: manifest.*)' })
  @ApiNotFoundResponse({ description: 'no such GitOps repository for the caller, or no such branch' })
  async render(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<ManifestPreview> {
    const checked = validatePayload('RenderManifest', body);
    if (!checked.ok) throw new ValidationError('invalid-body', checked.reason);
    const input = checked.value;
    const repository = await this.directory.visibleTo(principal, input.gitops.repositoryId);
    const plan = await this.planner.plan(repository, input);
    return {
      files: plan.rendered.files,
      contentDigest: plan.rendered.contentDigest,
      baseRevision: plan.baseSha,
      changed: !plan.branchExists || plan.changes.length > 0,
      changes: plan.changes.map(({ path, action }) => ({ path, action })),
    };
  }
}
