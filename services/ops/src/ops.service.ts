import type { BusNames } from '@delivery/contracts';
import type { ConsumerBinding } from '@delivery/messaging';
import { declareTopology, LINEAGE_DURABLE } from '@delivery/nats-topology';
import type { ServiceDefinition } from '@delivery/service-kit';
import { lineageMigration } from './lineage/lineage.migration';
import { OpsModule } from './ops.module';

// The lineage reads every stream of the namespace through its `ops-lineage` durables. The dead-letter stream holds
// records, not envelopes, and has its own reader (DeadLetterLineageConsumer). Invalid envelopes are skipped: the
// consumer that owns them dead-letters them, and the lineage then indexes that dead letter.
export function lineageBindings(names: BusNames): ConsumerBinding[] {
  return declareTopology(names)
    .consumers.filter((c) => c.durable === LINEAGE_DURABLE && c.stream !== names.deadLetterStream())
    .map(({ stream, durable }) => ({ stream, durable, invalid: 'skip' as const }));
}

export function opsService(): ServiceDefinition {
  return {
    name: 'ops',
    module: OpsModule,
    migrations: [lineageMigration],
    consumers: lineageBindings,
    // ops appends no events of its own: its audit events are published by the DeadLetters library directly.
    relay: false,
    openapi: { title: 'ops', description: 'Gateway, lineage (traceId stories) and dead letters of the delivery platform' },
  };
}
