import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { gitProviderFromEnv, type GitIdentity } from '@delivery/git-provider';
import type { Actor } from '@delivery/contracts';
import { ProjectionFreshness } from './projection-freshness';
import { RepositoryDirectory } from './repository-directory';
import { BranchPolicyProjection, RepositoryProjection } from './repository-directory.projection';

export const GIT_PROVIDER = Symbol('GIT_PROVIDER');

// What every source-control service imports: the git provider from configuration and its copy of the directory.
// `follows` names the owners' events this service projects (deploy/nats subscribes it to them).
@Module({})
export class SourceControlModule {
  static forService(follows: Array<'repositories' | 'branch-policies'>): DynamicModule {
    const controllers: Type<unknown>[] = [];
    if (follows.includes('repositories')) controllers.push(RepositoryProjection);
    if (follows.includes('branch-policies')) controllers.push(BranchPolicyProjection);
    return {
      module: SourceControlModule,
      controllers,
      providers: [RepositoryDirectory, ProjectionFreshness, { provide: GIT_PROVIDER, useFactory: () => gitProviderFromEnv() }],
      exports: [RepositoryDirectory, ProjectionFreshness, GIT_PROVIDER],
    };
  }
}

/** The git identity of a command's author: its given name and email, else one derived from the actor. */
export function gitIdentityOf(actor: Actor & { name?: string; email?: string }): GitIdentity {
  const local = actor.id.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'unknown';
  return { name: actor.name ?? `${actor.id} (${actor.kind})`, email: actor.email ?? `${local}@${actor.kind}.delivery.invalid` };
}
