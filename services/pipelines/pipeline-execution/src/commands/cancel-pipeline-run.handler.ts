import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IllegalStateError, NotFoundError } from '@delivery/messaging';
import type { CommandHandler, Decision } from '@delivery/service-kit';
import { runFinishedOf, runStream, withPullRequestCheck, type CancelPipelineRunCommand } from '../pipeline.messages';
import { RUN_COLUMNS, runOf } from '../runs/pipeline-run.row';
import { wakeRunWorkers } from '../runs/run-queue.notify';

export interface CancelOutcome {
  runId: string;
  /** canceled: it never started; canceling: its runner is stopping it */
  status: 'canceled' | 'canceling';
}

// CancelPipelineRun (bus and REST). A queued run is canceled here and now; a running one is flagged and its
// worker (whichever process owns it) kills the step's process group and appends PipelineRunFinished Canceled.
@Injectable()
export class CancelPipelineRunHandler implements CommandHandler<'CancelPipelineRun', CancelOutcome> {
  async execute(command: CancelPipelineRunCommand, manager: EntityManager): Promise<Decision<CancelOutcome>> {
    const { runId, reason } = command.payload;
    const rows: Array<Record<string, unknown>> = await manager.query(
      `SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE run_id::text = $1 AND tenant_id = $2 AND project_id = $3 FOR UPDATE`,
      [runId, command.tenantId, command.projectId],
    );
    if (!rows[0]) throw new NotFoundError('pipeline.run-not-found', `run ${runId} not found`);
    const run = runOf(rows[0]);
    if (run.status === 'finished' || run.status === 'canceled') throw new IllegalStateError('pipeline.run-already-finished', `run ${runId} has already ended (${run.result ?? run.status})`);
    if (run.status === 'running') {
      await manager.query(`UPDATE pipeline_runs SET cancel_requested_at = COALESCE(cancel_requested_at, now()), cancel_reason = $2, updated_at = now() WHERE run_id = $1`, [run.runId, reason ?? null]);
      await wakeRunWorkers(manager);
      return { appends: [], result: { runId, status: 'canceling' } };
    }
    const now = new Date();
    await manager.query(
      `UPDATE pipeline_runs SET status = 'canceled', result = 'Canceled', cancel_requested_at = now(), cancel_reason = $2, finished_at = now(), updated_at = now() WHERE run_id = $1`,
      [run.runId, reason ?? null],
    );
    const finished = runFinishedOf(run, { result: 'Canceled', steps: [], outputs: null, startedAt: now, finishedAt: now });
    return { appends: [{ stream: runStream(run.runId), events: withPullRequestCheck(run, finished) }], result: { runId, status: 'canceled' } };
  }
}
