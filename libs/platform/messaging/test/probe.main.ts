import { bootstrapService } from '@delivery/service-kit';
import { probeService } from './probe.service';

// Runs the probe service as its own process, for the crash-safety tests (SIGKILL between commit and ack).
bootstrapService({ ...probeService, handleSignals: true }).then(
  (running) => process.send?.({ ready: true, url: running.url }),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
