import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, hasScope, RequireScopes, type Principal } from '@delivery/auth';
import { ValidationError } from '@delivery/messaging';
import { LINEAGE_READ, PLATFORM_OPERATOR } from '../ops.scopes';
import { isTraceId, linkCausation, type RecordedLineageEntry } from './lineage-entry';
import { LineageRepository, MAX_STORY_ENTRIES, type LineageScope } from './lineage.repository';
import { CorrelationStoryDto, TraceStoryDto } from './lineage.dto';

@ApiTags('lineage')
@ApiBearerAuth()
@RequireScopes(LINEAGE_READ)
@Controller('lineage')
export class LineageController {
  constructor(private readonly repository: LineageRepository) {}

  @Get(':traceId')
  @ApiOperation({ summary: 'The whole story of one traceId, in order, with causation links and dead letters' })
  @ApiOkResponse({ type: TraceStoryDto })
  @ApiNotFoundResponse({ description: 'no entry of this trace is visible to the caller' })
  async byTrace(@CurrentPrincipal() principal: Principal, @Param('traceId') traceId: string): Promise<TraceStoryDto> {
    if (!isTraceId(traceId)) throw new ValidationError('bad-trace-id', 'traceId must be 32 lowercase hex digits (W3C trace-id)');
    const entries = await this.repository.byTrace(traceId, scopeOf(principal), MAX_STORY_ENTRIES + 1);
    return { traceId, ...story(entries, 'trace') };
  }

  @Get()
  @ApiOperation({ summary: 'Every entry of one correlationId (e.g. a release), in order' })
  @ApiQuery({ name: 'correlationId', required: true })
  @ApiOkResponse({ type: CorrelationStoryDto })
  @ApiNotFoundResponse({ description: 'no entry with this correlationId is visible to the caller' })
  async byCorrelation(@CurrentPrincipal() principal: Principal, @Query('correlationId') correlationId?: string): Promise<CorrelationStoryDto> {
    if (typeof correlationId !== 'string' || !correlationId || correlationId.length > 200) {
      throw new ValidationError('bad-correlation-id', 'give ?correlationId= (1-200 characters)');
    }
    const entries = await this.repository.byCorrelation(correlationId, scopeOf(principal), MAX_STORY_ENTRIES + 1);
    return { correlationId, ...story(entries, 'correlation') };
  }
}

// Tenancy (DESIGN §6): a principal sees its own tenant (and projects); a platform operator, following a dead
// letter of any tenant, sees every tenant. Nothing visible answers 404, so other tenants' traces never leak.
function scopeOf(principal: Principal): LineageScope {
  if (hasScope(principal, PLATFORM_OPERATOR)) return { allTenants: true };
  return { tenantId: principal.tenantId, ...(principal.projects ? { projects: principal.projects } : {}) };
}

function story(entries: RecordedLineageEntry[], what: string) {
  if (entries.length === 0) throw new NotFoundException(`${what} not found`);
  const truncated = entries.length > MAX_STORY_ENTRIES;
  return { entries: linkCausation(truncated ? entries.slice(0, MAX_STORY_ENTRIES) : entries), truncated };
}
