import { bootstrapService } from '@delivery/service-kit';
import { containerImageService } from './container-image.service';

bootstrapService(containerImageService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
