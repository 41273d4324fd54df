import { Module, type DynamicModule } from '@nestjs/common';
import { KnownBuilds, KnownBuildsReactions } from '@delivery/packaging-known-builds';
import { BuildContainerImageConsumer } from './build-image/build-image.consumer';
import { BuildContainerImageHandler } from './build-image/build-image.handler';
import { ImageBuilder } from './build-image/image.builder';
import { IMAGE_OPTIONS, type ContainerImageOptions } from './container-image.options';
import { ImagesController } from './images/images.controller';
import { RegistryClients } from './registry/registries.config';

@Module({})
export class ContainerImageModule {
  static forRoot(options: ContainerImageOptions): DynamicModule {
    return {
      module: ContainerImageModule,
      controllers: [BuildContainerImageConsumer, KnownBuildsReactions, ImagesController],
      providers: [
        { provide: IMAGE_OPTIONS, useValue: options },
        // one client per registry for the process: their token caches outlive a command
        { provide: RegistryClients, useValue: new RegistryClients(options.registries, options.defaultRegistry, options.retry) },
        KnownBuilds,
        ImageBuilder,
        BuildContainerImageHandler,
      ],
    };
  }
}
