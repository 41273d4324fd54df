import { Module } from '@nestjs/common';
import { SourceControlModule } from '@delivery/repository-directory';
import { BranchesController } from './branches.controller';
import { CreateBranchConsumer, CreateBranchHandler } from './create-branch/create-branch.handler';
import { DeleteBranchConsumer, DeleteBranchHandler } from './delete-branch/delete-branch.handler';
import { SetBranchPolicyConsumer, SetBranchPolicyHandler } from './set-branch-policy/set-branch-policy.handler';

@Module({
  // follows RepositoryProvisioned (deploy/nats subscribes `branch` to it); its own policies it writes itself
  imports: [SourceControlModule.forService(['repositories'])],
  controllers: [CreateBranchConsumer, DeleteBranchConsumer, SetBranchPolicyConsumer, BranchesController],
  providers: [CreateBranchHandler, DeleteBranchHandler, SetBranchPolicyHandler],
})
export class BranchModule {}
