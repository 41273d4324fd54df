import { bootstrapService } from '@delivery/service-kit';
import { pullRequestService } from './pull-request.service';

bootstrapService(pullRequestService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
