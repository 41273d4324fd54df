import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { GitConflictError, platformErrorOf, type GitProvider, type RepositoryInfo, type RepositoryLocator } from '@delivery/git-provider';
import { createEnvelope, IllegalStateError, uuidv7 } from '@delivery/messaging';
import { GIT_PROVIDER, gitIdentityOf, RepositoryDirectory, type RepositoryRecord } from '@delivery/repository-directory';
import { type CommandHandler, type Decision } from '@delivery/service-kit';

type Command = Envelope<PayloadOf<'ProvisionRepository'>, 'ProvisionRepository'>;
const SOURCE = 'repository';

// ProvisionRepository, for the bus and for POST /repositories. The directory row is written first, in the
// command's transaction: its unique (tenant, project, name) key is what refuses a second repository of the same
// name, even from a concurrent command. A bare repository left on disk by a crash before that transaction
// committed is adopted when the command is redelivered, so a redelivery still yields one repository.
@Injectable()
export class ProvisionRepositoryHandler implements CommandHandler<'ProvisionRepository', RepositoryRecord> {
  constructor(
    private readonly directory: RepositoryDirectory,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
  ) {}

  async execute(command: Command, manager: EntityManager): Promise<Decision<RepositoryRecord>> {
    const { name, initialFiles } = command.payload;
    const scope = { tenantId: command.tenantId, projectId: command.projectId };
    const locator: RepositoryLocator = { ...scope, name };
    const defaultBranch = command.payload.defaultBranch ?? 'main';
    const repository: RepositoryRecord = {
      repositoryId: uuidv7(),
      ...locator,
      defaultBranch,
      purpose: command.payload.purpose ?? 'application',
      provider: this.git.kind === 'azure-devops' ? 'azure-devops' : 'local',
      cloneUrl: '',
    };
    if (!(await this.directory.record(manager, repository, command.id))) {
      throw new IllegalStateError('repository.name-taken', `a repository named "${name}" already exists in project ${command.projectId}`);
    }
    const info = await this.create(locator, command, defaultBranch, initialFiles ?? []);
    repository.cloneUrl = info.cloneUrl;
    repository.defaultBranch = info.defaultBranch;
    await manager.query(`UPDATE repositories SET clone_url = $2, default_branch = $3 WHERE repository_id = $1`, [repository.repositoryId, info.cloneUrl, info.defaultBranch]);
    const event = createEnvelope(
      'RepositoryProvisioned',
      {
        repositoryId: repository.repositoryId,
        name,
        defaultBranch: info.defaultBranch,
        purpose: repository.purpose,
        provider: repository.provider,
        cloneUrl: info.cloneUrl,
        headSha: info.headSha || null,
      },
      { source: SOURCE },
    );
    return { appends: [{ stream: `repository-${repository.repositoryId}`, events: [event], expectedVersion: 'no-stream' }], result: repository };
  }

  failed(command: Command, error: PayloadOf<'RepositoryProvisioningFailed'>['error']) {
    const event = createEnvelope('RepositoryProvisioningFailed', { name: command.payload.name, error }, { source: SOURCE });
    return { stream: `repository-name-${command.tenantId}-${command.projectId}-${command.payload.name}`, events: [event] };
  }

  private async create(locator: RepositoryLocator, command: Command, defaultBranch: string, initialFiles: NonNullable<Command['payload']['initialFiles']>): Promise<RepositoryInfo> {
    try {
      return await this.git.createRepository(locator, {
        defaultBranch,
        initialFiles: initialFiles.map((file) => ({ action: 'add', ...file })),
        author: gitIdentityOf(command.actor),
        message: initialFiles.length > 0 ? 'Initial files' : 'Initial commit',
      });
    } catch (error) {
      // our row did not exist, so the repository on disk is an earlier attempt of this command that crashed
      if (error instanceof GitConflictError) {
        const existing = await this.git.getRepository(locator).catch((lookup: unknown) => {
          throw platformErrorOf(lookup);
        });
        if (existing) return existing;
      }
      throw platformErrorOf(error);
    }
  }
}
