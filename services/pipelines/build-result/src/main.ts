import { bootstrapService } from '@delivery/service-kit';
import { buildResultService } from './build-result.service';

bootstrapService(buildResultService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
