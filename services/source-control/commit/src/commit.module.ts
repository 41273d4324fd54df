import { Module } from '@nestjs/common';
import { commandConsumer } from '@delivery/service-kit';
import { SourceControlModule } from '@delivery/repository-directory';
import { CommitLedger } from './commit.ledger';
import { CommitWriter } from './commit.writer';
import { CommitsController } from './commits.controller';
import { CreateCommitHandler } from './create-commit/create-commit.handler';
import { RevertCommitHandler } from './revert-commit/revert-commit.handler';

@Module({
  // repositories to resolve a command's repositoryId; branch policies to refuse direct commits to protected branches
  imports: [SourceControlModule.forService(['repositories', 'branch-policies'])],
  controllers: [commandConsumer('CreateCommit', CreateCommitHandler), commandConsumer('RevertCommit', RevertCommitHandler), CommitsController],
  providers: [CommitLedger, CommitWriter, CreateCommitHandler, RevertCommitHandler],
})
export class CommitModule {}
