import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { Envelope } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { createTestBus, createTestDatabase } from '@delivery/testing';
import type { BenchMessage } from './bench-messages';
import { BENCH_SINK, HandledCounter, measureThroughTransport, startBenchService } from './bench-service';
import { rate, round, type ScenarioResult } from './stats';

@Controller()
class NoopCommitHandler {
  constructor(@Inject(BENCH_SINK) private readonly sink: HandledCounter) {}

  @EventPattern('CreateCommit')
  async createCommit(@Payload() _envelope: Envelope, @Ctx() _ctx: JetStreamContext): Promise<void> {
    this.sink.handled();
  }
}

@Module({})
class NoopBenchModule {
  static with(sink: HandledCounter): DynamicModule {
    return { module: NoopBenchModule, controllers: [NoopCommitHandler], providers: [{ provide: BENCH_SINK, useValue: sink }] };
  }
}

export interface TransportNoopOptions {
  messages: readonly BenchMessage[];
  warmup: readonly BenchMessage[];
  concurrency: number;
}

// (b) The same bytes through the platform transport (decode + schema validation, routing checks, Nest handler
// dispatch, trace context, settlement, metrics) to a handler that does nothing: the transport's own cost.
export async function transportNoopBench(options: TransportNoopOptions): Promise<ScenarioResult> {
  const bus = await createTestBus();
  const database = await createTestDatabase('bench');
  const sink = new HandledCounter();
  try {
    const running = await startBenchService({ bus, database, module: NoopBenchModule.with(sink), concurrency: options.concurrency });
    try {
      const run = await measureThroughTransport(running, bus, sink, options.messages, options.warmup);
      const count = options.messages.length;
      return {
        scenario: 'b',
        description: 'transport → no-op @EventPattern handler',
        messages: count,
        seconds: run.seconds,
        rate: rate(count, run.seconds),
        latency: run.publishAckLatency,
        details: { publishRate: round(rate(count, run.publishSeconds)), processCpu: run.cpu.process, machineCpu: run.cpu.machine, concurrency: options.concurrency },
      };
    } finally {
      await running.close();
    }
  } finally {
    await bus.close();
    await database.drop();
  }
}
