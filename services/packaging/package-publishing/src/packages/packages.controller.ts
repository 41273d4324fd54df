import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import { ValidationError } from '@delivery/messaging';
import { PACKAGES_READ } from '../package-publishing.scopes';
import { Publications, type PublicationRow } from './publications';

const NAME = /^(@[A-Za-z0-9~-][A-Za-z0-9._~-]*\/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$/;
const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+(\.[0-9]+)?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

// What the tenant published, newest first. A scoped npm name goes in the path URL-encoded (%40scope%2Fname).
// Another tenant's (or project's) publications are simply not there: 404, never 403.
@ApiTags('packages')
@ApiBearerAuth()
@Controller('packages')
export class PackagesController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly publications: Publications,
  ) {}

  @Get()
  @RequireScopes(PACKAGES_READ)
  @ApiOperation({ summary: 'Package publications of the tenant, newest first, optionally of one package name' })
  @ApiQuery({ name: 'name', required: false })
  @ApiQuery({ name: 'limit', required: false })
  async list(@CurrentPrincipal() principal: Principal, @Query('name') name?: unknown, @Query('limit') limit?: unknown): Promise<{ items: PublicationView[] }> {
    if (name !== undefined && (typeof name !== 'string' || !NAME.test(name) || name.length > 214)) throw new ValidationError('invalid-name', 'name must be an npm package name or a NuGet id');
    const n = limit === undefined || limit === '' ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 500) throw new ValidationError('invalid-limit', 'limit must be an integer from 1 to 500');
    const rows = await this.publications.list(this.dataSource, { tenantId: principal.tenantId, projects: principal.projects, ...(name !== undefined ? { name } : {}), limit: n });
    return { items: rows.map(viewOf) };
  }

  @Get(':name/:version')
  @RequireScopes(PACKAGES_READ)
  @ApiOperation({ summary: 'One package version: its publications (one per feed it is in)' })
  @ApiNotFoundResponse({ description: 'the tenant never published this version' })
  async get(@CurrentPrincipal() principal: Principal, @Param('name') name: string, @Param('version') version: string): Promise<{ name: string; version: string; publications: PublicationView[] }> {
    if (!NAME.test(name) || !VERSION.test(version)) throw new NotFoundException('package version not found');
    const rows = await this.publications.versionOf(this.dataSource, { tenantId: principal.tenantId, projects: principal.projects, name, version });
    if (rows.length === 0) throw new NotFoundException('package version not found');
    return { name, version, publications: rows.map(viewOf) };
  }
}

type PublicationView = Omit<PublicationRow, 'tenantId'>;

function viewOf({ tenantId: _tenant, ...row }: PublicationRow): PublicationView {
  return row;
}
