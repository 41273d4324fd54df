import { bootstrapService } from '@delivery/service-kit';
import { commitService } from './commit.service';

bootstrapService(commitService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
