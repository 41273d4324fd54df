import { Module } from '@nestjs/common';
import { SourceControlModule } from '@delivery/repository-directory';
import { CommitLedger } from './commit.ledger';
import { CommitWriter } from './commit.writer';
import { CommitsController } from './commits.controller';
import { CreateCommitConsumer, CreateCommitHandler } from './create-commit/create-commit.handler';
import { RevertCommitConsumer, RevertCommitHandler } from './revert-commit/revert-commit.handler';

@Module({
  // repositories to resolve a command's repositoryId; branch policies to refuse direct commits to protected branches
  imports: [SourceControlModule.forService(['repositories', 'branch-policies'])],
  controllers: [CreateCommitConsumer, RevertCommitConsumer, CommitsController],
  providers: [CommitLedger, CommitWriter, CreateCommitHandler, RevertCommitHandler],
})
export class CommitModule {}
