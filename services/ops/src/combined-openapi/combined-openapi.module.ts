import { Module } from '@nestjs/common';
import { ServiceDirectoryModule } from '../service-directory/service-directory.module';
import { CombinedOpenApiController } from './combined-openapi.controller';

@Module({
  imports: [ServiceDirectoryModule],
  controllers: [CombinedOpenApiController],
})
export class CombinedOpenApiModule {}
