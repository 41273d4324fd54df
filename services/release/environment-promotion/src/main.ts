import { bootstrapService } from '@delivery/service-kit';
import { environmentPromotionService } from './environment-promotion.service';

bootstrapService(environmentPromotionService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
