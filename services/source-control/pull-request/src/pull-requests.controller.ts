import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import type { PayloadOf } from '@delivery/contracts';
import { ValidationError } from '@delivery/messaging';
import { locatorOf, PULL_REQUESTS_MERGE, PULL_REQUESTS_READ, PULL_REQUESTS_REVIEW, PULL_REQUESTS_WRITE, RepositoryDirectory } from '@delivery/repository-directory';
import { CommandRunner, pageOf, pageResult, payloadSchemaOf, restCommand, type CommandHandler } from '@delivery/service-kit';
import { ClosePullRequestHandler } from './close-pull-request/close-pull-request.handler';
import { CommentOnPullRequestHandler } from './comment-on-pull-request/comment-on-pull-request.handler';
import { evaluate, type PolicyOutcome } from './domain/merge-policy';
import { MergePullRequestHandler } from './merge-pull-request/merge-pull-request.handler';
import { OpenPullRequestHandler } from './open-pull-request/open-pull-request.handler';
import { PullRequestGit } from './pull-request.git';
import { PullRequestReadModel, stateOf, type ListedStatus, type PullRequestRecord } from './pull-request.read-model';
import { notFound, SOURCE } from './pull-request.repository';
import { ReviewPullRequestHandler } from './review-pull-request/review-pull-request.handler';
import { SetPullRequestCheckHandler } from './set-pull-request-check/set-pull-request-check.handler';

type PullRequestCommand = 'CommentOnPullRequest' | 'ReviewPullRequest' | 'SetPullRequestCheck' | 'MergePullRequest' | 'ClosePullRequest';

const STATUSES: readonly ListedStatus[] = ['open', 'merged', 'closed'];
const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const ACTOR_SCHEMA = { type: 'object', properties: { kind: { type: 'string', enum: ['agent', 'user', 'service'] }, id: { type: 'string' } } };
const RULE_SCHEMA = { type: 'object', properties: { rule: { type: 'string' }, passed: { type: 'boolean' }, message: { type: 'string' } } };
const CHECK_SCHEMA = { type: 'object', properties: { name: { type: 'string' }, state: { type: 'string' }, sourceSha: { type: 'string' }, description: { type: 'string' } } };
const SUMMARY_PROPERTIES = {
  pullRequestId: { type: 'string' },
  tenantId: { type: 'string' },
  projectId: { type: 'string' },
  repositoryId: { type: 'string' },
  number: { type: 'integer' },
  sourceBranch: { type: 'string' },
  targetBranch: { type: 'string' },
  status: { type: 'string', enum: [...STATUSES] },
  title: { type: 'string' },
  description: { type: 'string', nullable: true },
  labels: { type: 'array', items: { type: 'string' } },
  author: ACTOR_SCHEMA,
  deleteSourceBranchOnMerge: { type: 'boolean' },
  sourceSha: { type: 'string', description: 'the latest source head the service has seen' },
  targetSha: { type: 'string', description: 'the target head when the pull request was opened' },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
};
const PULL_REQUEST_SCHEMA = {
  type: 'object',
  properties: {
    ...SUMMARY_PROPERTIES,
    headSha: { type: 'string', description: 'the live head of the source branch (the last seen one when the branch is gone)' },
    checks: { type: 'array', items: CHECK_SCHEMA, description: 'every check reported, on every head' },
    reviews: { type: 'array', items: { type: 'object', properties: { reviewer: ACTOR_SCHEMA, decision: { type: 'string' }, sourceSha: { type: 'string' }, comment: { type: 'string' } } } },
    comments: { type: 'array', items: { type: 'object', properties: { commentId: { type: 'string' }, author: ACTOR_SCHEMA, body: { type: 'string' }, key: { type: 'string' }, path: { type: 'string' }, line: { type: 'integer' } } } },
    policy: {
      type: 'object',
      description: 'the merge policy of the target branch, evaluated now against headSha',
      properties: { sourceSha: { type: 'string' }, verdict: { type: 'string', enum: ['passed', 'failed'] }, rules: { type: 'array', items: RULE_SCHEMA }, checks: { type: 'array', items: CHECK_SCHEMA } },
    },
    merge: { type: 'object', nullable: true, properties: { mergeSha: { type: 'string' }, strategy: { type: 'string' }, sourceBranchDeleted: { type: 'boolean' } } },
  },
};


export type PullRequestView = Omit<PullRequestRecord, 'version'> & { headSha: string; policy: PolicyOutcome & { sourceSha: string } };

// REST door of the pull-request service (Studio, people reviewing); the bus doors are the use cases' consumers.
// Commands go through the same handlers as on the bus; the actor is the caller's, from the token.
@ApiTags('pull-requests')
@ApiBearerAuth()
@Controller('pull-requests')
export class PullRequestsController {
  constructor(
    private readonly runner: CommandRunner,
    private readonly directory: RepositoryDirectory,
    private readonly readModel: PullRequestReadModel,
    private readonly git: PullRequestGit,
    private readonly openHandler: OpenPullRequestHandler,
    private readonly commentHandler: CommentOnPullRequestHandler,
    private readonly reviewHandler: ReviewPullRequestHandler,
    private readonly checkHandler: SetPullRequestCheckHandler,
    private readonly mergeHandler: MergePullRequestHandler,
    private readonly closeHandler: ClosePullRequestHandler,
  ) {}

  @Post()
  @RequireScopes(PULL_REQUESTS_WRITE)
  @ApiOperation({ summary: 'Open a pull request (the OpenPullRequest command); the project is the repository’s' })
  @ApiBody({ schema: payloadSchemaOf('OpenPullRequest') })
  @ApiCreatedResponse({ description: 'PullRequestOpened', schema: payloadSchemaOf('PullRequestOpened') })
  @ApiNotFoundResponse({ description: 'no such repository in the caller’s tenant, or a branch does not exist' })
  @ApiConflictResponse({ description: 'a pull request for the same source and target is open (pull-request.duplicate)' })
  async open(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<PayloadOf<'PullRequestOpened'>> {
    const repositoryId = objectOf(body).repositoryId;
    if (typeof repositoryId !== 'string' || !ENTITY_ID.test(repositoryId)) throw new ValidationError('invalid-body', 'repositoryId must be the id of a repository');
    const repository = await this.directory.visibleTo(principal, repositoryId);
    const command = restCommand('OpenPullRequest', body, { source: SOURCE, projectId: repository.projectId });
    return this.runner.runRest(command, this.openHandler);
  }

  @Get()
  @RequireScopes(PULL_REQUESTS_READ)
  @ApiOperation({ summary: 'Pull requests of the tenant, oldest first; page with ?after=<next>' })
  @ApiQuery({ name: 'repositoryId', required: false })
  @ApiQuery({ name: 'status', required: false, enum: [...STATUSES] })
  @ApiQuery({ name: 'limit', required: false, description: '1-200 (default 50)' })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` of the previous page' })
  @ApiOkResponse({ schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: SUMMARY_PROPERTIES } }, next: { type: 'string', nullable: true } } } })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('repositoryId') repositoryId?: unknown,
    @Query('status') status?: unknown,
    @Query('limit') limit?: unknown,
    @Query('after') after?: unknown,
  ) {
    if (repositoryId !== undefined && (typeof repositoryId !== 'string' || !ENTITY_ID.test(repositoryId))) throw new ValidationError('invalid-repository', 'repositoryId must be a repository id');
    if (status !== undefined && !STATUSES.includes(status as ListedStatus)) throw new ValidationError('invalid-status', `status must be one of ${STATUSES.join(', ')}`);
    const page = pageOf(limit, after);
    const filter = { ...(repositoryId === undefined ? {} : { repositoryId }), ...(status === undefined ? {} : { status: status as ListedStatus }) };
    const records = await this.readModel.list(scopeOf(principal), filter, page);
    const items = records.map(({ comments: _c, reviews: _r, checks: _k, lastCompleted: _l, version: _v, ...summary }) => summary);
    return pageResult(items, page, (item) => item.pullRequestId);
  }

  @Get(':id')
  @RequireScopes(PULL_REQUESTS_READ)
  @ApiOperation({ summary: 'One pull request with its checks, reviews and comments, and the merge policy evaluated now against the live source head' })
  @ApiParam({ name: 'id', description: 'pullRequestId' })
  @ApiOkResponse({ schema: PULL_REQUEST_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such pull request in the caller’s tenant' })
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<PullRequestView> {
    const record = await this.find(principal, id);
    const repository = await this.directory.find({ tenantId: record.tenantId }, record.repositoryId);
    // a merged pull request's source branch may be gone: evaluate the last head it had
    const live = repository ? await this.git.resolve(locatorOf(repository), record.sourceBranch) : undefined;
    const headSha = live ?? record.sourceSha;
    const state = stateOf(record);
    const policy = evaluate(await this.git.policy(state), state, headSha);
    const { version: _version, ...view } = record;
    return { ...view, headSha, policy: { sourceSha: headSha, ...policy } };
  }

  @Post(':id/comments')
  @RequireScopes(PULL_REQUESTS_WRITE)
  @ApiOperation({ summary: 'Comment (CommentOnPullRequest); a comment with a key replaces the earlier one of that key' })
  @ApiParam({ name: 'id', description: 'pullRequestId' })
  @ApiBody({ schema: payloadSchemaOf('CommentOnPullRequest', { omit: ['pullRequestId'] }) })
  @ApiCreatedResponse({ description: 'PullRequestCommented', schema: payloadSchemaOf('PullRequestCommented') })
  @ApiNotFoundResponse({ description: 'no such pull request in the caller’s tenant' })
  @ApiConflictResponse({ description: 'the pull request is merged or closed (pull-request.not-open)' })
  async comment(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'CommentOnPullRequest', body, this.commentHandler);
  }

  @Post(':id/reviews')
  @RequireScopes(PULL_REQUESTS_REVIEW)
  @ApiOperation({ summary: 'Approve or request changes (ReviewPullRequest) as the caller, on the current source head' })
  @ApiParam({ name: 'id', description: 'pullRequestId' })
  @ApiBody({ schema: payloadSchemaOf('ReviewPullRequest', { omit: ['pullRequestId'] }) })
  @ApiCreatedResponse({ description: 'PullRequestReviewed', schema: payloadSchemaOf('PullRequestReviewed') })
  @ApiForbiddenResponse({ description: 'the caller opened the pull request (pull-request.reviewer-is-author), or lacks the scope' })
  @ApiNotFoundResponse({ description: 'no such pull request in the caller’s tenant' })
  @ApiConflictResponse({ description: 'the pull request is merged or closed (pull-request.not-open)' })
  async review(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'ReviewPullRequest', body, this.reviewHandler);
  }

  @Post(':id/checks')
  @HttpCode(200)
  @RequireScopes(PULL_REQUESTS_WRITE)
  @ApiOperation({ summary: 'Set a named status check (SetPullRequestCheck); without sourceSha it is about the current head' })
  @ApiParam({ name: 'id', description: 'pullRequestId' })
  @ApiBody({ schema: payloadSchemaOf('SetPullRequestCheck', { omit: ['pullRequestId'] }) })
  @ApiOkResponse({ description: 'PullRequestCheckSet', schema: payloadSchemaOf('PullRequestCheckSet') })
  @ApiNotFoundResponse({ description: 'no such pull request in the caller’s tenant' })
  @ApiConflictResponse({ description: 'the pull request is merged or closed (pull-request.not-open)' })
  async check(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'SetPullRequestCheck', body, this.checkHandler);
  }

  @Post(':id/merge')
  @HttpCode(200)
  @RequireScopes(PULL_REQUESTS_MERGE)
  @ApiOperation({ summary: 'Merge when the target branch’s policy passes (MergePullRequest)' })
  @ApiParam({ name: 'id', description: 'pullRequestId' })
  @ApiBody({ schema: payloadSchemaOf('MergePullRequest', { omit: ['pullRequestId'] }) })
  @ApiOkResponse({ description: 'PullRequestMerged', schema: payloadSchemaOf('PullRequestMerged') })
  @ApiNotFoundResponse({ description: 'no such pull request in the caller’s tenant' })
  @ApiConflictResponse({
    description: 'pull-request.policy-failed (details.rules lists the failing rules), pull-request.source-moved, pull-request.not-open, git.merge-conflict, git.ref-conflict',
  })
  async merge(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'MergePullRequest', body, this.mergeHandler);
  }

  @Post(':id/close')
  @HttpCode(200)
  @RequireScopes(PULL_REQUESTS_WRITE)
  @ApiOperation({ summary: 'Close without merging (ClosePullRequest)' })
  @ApiParam({ name: 'id', description: 'pullRequestId' })
  @ApiBody({ schema: payloadSchemaOf('ClosePullRequest', { omit: ['pullRequestId'] }), required: false })
  @ApiOkResponse({ description: 'PullRequestClosed', schema: payloadSchemaOf('PullRequestClosed') })
  @ApiNotFoundResponse({ description: 'no such pull request in the caller’s tenant' })
  @ApiConflictResponse({ description: 'the pull request is merged or closed (pull-request.not-open)' })
  async close(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.command(principal, id, 'ClosePullRequest', body, this.closeHandler);
  }

  private async find(principal: Principal, id: string): Promise<PullRequestRecord> {
    const record = ENTITY_ID.test(id) ? await this.readModel.find(scopeOf(principal), id) : undefined;
    if (!record) throw notFound(id);
    return record;
  }

  // The command runs in the pull request's project; the path names the pull request, the body the rest.
  private async command<T extends PullRequestCommand, R>(principal: Principal, id: string, type: T, body: unknown, handler: CommandHandler<T, R>): Promise<R> {
    const record = await this.find(principal, id);
    const command = restCommand(type, { ...objectOf(body), pullRequestId: id }, { source: SOURCE, projectId: record.projectId });
    return this.runner.runRest(command, handler);
  }
}

function scopeOf(principal: Principal): { tenantId: string; projects?: readonly string[] } {
  return { tenantId: principal.tenantId, ...(principal.projects ? { projects: principal.projects } : {}) };
}

function objectOf(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}
