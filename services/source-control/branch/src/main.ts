import { bootstrapService } from '@delivery/service-kit';
import { branchService } from './branch.service';

bootstrapService(branchService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
