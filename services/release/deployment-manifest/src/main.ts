import { bootstrapService } from '@delivery/service-kit';
import { deploymentManifestService } from './deployment-manifest.service';

bootstrapService(deploymentManifestService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
