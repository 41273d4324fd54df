import { bootstrapService } from '@delivery/service-kit';
import { pipelineGeneratorService } from './pipeline-generator.service';

bootstrapService(pipelineGeneratorService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
