import { bootstrapService } from '@delivery/service-kit';
import { releaseService } from './release.service';

bootstrapService(releaseService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
