import { bootstrapService } from '@delivery/service-kit';
import { packagePublishingService } from './package-publishing.service';

bootstrapService(packagePublishingService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
