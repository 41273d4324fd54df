import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiBody, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, hasScope, RequireScopes, type Principal } from '@delivery/auth';
import type { Envelope } from '@delivery/contracts';
import { DeadLetters, NotFoundError, ValidationError, type DeadLetter } from '@delivery/messaging';
import { DEAD_LETTERS_READ, DEAD_LETTERS_REPLAY, PLATFORM_OPERATOR } from '../ops.scopes';
import {
  DeadLetterDto,
  DeadLetterListDto,
  DiscardDeadLetterBody,
  DiscardResultDto,
  ReplayDeadLetterBody,
  ReplayResultDto,
} from './dead-letters.dto';

const SUBJECT_TOKEN = /^[A-Za-z0-9-]{1,100}$/;
const MAX_REASON = 2000;
const SEQ_PARAM = { name: 'seq', schema: { type: 'integer', minimum: 1 }, description: 'sequence of the dead letter in the dead-letter stream' } as const;
const NOT_FOUND = { description: 'no such dead letter, or one of another tenant' };

// Thin REST shell over the DeadLetters library (DESIGN §3). Tenancy: a principal sees the dead letters whose
// envelope belongs to its tenant; a platform operator sees all of them, unreadable ones included.
@ApiTags('dead-letters')
@ApiBearerAuth()
@Controller('dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLetters) {}

  @Get()
  @RequireScopes(DEAD_LETTERS_READ)
  @ApiOperation({ summary: 'Dead letters, oldest first' })
  @ApiQuery({ name: 'service', required: false, description: 'the service whose consumer gave up' })
  @ApiQuery({ name: 'type', required: false, description: 'message type, e.g. CreateCommit' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000 (default 100)' })
  @ApiOkResponse({ type: DeadLetterListDto })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('service') service?: unknown,
    @Query('type') type?: unknown,
    @Query('limit') limit?: unknown,
  ): Promise<DeadLetterListDto> {
    const deadLetters = await this.deadLetters.list({
      service: token(service, 'service'),
      type: token(type, 'type'),
      limit: limitOf(limit),
      tenantId: isOperator(principal) ? undefined : principal.tenantId,
    });
    return { deadLetters };
  }

  @Get(':seq')
  @RequireScopes(DEAD_LETTERS_READ)
  @ApiOperation({ summary: 'One dead letter with its full record' })
  @ApiParam(SEQ_PARAM)
  @ApiOkResponse({ type: DeadLetterDto })
  @ApiNotFoundResponse(NOT_FOUND)
  show(@CurrentPrincipal() principal: Principal, @Param('seq') seq: string): Promise<DeadLetterDto> {
    return this.visible(principal, parseSeq(seq));
  }

  @Post(':seq/replay')
  @HttpCode(200)
  @RequireScopes(DEAD_LETTERS_REPLAY)
  @ApiOperation({ summary: 'Republish the envelope (or a corrected one, same id and traceId) to its original subject' })
  @ApiParam(SEQ_PARAM)
  @ApiBody({ type: ReplayDeadLetterBody })
  @ApiOkResponse({ type: ReplayResultDto })
  @ApiBadRequestResponse({ description: 'no reason, an invalid envelope, or one that changes id, traceId or tenant' })
  @ApiNotFoundResponse(NOT_FOUND)
  async replay(@CurrentPrincipal() principal: Principal, @Param('seq') rawSeq: string, @Body() body: unknown): Promise<ReplayResultDto> {
    const seq = parseSeq(rawSeq);
    const reason = reasonOf(body);
    const corrected = envelopeOf(body);
    const letter = await this.visible(principal, seq);
    // Without operator rights a corrected envelope stays in the caller's tenant: no publishing into another one.
    if (corrected && !isOperator(principal) && corrected.tenantId !== principal.tenantId) {
      throw new ValidationError('replay-tenant-changed', `a replay keeps the tenant ${letter.tenantId ?? principal.tenantId}`);
    }
    const { envelope, subject } = await this.deadLetters.replay(seq, { operator: principal.actor, reason, ...(corrected ? { envelope: corrected } : {}) });
    return { seq, subject, envelopeId: envelope.id, traceId: envelope.traceId, edited: corrected !== undefined };
  }

  @Post(':seq/discard')
  @HttpCode(200)
  @RequireScopes(DEAD_LETTERS_REPLAY)
  @ApiOperation({ summary: 'Remove a dead letter without replaying it (recorded with operator and reason)' })
  @ApiParam(SEQ_PARAM)
  @ApiBody({ type: DiscardDeadLetterBody })
  @ApiOkResponse({ type: DiscardResultDto })
  @ApiBadRequestResponse({ description: 'no reason' })
  @ApiNotFoundResponse(NOT_FOUND)
  async discard(@CurrentPrincipal() principal: Principal, @Param('seq') rawSeq: string, @Body() body: unknown): Promise<DiscardResultDto> {
    const seq = parseSeq(rawSeq);
    const reason = reasonOf(body);
    await this.visible(principal, seq);
    await this.deadLetters.discard(seq, { operator: principal.actor, reason });
    return { seq, discarded: true };
  }

  // Another tenant's dead letter answers exactly like a missing one.
  private async visible(principal: Principal, seq: number): Promise<DeadLetter> {
    const letter = await this.deadLetters.show(seq);
    if (!isOperator(principal) && letter.tenantId !== principal.tenantId) throw new NotFoundError('dead-letter-not-found', `no dead letter with sequence ${seq}`);
    return letter;
  }
}

function isOperator(principal: Principal): boolean {
  return hasScope(principal, PLATFORM_OPERATOR);
}

export function parseSeq(raw: string): number {
  if (!/^[1-9][0-9]{0,14}$/.test(raw)) throw new ValidationError('bad-seq', `"${raw.slice(0, 40)}" is not a dead-letter sequence (a positive integer)`);
  return Number(raw);
}

function token(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  // The value becomes a subject token: a dot or a wildcard would widen the filter.
  if (typeof value !== 'string' || !SUBJECT_TOKEN.test(value)) throw new ValidationError(`bad-${name}`, `${name} must be letters, digits and dashes`);
  return value;
}

function limitOf(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const limit = typeof value === 'string' && /^[0-9]{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= 1000)) throw new ValidationError('bad-limit', 'limit must be an integer from 1 to 1000');
  return limit;
}

function reasonOf(body: unknown): string {
  const reason = isObject(body) ? body.reason : undefined;
  if (typeof reason !== 'string' || !reason.trim()) throw new ValidationError('reason-required', 'say why: the body needs a non-empty "reason"');
  if (reason.length > MAX_REASON) throw new ValidationError('reason-too-long', `reason is ${reason.length} characters; the limit is ${MAX_REASON}`);
  return reason.trim();
}

function envelopeOf(body: unknown): Envelope | undefined {
  const envelope = isObject(body) ? body.envelope : undefined;
  if (envelope === undefined || envelope === null) return undefined;
  if (!isObject(envelope)) throw new ValidationError('bad-envelope', '"envelope" must be a JSON object (the corrected envelope)');
  return envelope as unknown as Envelope;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
