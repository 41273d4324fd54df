import { bootstrapService } from '@delivery/service-kit';
import { opsService } from './ops.service';

// The ops app: gateway, combined OpenAPI, lineage read model and dead-letter API in one process.
bootstrapService(opsService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
