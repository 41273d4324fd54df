import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { EventStore } from '@delivery/eventstore';
import { uuidv7, type JetStreamContext } from '@delivery/messaging';
import { handleOnce, quoteSchema, schemaOf } from '@delivery/persistence';
import { appendAll, EVENT_STORE, LOGGER, type Logger } from '@delivery/service-kit';
import { buildCompletedOf, buildStream, ingestionFailedOf, type RunFinished } from '../build.messages';
import { BuildsReadModel } from '../builds/builds.read-model';
import { RunIngestion } from './run.ingestion';

// PipelineRunFinished → BuildCompleted, or BuildResultIngestionFailed when a report cannot be read (the flow halts:
// nothing releases a build that never completed). The artifacts are read before the transaction, which then claims
// the inbox, records the build and appends its event together: a redelivery finds the claim and does nothing.
@Controller()
export class RunFinishedReactions {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly ingestion: RunIngestion,
    private readonly builds: BuildsReadModel,
  ) {}

  @EventPattern('PipelineRunFinished')
  async finished(@Payload() event: RunFinished, @Ctx() ctx: JetStreamContext): Promise<void> {
    const key = { consumer: ctx.getConsumer(), envelopeId: event.id };
    // a redelivery after the commit: skip reading the reports again (the claim below still decides)
    if (await this.handled(key)) return;
    const run = event.payload;
    const outcome = await this.ingestion.ingest(run);
    await handleOnce(this.dataSource, key, async (manager) => {
      if (!outcome.ok) {
        this.logger.warn({ runId: run.runId, file: outcome.file, code: outcome.error.code }, `build of run ${run.runId} not ingested: ${outcome.error.message}`);
        await appendAll(this.store, [{ stream: buildStream(run.runId), events: [ingestionFailedOf(run, outcome.file, outcome.error)] }], manager);
        return;
      }
      const completed = buildCompletedOf(run, uuidv7(), outcome.summary, outcome.artifacts);
      const recorded = await this.builds.record(manager, completed, run.finishedAt);
      // another PipelineRunFinished of the same run (a new envelope id) was built already: one build per run
      if (!recorded) {
        this.logger.info({ runId: run.runId }, `run ${run.runId} was built already`);
        return;
      }
      await appendAll(this.store, [{ stream: buildStream(run.runId), events: [completed] }], manager);
    });
  }

  private async handled(key: { consumer: string; envelopeId: string }): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${quoteSchema(schemaOf(this.dataSource))}.inbox WHERE consumer = $1 AND envelope_id = $2`, [key.consumer, key.envelopeId]);
    return rows.length > 0;
  }
}
