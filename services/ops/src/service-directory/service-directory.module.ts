import { Module } from '@nestjs/common';
import { SERVICE_URLS, ServiceDirectory } from './service-directory';
import { ServicesController } from './services.controller';

@Module({
  controllers: [ServicesController],
  providers: [ServiceDirectory, { provide: SERVICE_URLS, useFactory: () => ServiceDirectory.fromEnv() }],
  exports: [ServiceDirectory],
})
export class ServiceDirectoryModule {}
