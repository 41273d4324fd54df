import { Body, Controller, Delete, Get, Inject, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, RequireScopes, type Principal } from '@delivery/auth';
import type { CommandType, PayloadOf, schemas } from '@delivery/contracts';
import type { GitProvider } from '@delivery/git-provider';
import { NotFoundError, ValidationError } from '@delivery/messaging';
import { BRANCH_POLICIES_WRITE, GIT_PROVIDER, locatorOf, REPOSITORIES_READ, REPOSITORIES_WRITE, RepositoryDirectory, type RepositoryRecord } from '@delivery/repository-directory';
import { CommandRunner, pageOf, pageResult, payloadSchemaOf, restCommand, type CommandHandler, type PageRequest } from '@delivery/service-kit';
import { SOURCE } from './branch.events';
import { CreateBranchHandler } from './create-branch/create-branch.handler';
import { DeleteBranchHandler } from './delete-branch/delete-branch.handler';
import { viaGit } from './git-errors';
import { SetBranchPolicyHandler } from './set-branch-policy/set-branch-policy.handler';

type BranchPolicy = schemas.BranchPolicy;

export interface BranchView {
  name: string;
  sha: string;
  default: boolean;
  /** present when a policy is set for the branch */
  policy?: BranchPolicy;
  policyVersion?: number;
}

// the REST bodies are the commands' payloads; repositoryId (and the branch name) come from the path
const POLICY_SCHEMA = (payloadSchemaOf('SetBranchPolicy').properties as Record<string, Record<string, unknown>>)['policy'] ?? {};
const BRANCH_SCHEMA = {
  type: 'object',
  properties: { name: { type: 'string' }, sha: { type: 'string' }, default: { type: 'boolean' }, policy: POLICY_SCHEMA, policyVersion: { type: 'integer' } },
};
const BRANCH_PARAM = { name: 'name', description: 'the branch name, URL-encoded when it has a "/" (request%2F42)' };
// a cursor is the last branch name of the previous page; pageOf's id cursor has no "/", branch names may
const BRANCH_CURSOR = /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$/;

// REST door of the branch service (Studio, operators); the bus doors are the handlers' consumers.
@ApiTags('branches')
@ApiBearerAuth()
@ApiParam({ name: 'id', description: 'the repositoryId' })
@Controller('repositories/:id/branches')
export class BranchesController {
  constructor(
    private readonly runner: CommandRunner,
    private readonly createHandler: CreateBranchHandler,
    private readonly deleteHandler: DeleteBranchHandler,
    private readonly policyHandler: SetBranchPolicyHandler,
    private readonly directory: RepositoryDirectory,
    private readonly dataSource: DataSource,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
  ) {}

  @Post()
  @RequireScopes(REPOSITORIES_WRITE)
  @ApiOperation({ summary: 'Create a branch from a branch or a commit (the CreateBranch command); answers with BranchCreated' })
  @ApiBody({ schema: payloadSchemaOf('CreateBranch', { omit: ['repositoryId'] }) })
  @ApiCreatedResponse({ schema: payloadSchemaOf('BranchCreated') })
  @ApiBadRequestResponse({ description: 'a body the schema refuses, or a name git refuses (git.invalid-branch)' })
  @ApiConflictResponse({ description: 'the branch exists (git.branch-exists)' })
  @ApiNotFoundResponse({ description: 'no such repository, or the start point does not exist' })
  async create(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown): Promise<PayloadOf<'BranchCreated'>> {
    const repository = await this.visible(principal, id);
    return this.run('CreateBranch', { ...objectOf(body), repositoryId: id }, repository, this.createHandler);
  }

  @Get()
  @RequireScopes(REPOSITORIES_READ)
  @ApiOperation({ summary: 'Branches of the repository by name, with their policies; page with ?after=<next>' })
  @ApiQuery({ name: 'limit', required: false, description: '1-200 (default 50)' })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` of the previous page' })
  @ApiOkResponse({ schema: { type: 'object', properties: { items: { type: 'array', items: BRANCH_SCHEMA }, next: { type: 'string', nullable: true } } } })
  @ApiNotFoundResponse({ description: 'no such repository in the caller’s tenant' })
  async list(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query('limit') limit?: unknown, @Query('after') after?: unknown) {
    const page = branchPageOf(limit, after);
    const repository = await this.visible(principal, id);
    const branches = await viaGit(() => this.git.listBranches(locatorOf(repository)));
    const policies = await this.policiesOf(repository.repositoryId);
    const items = branches
      .filter((branch) => page.after === undefined || branch.name > page.after)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, page.limit)
      .map((branch): BranchView => {
        const policy = policies.get(branch.name);
        return { ...branch, default: branch.name === repository.defaultBranch, ...(policy ? { policy: policy.policy, policyVersion: policy.version } : {}) };
      });
    return pageResult(items, page, (item) => item.name);
  }

  @Delete(':name')
  @RequireScopes(REPOSITORIES_WRITE)
  @ApiOperation({ summary: 'Delete a branch (the DeleteBranch command); refused for the default branch and protected branches' })
  @ApiParam(BRANCH_PARAM)
  @ApiQuery({ name: 'expectedSha', required: false, description: 'delete only while the branch points here' })
  @ApiOkResponse({ schema: payloadSchemaOf('BranchDeleted') })
  @ApiBadRequestResponse({ description: 'expectedSha is not a full sha' })
  @ApiConflictResponse({ description: 'default (branch.default) or protected (branch.protected) branch, or it moved from expectedSha (git.ref-conflict)' })
  @ApiNotFoundResponse({ description: 'no such repository or branch' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('name') name: string, @Query('expectedSha') expectedSha?: unknown): Promise<PayloadOf<'BranchDeleted'>> {
    const repository = await this.visible(principal, id);
    return this.run('DeleteBranch', { repositoryId: id, name, ...(expectedSha === undefined ? {} : { expectedSha }) }, repository, this.deleteHandler);
  }

  @Put(':name/policy')
  @RequireScopes(BRANCH_POLICIES_WRITE)
  @ApiOperation({ summary: 'Set the policy of a branch, existing or not yet created (the SetBranchPolicy command); answers with BranchPolicySet' })
  @ApiParam(BRANCH_PARAM)
  @ApiBody({ schema: POLICY_SCHEMA })
  @ApiOkResponse({ schema: payloadSchemaOf('BranchPolicySet') })
  @ApiBadRequestResponse({ description: 'a policy the schema refuses (e.g. no allowed merge strategy), or a name git refuses' })
  @ApiNotFoundResponse({ description: 'no such repository' })
  async setPolicy(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('name') name: string, @Body() body: unknown): Promise<PayloadOf<'BranchPolicySet'>> {
    const repository = await this.visible(principal, id);
    return this.run('SetBranchPolicy', { repositoryId: id, branch: name, policy: body }, repository, this.policyHandler);
  }

  @Get(':name/policy')
  @RequireScopes(REPOSITORIES_READ)
  @ApiOperation({ summary: 'The policy of a branch and its version' })
  @ApiParam(BRANCH_PARAM)
  @ApiOkResponse({ schema: payloadSchemaOf('BranchPolicySet') })
  @ApiNotFoundResponse({ description: 'no such repository, or no policy set for the branch' })
  async getPolicy(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('name') name: string): Promise<PayloadOf<'BranchPolicySet'>> {
    const repository = await this.visible(principal, id);
    const found = await this.directory.policy(repository.repositoryId, name);
    if (!found) throw new NotFoundError('branch-policy.not-found', `no policy is set for branch ${name} of repository ${repository.name}`);
    return { repositoryId: repository.repositoryId, branch: name, policy: found.policy, version: found.version };
  }

  // DESIGN §6: another tenant's repository, or a project the token is not limited to, answers 404 like a missing one
  private visible(principal: Principal, id: string): Promise<RepositoryRecord> {
    return this.directory.visibleTo(principal, id);
  }

  // the command takes the repository's project, so the handler finds it exactly as it would a bus command's
  private async run<T extends CommandType, R>(type: T, payload: unknown, repository: RepositoryRecord, handler: CommandHandler<T, R>): Promise<R> {
    return this.runner.runRest(restCommand(type, payload, { source: SOURCE, projectId: repository.projectId }), handler);
  }

  private async policiesOf(repositoryId: string): Promise<Map<string, { policy: BranchPolicy; version: number }>> {
    const rows: Array<{ branch: string; policy: BranchPolicy; version: number }> = await this.dataSource.query(
      `SELECT branch, policy, version FROM branch_policies WHERE repository_id = $1`,
      [repositoryId],
    );
    return new Map(rows.map((row) => [row.branch, { policy: row.policy, version: row.version }]));
  }
}

function objectOf(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function branchPageOf(limit: unknown, after: unknown): PageRequest {
  if (after !== undefined && (typeof after !== 'string' || !BRANCH_CURSOR.test(after))) throw new ValidationError('invalid-cursor', 'after must be the last branch name of the previous page');
  return { ...pageOf(limit, undefined), ...(after ? { after } : {}) };
}
