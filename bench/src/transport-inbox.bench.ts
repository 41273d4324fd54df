import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { GroupCommitInbox, handleOnce, schemaOf } from '@delivery/persistence';
import { createTestBus, createTestDatabase } from '@delivery/testing';
import type { BenchMessage } from './bench-messages';
import { BENCH_SINK, HandledCounter, measureThroughTransport, startBenchService } from './bench-service';
import { commitHeadsMigration, upsertHeadSql, upsertHeadsBatch, type HeadChange } from './commit-heads.table';
import { nowMs, rate, round, type ScenarioResult } from './stats';

type CommitEnvelope = Envelope<PayloadOf<'CreateCommit'>>;

// One transaction per message: claim the envelope id in the inbox, upsert the branch head, commit; the
// transport acks after the handler returns.
@Controller()
class InboxCommitHandler {
  private readonly upsert: string;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(BENCH_SINK) private readonly sink: HandledCounter,
  ) {
    this.upsert = upsertHeadSql(schemaOf(dataSource));
  }

  @EventPattern('CreateCommit')
  async createCommit(@Payload() envelope: CommitEnvelope, @Ctx() ctx: JetStreamContext): Promise<void> {
    const started = nowMs();
    const { repositoryId, branch } = envelope.payload;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: envelope.id }, (manager) =>
      manager.query(this.upsert, [repositoryId, branch, envelope.id]),
    );
    this.sink.handled(nowMs() - started);
  }
}

// Same effects, group-committed: the handler returns (and the transport acks) only once the transaction holding
// this message's inbox row and state change has committed.
@Controller()
class BatchedInboxCommitHandler {
  private readonly batcher: GroupCommitInbox<HeadChange>;

  constructor(dataSource: DataSource, @Inject(BENCH_SINK) private readonly sink: HandledCounter) {
    const schema = schemaOf(dataSource);
    this.batcher = new GroupCommitInbox<HeadChange>({ dataSource, work: (manager, changes) => manager.query(...upsertHeadsBatch(schema, changes)) });
  }

  @EventPattern('CreateCommit')
  async createCommit(@Payload() envelope: CommitEnvelope, @Ctx() ctx: JetStreamContext): Promise<void> {
    const started = nowMs();
    const { repositoryId, branch } = envelope.payload;
    await this.batcher.submit({ consumer: ctx.getConsumer(), envelopeId: envelope.id, value: { repositoryId, branch, envelopeId: envelope.id } });
    this.sink.handled(nowMs() - started);
  }
}

@Module({})
class InboxBenchModule {
  static with(sink: HandledCounter, batched: boolean): DynamicModule {
    return {
      module: InboxBenchModule,
      controllers: [batched ? BatchedInboxCommitHandler : InboxCommitHandler],
      providers: [{ provide: BENCH_SINK, useValue: sink }],
    };
  }
}

export interface TransportInboxOptions {
  messages: readonly BenchMessage[];
  warmup: readonly BenchMessage[];
  concurrency: number;
  batched: boolean;
}

// (c) Through the transport with exactly-once effects: inbox claim + one-row upsert in Postgres, acked only after
// the commit. Per message: one transaction each, the pool as large as the concurrency so no handler waits for a
// connection. Batched: transactions shared by the messages in flight (cb).
export async function transportInboxBench(options: TransportInboxOptions): Promise<ScenarioResult> {
  const bus = await createTestBus();
  const database = await createTestDatabase('bench');
  const sink = new HandledCounter();
  const poolSize = options.batched ? 4 : options.concurrency;
  try {
    const running = await startBenchService({
      bus,
      database,
      module: InboxBenchModule.with(sink, options.batched),
      concurrency: options.concurrency,
      poolSize,
      migrations: [commitHeadsMigration],
    });
    try {
      const run = await measureThroughTransport(running, bus, sink, options.messages, options.warmup);
      const [heads] = await running.dataSource.query<Array<{ rows: number; commits: number }>>(`SELECT count(*)::int AS rows, coalesce(sum(commits), 0)::int AS commits FROM commit_heads`);
      const [inbox] = await running.dataSource.query<Array<{ rows: number }>>(`SELECT count(*)::int AS rows FROM inbox`);
      const expected = options.messages.length + options.warmup.length;
      if (heads?.commits !== expected || inbox?.rows !== expected) {
        throw new Error(`expected ${expected} commits and inbox rows; found ${heads?.commits} commits in ${heads?.rows} rows and ${inbox?.rows} inbox rows`);
      }
      const count = options.messages.length;
      return {
        scenario: options.batched ? 'c' : 'c1',
        description: `transport → inbox + upsert in Postgres, ${options.batched ? 'group commit' : 'one transaction per message'}`,
        messages: count,
        seconds: run.seconds,
        rate: rate(count, run.seconds),
        latency: sink.latency(options.batched ? 'handler → its commit' : 'handler transaction'),
        details: {
          publishRate: round(rate(count, run.publishSeconds)),
          processCpu: run.cpu.process,
          machineCpu: run.cpu.machine,
          concurrency: options.concurrency,
          poolSize,
        },
      };
    } finally {
      await running.close();
    }
  } finally {
    await bus.close();
    await database.drop();
  }
}
