import { connect } from '@nats-io/transport-node';
import { jetstream, type Consumer } from '@nats-io/jetstream';
import { createTestBus, NATS_URL } from '@delivery/testing';
import { commandSubject, commitConsumer, type BenchMessage } from './bench-messages';
import { openPublisher, publishPipelined, waitUntilSettled } from './pipelined-publisher';
import { cpuMeter, rate, round, stopwatch, type ScenarioResult } from './stats';

export interface RawJetStreamOptions {
  messages: readonly BenchMessage[];
  warmup: readonly BenchMessage[];
  /** pull batch of consume(); the library default is 100 */
  consumeBatch: number;
}

// (a) The floor under the transport: @nats-io/jetstream alone, same bytes, same subject, same declared durable.
// Publish everything, then consume + ack everything; the two phases are timed separately and together.
export async function rawJetStreamBench(options: RawJetStreamOptions): Promise<ScenarioResult> {
  const bus = await createTestBus();
  // The consumer gets its own connection, like a service does in (b) and (c).
  const consumerConnection = await connect({ servers: NATS_URL, name: 'bench-raw-consumer' });
  const publisher = await openPublisher(bus);
  try {
    const subject = commandSubject(bus.names);
    const target = commitConsumer(bus.names);
    const consumer = await jetstream(consumerConnection).consumers.get(target.stream, target.durable);

    await publishPipelined(publisher.js, subject, options.warmup);
    await fetchAndAck(consumer, options.warmup.length);
    await waitUntilSettled(bus.jsm, consumerConnection, target);

    const total = stopwatch();
    const cpu = cpuMeter();
    const published = await publishPipelined(publisher.js, subject, options.messages);
    const consumeClock = stopwatch();
    const messages = await consumer.consume({ max_messages: options.consumeBatch });
    let consumed = 0;
    for await (const msg of messages) {
      msg.ack();
      if (++consumed === options.messages.length) break;
    }
    messages.stop();
    await waitUntilSettled(bus.jsm, consumerConnection, target);
    const consumeSeconds = consumeClock();
    const seconds = total();
    const cpuUse = cpu();

    const count = options.messages.length;
    return {
      scenario: 'a',
      description: 'raw @nats-io/jetstream: publish, then consume + ack',
      messages: count,
      seconds,
      rate: rate(count, seconds),
      latency: published.ackLatency,
      details: {
        publishRate: round(rate(count, published.seconds)),
        consumeAckRate: round(rate(count, consumeSeconds)),
        processCpu: cpuUse.process,
        machineCpu: cpuUse.machine,
        consumeBatch: options.consumeBatch,
        envelopeBytes: options.messages[0]?.data.byteLength ?? 0,
      },
    };
  } finally {
    await publisher.close();
    await consumerConnection.close();
    await bus.close();
  }
}

// Warm-up through a single fetch: unlike a stopped consume(), it leaves no pull request open on the server.
async function fetchAndAck(consumer: Consumer, count: number): Promise<void> {
  let received = 0;
  while (received < count) {
    const batch = await consumer.fetch({ max_messages: count - received, expires: 5_000 });
    for await (const msg of batch) {
      msg.ack();
      received++;
    }
  }
}
