import { BusNames } from '@delivery/contracts';
import { bootstrapService, loadServiceConfig } from '@delivery/service-kit';
import { opsService } from './ops.service';

// The ops app: gateway, combined OpenAPI, lineage read model and dead-letter API in one process.
const names = new BusNames(loadServiceConfig().BUS_NAMESPACE);
bootstrapService(opsService(names)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
