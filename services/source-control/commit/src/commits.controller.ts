import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import { platformErrorOf, type CommitInfo, type GitProvider } from '@delivery/git-provider';
import { NotFoundError, ValidationError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, REPOSITORIES_READ, REPOSITORIES_WRITE, RepositoryDirectory, type RepositoryRecord } from '@delivery/repository-directory';
import { CommandRunner, pageOf, pageResult, payloadSchemaOf, restCommand, type CommandHandler } from '@delivery/service-kit';
import type { CommitCreatedPayload } from './commit.writer';
import { CreateCommitHandler } from './create-commit/create-commit.handler';
import { RevertCommitHandler } from './revert-commit/revert-commit.handler';

const SHA = /^[0-9a-f]{40}$/;
const SHORT_SHA = /^[0-9a-f]{7,40}$/;

const COMMIT_SCHEMA = {
  type: 'object',
  properties: {
    sha: { type: 'string' },
    parents: { type: 'array', items: { type: 'string' } },
    message: { type: 'string' },
    author: { type: 'object', properties: { name: { type: 'string' }, email: { type: 'string' }, date: { type: 'string', format: 'date-time' } } },
    trailers: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

// The request body of a command on /repositories/:id/…: its payload, the repository coming from the path.

// REST door of the commit service (Studio, operators, agents without the bus); the bus doors are the consumers.
@ApiTags('commits')
@ApiBearerAuth()
@Controller('repositories')
export class CommitsController {
  constructor(
    private readonly runner: CommandRunner,
    private readonly createCommit: CreateCommitHandler,
    private readonly revertCommit: RevertCommitHandler,
    private readonly directory: RepositoryDirectory,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
  ) {}

  @Post(':id/commits')
  @HttpCode(201)
  @RequireScopes(REPOSITORIES_WRITE)
  @ApiOperation({ summary: 'Commit file changes to a branch (the CreateCommit command); answers with the CommitCreated payload' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'used when the body has no idempotencyKey: the same key yields the same commit' })
  @ApiBody({ schema: payloadSchemaOf('CreateCommit', { omit: ['repositoryId'] }) })
  @ApiCreatedResponse({ schema: payloadSchemaOf('CommitCreated') })
  @ApiOkResponse({ description: 'the idempotency key matched an earlier commit, which is the answer (duplicate: true)' })
  @ApiBadRequestResponse({ description: 'a rejected path (traversal, absolute, .git/), too many or too large files; details name the path and the rule' })
  @ApiConflictResponse({ description: 'expectedParentSha is not the head (git.ref-conflict), the branch exists, or the branch is protected' })
  @ApiNotFoundResponse({ description: 'no such repository for the caller, or no such branch' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommitCreatedPayload> {
    return this.commit('CreateCommit', this.createCommit, { principal, id, body, idempotencyKey, response });
  }

  @Post(':id/reverts')
  @HttpCode(201)
  @RequireScopes(REPOSITORIES_WRITE)
  @ApiOperation({ summary: 'Revert a commit on a branch (the RevertCommit command); answers with the CommitCreated payload (revertOf)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'used when the body has no idempotencyKey' })
  @ApiBody({ schema: payloadSchemaOf('RevertCommit', { omit: ['repositoryId'] }) })
  @ApiCreatedResponse({ schema: payloadSchemaOf('CommitCreated') })
  @ApiConflictResponse({ description: 'the revert conflicts with later changes, or the branch moved or is protected' })
  @ApiNotFoundResponse({ description: 'no such repository, branch or commit' })
  async revert(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommitCreatedPayload> {
    return this.commit('RevertCommit', this.revertCommit, { principal, id, body, idempotencyKey, response });
  }

  @Get(':id/commits')
  @RequireScopes(REPOSITORIES_READ)
  @ApiOperation({ summary: 'Commits of a branch, newest first; page with ?after=<next>' })
  @ApiQuery({ name: 'branch', required: false, description: 'defaults to the repository’s default branch' })
  @ApiQuery({ name: 'limit', required: false, description: '1-200 (default 50)' })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` of the previous page (a commit sha)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { items: { type: 'array', items: COMMIT_SCHEMA }, next: { type: 'string', nullable: true } } } })
  @ApiNotFoundResponse({ description: 'no such repository or branch' })
  async list(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query('branch') branch?: unknown, @Query('limit') limit?: unknown, @Query('after') after?: unknown) {
    const repository = await this.visible(principal, id);
    const page = pageOf(limit, after);
    const name = branch === undefined || branch === '' ? repository.defaultBranch : branch;
    if (typeof name !== 'string') throw new ValidationError('invalid-branch', 'branch must be one branch name');
    const locator = locatorOf(repository);
    const items = await mapped(async (): Promise<CommitInfo[]> => {
      const head = await this.git.resolveBranch(locator, name);
      if (!head) throw new NotFoundError('branch.not-found', `branch ${name} not found`);
      if (page.after === undefined) return this.git.log(locator, head, { limit: page.limit });
      if (!SHA.test(page.after)) throw new ValidationError('invalid-cursor', 'after must be the `next` commit sha of the previous page');
      // the cursor must be on the branch: nothing reachable from it may be missing from the branch
      if ((await this.git.log(locator, page.after, { base: head, limit: 1 })).length > 0) {
        throw new ValidationError('invalid-cursor', `commit ${page.after} is not on branch ${name}`);
      }
      return (await this.git.log(locator, page.after, { limit: page.limit + 1 })).slice(1);
    });
    return pageResult(items, page, (commit) => commit.sha);
  }

  @Get(':id/commits/:sha')
  @RequireScopes(REPOSITORIES_READ)
  @ApiOperation({ summary: 'One commit, with its trailers (Command-Id, Trace-Id, Artifact-Id …)' })
  @ApiOkResponse({ schema: COMMIT_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such repository or commit' })
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('sha') sha: string): Promise<CommitInfo> {
    const repository = await this.visible(principal, id);
    const commit = SHORT_SHA.test(sha) ? await mapped(() => this.git.getCommit(locatorOf(repository), sha)) : undefined;
    if (!commit) throw new NotFoundError('commit.not-found', `commit ${sha} not found`);
    return commit;
  }

  // another tenant's repository, or one of a project the token is not for, is the same 404 as a missing one
  private visible(principal: Principal, id: string): Promise<RepositoryRecord> {
    return this.directory.visibleTo(principal, id);
  }

  // 201 with the new commit; 200 when the idempotency key answered with an earlier one
  private async commit<T extends 'CreateCommit' | 'RevertCommit'>(
    type: T,
    handler: CommandHandler<T, CommitCreatedPayload>,
    request: { principal: Principal; id: string; body: unknown; idempotencyKey: string | undefined; response: Response },
  ): Promise<CommitCreatedPayload> {
    const repository = await this.visible(request.principal, request.id);
    const payload = payloadOf(request.body, request.id, request.idempotencyKey);
    const result = await this.runner.runRest(restCommand(type, payload, { source: 'commit', projectId: repository.projectId }), handler);
    if (result.duplicate) request.response.status(200);
    return result;
  }
}

// the body, the repository from the path, and the Idempotency-Key header when the body has no key of its own
function payloadOf(body: unknown, repositoryId: string, idempotencyKey: string | undefined): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('invalid-body', 'the body must be a JSON object');
  const payload: Record<string, unknown> = { ...body, repositoryId };
  if (payload.idempotencyKey === undefined && idempotencyKey) payload.idempotencyKey = idempotencyKey;
  return payload;
}

async function mapped<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw platformErrorOf(error);
  }
}
