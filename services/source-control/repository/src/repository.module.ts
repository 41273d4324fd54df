import { Module } from '@nestjs/common';
import { commandConsumer } from '@delivery/service-kit';
import { SourceControlModule } from '@delivery/repository-directory';
import { ProvisionRepositoryHandler } from './provision-repository/provision-repository.handler';
import { RepositoriesController } from './repositories.controller';

@Module({
  imports: [SourceControlModule.forService([])],
  controllers: [commandConsumer('ProvisionRepository', ProvisionRepositoryHandler), RepositoriesController],
  providers: [ProvisionRepositoryHandler],
})
export class RepositoryModule {}
