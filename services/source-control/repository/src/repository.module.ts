import { Module } from '@nestjs/common';
import { SourceControlModule } from '@delivery/repository-directory';
import { ProvisionRepositoryConsumer, ProvisionRepositoryHandler } from './provision-repository/provision-repository.handler';
import { RepositoriesController } from './repositories.controller';

@Module({
  imports: [SourceControlModule.forService([])],
  controllers: [ProvisionRepositoryConsumer, RepositoriesController],
  providers: [ProvisionRepositoryHandler],
})
export class RepositoryModule {}
