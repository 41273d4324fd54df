import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { validateBranchName } from '@delivery/git-provider';
import { createEnvelope } from '@delivery/messaging';
import { RepositoryDirectory } from '@delivery/repository-directory';
import { type CommandHandler, type CommandOrigin, type Decision } from '@delivery/service-kit';
import { branchRejected, branchStream, SOURCE } from '../branch.events';
import { lockBranchPolicy } from '../branch-policy.lock';
import { viaGit } from '../git-errors';

type Command = Envelope<PayloadOf<'SetBranchPolicy'>, 'SetBranchPolicy'>;
type PolicySet = PayloadOf<'BranchPolicySet'>;

// SetBranchPolicy, for the bus and for PUT /repositories/:id/branches/:name/policy. This service owns
// branch_policies: the row and the event are written in one transaction, versions count 1, 2, 3… per branch and
// the other source-control services keep their copies from BranchPolicySet, newest version winning.
// The branch need not exist yet: a policy set ahead (say on release/2.0) applies from the moment it is created.
@Injectable()
export class SetBranchPolicyHandler implements CommandHandler<'SetBranchPolicy', PolicySet> {
  constructor(private readonly directory: RepositoryDirectory) {}

  async execute(command: Command, manager: EntityManager, origin: CommandOrigin): Promise<Decision<PolicySet>> {
    const { repositoryId, branch, policy } = command.payload;
    const repository = await this.directory.require(command, repositoryId, origin, manager);
    // a name git would refuse could never be created, so its policy could never apply
    await viaGit(async () => validateBranchName(branch));
    await lockBranchPolicy(manager, repositoryId, branch, 'exclusive');
    const rows: Array<{ version: number }> = await manager.query(`SELECT version FROM branch_policies WHERE repository_id = $1 AND branch = $2 FOR UPDATE`, [repositoryId, branch]);
    const version = (rows[0]?.version ?? 0) + 1;
    await this.directory.recordPolicy(manager, { repositoryId, branch, tenantId: repository.tenantId, projectId: repository.projectId, policy, version });
    const payload: PolicySet = { repositoryId, branch, policy, version };
    const event = createEnvelope('BranchPolicySet', payload, { source: SOURCE });
    return { appends: [{ stream: branchStream(repositoryId), events: [event], expectedVersion: 'any' }], result: payload };
  }

  failed(command: Command, error: PayloadOf<'BranchCommandRejected'>['error']) {
    return branchRejected(command, command.payload.repositoryId, command.payload.branch, error);
  }
}
