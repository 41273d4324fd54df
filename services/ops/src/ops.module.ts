import { Module } from '@nestjs/common';
import { ApiProxyModule } from './api-proxy/api-proxy.module';
import { CombinedOpenApiModule } from './combined-openapi/combined-openapi.module';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { LineageModule } from './lineage/lineage.module';
import { ServiceDirectoryModule } from './service-directory/service-directory.module';

// The single HTTP entry for Studio and operators (DESIGN §2): gateway, combined OpenAPI, lineage, dead letters.
@Module({
  imports: [ApiProxyModule, ServiceDirectoryModule, CombinedOpenApiModule, LineageModule, DeadLettersModule],
})
export class OpsModule {}
