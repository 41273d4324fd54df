import { bootstrapService } from '@delivery/service-kit';
import { gitopsSyncService } from './gitops-sync.service';

bootstrapService(gitopsSyncService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
