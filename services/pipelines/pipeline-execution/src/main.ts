import { bootstrapService } from '@delivery/service-kit';
import { pipelineExecutionService } from './pipeline-execution.service';

bootstrapService(pipelineExecutionService()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
