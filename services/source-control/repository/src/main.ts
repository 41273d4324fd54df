import { bootstrapService } from '@delivery/service-kit';
import { repositoryService } from './repository.service';

bootstrapService(repositoryService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
