import type { DynamicModule } from '@nestjs/common';
import type { MigrationFactory } from '@delivery/persistence';
import { bootstrapService, type RunningService } from '@delivery/service-kit';
import type { TestBus, TestDatabase } from '@delivery/testing';
import { commandSubject, commitConsumer, type BenchMessage } from './bench-messages';
import { openPublisher, publishPipelined, waitUntilSettled } from './pipelined-publisher';
import { cpuMeter, LatencyRecorder, stopwatch, type CpuUse, type Latency } from './stats';

export const BENCH_SINK = Symbol('BENCH_SINK');

// What the handlers report to: a count (completion) and, when the handler times something, its latency.
export class HandledCounter {
  private recorder = new LatencyRecorder(0);
  private count = 0;
  private target = 0;
  private done: (() => void) | undefined;

  /** Resolves once `count` more messages have been handled; latencies recorded before are dropped (warm-up). */
  expect(count: number): Promise<void> {
    this.recorder = new LatencyRecorder(count);
    this.count = 0;
    this.target = count;
    return new Promise((resolve) => (this.done = resolve));
  }

  handled(latencyMs?: number): void {
    if (latencyMs !== undefined) this.recorder.record(latencyMs);
    if (++this.count === this.target) this.done?.();
  }

  latency(label: string): Latency | undefined {
    return this.recorder.summary(label);
  }
}

export interface BenchServiceOptions {
  bus: TestBus;
  database: TestDatabase;
  module: DynamicModule;
  concurrency: number;
  poolSize?: number;
  migrations?: MigrationFactory[];
}

// The real service kit (config, Nest, JetStreamServer, BusExceptionFilter, metrics, migrations) playing the
// commit service, bound to the bench namespace's commit durable. No relay, no auth, no signal handlers.
export function startBenchService(options: BenchServiceOptions): Promise<RunningService> {
  return bootstrapService(
    {
      name: 'commit',
      module: options.module,
      migrations: options.migrations,
      consumers: [commitConsumer(options.bus.names)],
      relay: false,
      auth: false,
      handleSignals: false,
    },
    {
      BUS_NAMESPACE: options.bus.names.namespace,
      DATABASE_URL: options.database.url,
      SERVICE_PORT: 0,
      LOG_LEVEL: 'silent',
      CONSUMER_CONCURRENCY: options.concurrency,
      DB_POOL_SIZE: options.poolSize ?? 10,
    },
  );
}

export interface TransportRun {
  seconds: number;
  publishSeconds: number;
  publishAckLatency: Latency | undefined;
  /** process: the publisher and the service together */
  cpu: CpuUse;
}

// Warm up with its own messages, then time from the first publish to the server holding the last ack.
// The publisher runs while the service consumes, in this same process, as in (a).
export async function measureThroughTransport(
  running: RunningService,
  bus: TestBus,
  sink: HandledCounter,
  messages: readonly BenchMessage[],
  warmup: readonly BenchMessage[],
): Promise<TransportRun> {
  const subject = commandSubject(bus.names);
  const target = commitConsumer(bus.names);
  const publisher = await openPublisher(bus);
  try {
    const warmed = sink.expect(warmup.length);
    await publishPipelined(publisher.js, subject, warmup);
    await warmed;
    await waitUntilSettled(bus.jsm, running.connection, target);

    const handled = sink.expect(messages.length);
    const total = stopwatch();
    const cpu = cpuMeter();
    const published = await publishPipelined(publisher.js, subject, messages);
    await handled;
    await waitUntilSettled(bus.jsm, running.connection, target);
    return { seconds: total(), publishSeconds: published.seconds, publishAckLatency: published.ackLatency, cpu: cpu() };
  } finally {
    await publisher.close();
  }
}
