import { Module } from '@nestjs/common';
import { commandConsumer } from '@delivery/service-kit';
import { SourceControlModule } from '@delivery/repository-directory';
import { BranchesController } from './branches.controller';
import { CreateBranchHandler } from './create-branch/create-branch.handler';
import { DeleteBranchHandler } from './delete-branch/delete-branch.handler';
import { SetBranchPolicyHandler } from './set-branch-policy/set-branch-policy.handler';

@Module({
  // follows RepositoryProvisioned (deploy/nats subscribes `branch` to it); its own policies it writes itself
  imports: [SourceControlModule.forService(['repositories'])],
  controllers: [commandConsumer('CreateBranch', CreateBranchHandler), commandConsumer('DeleteBranch', DeleteBranchHandler), commandConsumer('SetBranchPolicy', SetBranchPolicyHandler), BranchesController],
  providers: [CreateBranchHandler, DeleteBranchHandler, SetBranchPolicyHandler],
})
export class BranchModule {}
