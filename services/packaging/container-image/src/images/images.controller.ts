import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import { ValidationError } from '@delivery/messaging';
import { quoteSchema, schemaOf } from '@delivery/persistence';

export const IMAGES_READ = 'devops.images.read';
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const LIMIT = 100;

interface ImageRow {
  tenant_id: string;
  project_id: string;
  build_id: string;
  registry: string;
  repository: string;
  tags: string[];
  digest: string;
  size: string;
  config_digest: string;
  base: { reference: string; digest: string } | null;
  base_unavailable: string | null;
  pushed_at: Date;
}

export interface ImageView {
  projectId: string;
  buildId: string;
  registry: string;
  repository: string;
  tags: string[];
  digest: string;
  reference: string;
  size: number;
  configDigest: string;
  base: { reference: string; digest: string } | null;
  baseUnavailable?: string;
  pushedAt: string;
}

function viewOf(row: ImageRow): ImageView {
  return {
    projectId: row.project_id,
    buildId: row.build_id,
    registry: row.registry,
    repository: row.repository,
    tags: row.tags,
    digest: row.digest,
    reference: `${row.registry}/${row.repository}@${row.digest}`,
    size: Number(row.size),
    configDigest: row.config_digest,
    base: row.base,
    ...(row.base_unavailable ? { baseUnavailable: row.base_unavailable } : {}),
    pushedAt: row.pushed_at.toISOString(),
  };
}

// The images pushed for the caller's tenant (and the projects its token is limited to); another tenant's image
// is the same 404 as a missing one.
@ApiTags('images')
@ApiBearerAuth()
@Controller('images')
export class ImagesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @RequireScopes(IMAGES_READ)
  @ApiOperation({ summary: 'Images pushed, newest first, optionally of one repository' })
  @ApiQuery({ name: 'repository', required: false })
  async list(@CurrentPrincipal() principal: Principal, @Query('repository') repository?: unknown): Promise<{ items: ImageView[] }> {
    if (repository !== undefined && (typeof repository !== 'string' || repository.length === 0 || repository.length > 255)) {
      throw new ValidationError('image.invalid-repository', 'repository must be one OCI repository name');
    }
    const rows = await this.query(principal, repository === undefined ? '' : 'AND repository = $3', repository === undefined ? [] : [repository]);
    return { items: rows.map(viewOf) };
  }

  @Get(':digest')
  @RequireScopes(IMAGES_READ)
  @ApiOperation({ summary: 'An image by manifest digest (the latest push of it when it is in several repositories)' })
  @ApiOkResponse({ description: 'registry, repository, tags, size, config digest, base' })
  @ApiNotFoundResponse({ description: 'no such image, or one of another tenant or project' })
  async get(@CurrentPrincipal() principal: Principal, @Param('digest') digest: string): Promise<ImageView> {
    if (!DIGEST.test(digest)) throw new ValidationError('image.invalid-digest', 'digest must be sha256:<64 lowercase hex>');
    const [row] = await this.query(principal, 'AND digest = $3', [digest]);
    if (!row) throw new NotFoundException('image not found');
    return viewOf(row);
  }

  private query(principal: Principal, filter: string, params: unknown[]): Promise<ImageRow[]> {
    return this.dataSource.query(
      `SELECT * FROM ${quoteSchema(schemaOf(this.dataSource))}.container_images
        WHERE tenant_id = $1 AND ($2::text[] IS NULL OR project_id = ANY($2)) ${filter}
        ORDER BY pushed_at DESC, repository LIMIT ${LIMIT}`,
      [principal.tenantId, principal.projects ? [...principal.projects] : null, ...params],
    );
  }
}
