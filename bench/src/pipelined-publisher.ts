import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NATS_URL, type TestBus } from '@delivery/testing';
import type { BenchMessage } from './bench-messages';
import { LatencyRecorder, nowMs, stopwatch, type Latency } from './stats';

export interface PublishRun {
  seconds: number;
  ackLatency: Latency | undefined;
}

export interface Publisher {
  js: JetStreamClient;
  close(): Promise<void>;
}

// The bus fixture's own connection (library defaults) unless BENCH_NO_ASYNC_TRACES=1: then a connection that
// skips the two Error objects nats.js builds per request to keep async stack traces (about half its publish CPU).
export async function openPublisher(bus: TestBus): Promise<Publisher> {
  if (process.env.BENCH_NO_ASYNC_TRACES !== '1') return { js: bus.js, close: async () => undefined };
  const nc = await connect({ servers: NATS_URL, name: 'bench-publisher', noAsyncTraces: true });
  return { js: jetstream(nc), close: () => nc.close() };
}

// Acked async publish, pipelined: at most `window` publishes await their PubAck at any time. The same code
// feeds every NATS scenario, so the publisher is never the difference between them.
export async function publishPipelined(js: JetStreamClient, subject: string, messages: readonly BenchMessage[], window = 1_000): Promise<PublishRun> {
  const latency = new LatencyRecorder(messages.length);
  const elapsed = stopwatch();
  let inFlight = 0;
  let failure: unknown;
  let slotFreed: (() => void) | undefined;
  let drained: (() => void) | undefined;
  for (const message of messages) {
    // A counter plus one waiter: Promise.race over a 1000-entry set would cost O(window) per message.
    while (inFlight >= window) await new Promise<void>((resolve) => (slotFreed = resolve));
    if (failure) break;
    inFlight++;
    const sent = nowMs();
    js.publish(subject, message.data, { headers: message.headers }).then(
      (ack) => {
        if (ack.duplicate) failure ??= new Error(`publish of ${message.id} was deduplicated: the namespace is not fresh`);
        latency.record(nowMs() - sent);
        settle();
      },
      (error: unknown) => {
        failure ??= error;
        settle();
      },
    );
  }
  function settle(): void {
    inFlight--;
    const wake = slotFreed;
    slotFreed = undefined;
    wake?.();
    if (inFlight === 0) drained?.();
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  if (failure) throw failure;
  return { seconds: elapsed(), ackLatency: latency.summary('publish→ack') };
}

// "Done" means the server has every ack: flush the acking connection, then poll until nothing is pending.
export async function waitUntilSettled(jsm: JetStreamManager, ackConnection: NatsConnection, consumer: { stream: string; durable: string }, timeoutMs = 60_000): Promise<void> {
  await ackConnection.flush();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await jsm.consumers.info(consumer.stream, consumer.durable);
    if (info.num_ack_pending === 0 && info.num_pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${consumer.durable}: ${info.num_pending} pending and ${info.num_ack_pending} unacked after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
