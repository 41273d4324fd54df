import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import type { Envelope } from '@delivery/contracts';
import type { PubAck } from '@nats-io/jetstream';
import { PostgresEventStore } from '@delivery/eventstore';
import { createServiceDataSource } from '@delivery/persistence';
import { BusNames } from '@delivery/contracts';
import { BusPublisher, OutboxRelay, PostgresRelayCheckpoints, type PublishOptions } from '../src';

// A relay as its own process, for the crash-safety test: with RELAY_KILL_AFTER=N it SIGKILLs itself once N
// publishes are acked, which is inside a batch: published to JetStream, not yet checkpointed.
class CrashingPublisher extends BusPublisher {
  private acked = 0;
  override async publish(envelope: Envelope, options?: PublishOptions): Promise<PubAck> {
    const ack = await super.publish(envelope, options);
    if (++this.acked === Number(process.env.RELAY_KILL_AFTER)) process.kill(process.pid, 'SIGKILL');
    return ack;
  }
}

async function main(): Promise<void> {
  const schema = process.env.RELAY_SCHEMA!;
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  const dataSource = createServiceDataSource({ url: process.env.DATABASE_URL!, schema });
  await dataSource.initialize();
  const relay = new OutboxRelay({
    name: 'crash-test',
    store: new PostgresEventStore(dataSource, schema),
    publisher: new CrashingPublisher(jetstream(nc), new BusNames(process.env.BUS_NAMESPACE)),
    checkpoints: new PostgresRelayCheckpoints(dataSource, schema),
    batchSize: Number(process.env.RELAY_BATCH ?? 100),
  });
  relay.start();
  process.send?.({ ready: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
