import type { TransportMetrics } from '@delivery/messaging';
import type { PlatformMetrics } from '@delivery/observability';

export function transportMetrics(metrics: PlatformMetrics): TransportMetrics {
  return {
    handled: ({ service, type, outcome }, seconds) => metrics.observeHandler({ service, type }, outcome, seconds),
    deadLettered: ({ service, type, reason }) => metrics.recordDeadLetter({ service, type, reasonCode: reason }),
  };
}
