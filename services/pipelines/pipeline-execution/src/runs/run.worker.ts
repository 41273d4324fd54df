import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { listenClientConfig, PostgresNotifyListener, type EventStore } from '@delivery/eventstore';
import { LocalGitProvider, type GitProvider } from '@delivery/git-provider';
import { PlatformError, uuidv7 } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, RepositoryDirectory } from '@delivery/repository-directory';
import { appendAll, EVENT_STORE } from '@delivery/service-kit';
import { runFinishedOf, runStartedOf, runStream, withPullRequestCheck } from '../pipeline.messages';
import { RUNNER_CONFIG, type RunnerConfig } from '../runner.config';
import { AZURE_PIPELINES_RUNNER } from '../runner/azure/azure-pipelines.runner';
import { killGroup, processAlive } from '../runner/process-group';
import { PIPELINE_RUNNER, type PipelineRunner, type RunOutcome, type StepRecord } from '../runner/runner.port';
import { RUN_COLUMNS, runOf, type PipelineRunRow } from './pipeline-run.row';
import { RUN_QUEUE_CHANNEL } from './run-queue.notify';

// The queue's consumer in every replica: claims queued rows up to RUNNER_CONCURRENCY per machine (an advisory lock
// per host makes the count exact across replicas of one machine), runs them, and records start and end in the
// transactions that append PipelineRunStarted / PipelineRunFinished. A row left 'running' by a process that is gone
// is finished as Failed (pipeline.runner-lost) and never run again: its steps may have had side effects.
@Injectable()
export class RunWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PipelineRuns');
  private readonly instance = uuidv7();
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly stopping = new AbortController();
  private queue?: PostgresNotifyListener;
  private looping?: Promise<void>;
  /** ends the current wait early: a run of this process ended, so a slot is free */
  private poke?: () => void;
  private stopped = false;
  private lastHeartbeat = 0;
  private lastSweep = 0;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly directory: RepositoryDirectory,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
    @Inject(RUNNER_CONFIG) private readonly config: RunnerConfig,
    @Inject(PIPELINE_RUNNER) private readonly runner: PipelineRunner,
    @Inject(AZURE_PIPELINES_RUNNER) private readonly azure: PipelineRunner | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.recoverLost();
    this.queue = new PostgresNotifyListener(listenClientConfig(this.dataSource, 'pipeline-runs', 'pipeline-execution'), RUN_QUEUE_CHANNEL, this.config.pollMs);
    this.queue.acquire();
    this.looping = this.loop();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.looping;
    await this.queue?.close();
    // runs in progress stop with their steps' process groups and are recorded as Failed (pipeline.runner-stopped)
    for (const { controller } of this.active.values()) controller.abort('shutdown');
    await Promise.all([...this.active.values()].map(({ done }) => done));
  }

  /** runs in progress in this process (REST reads their live logs) */
  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  // A cycle, then a wait for a notification (a run queued or a cancel requested), a run of ours ending, or the
  // poll interval: the poll still covers a lost notification and the heartbeat and lost-run sweeps.
  private async loop(): Promise<void> {
    while (!this.stopped) {
      const queue = this.queue!;
      queue.ensureConnected();
      const seen = queue.generation;
      await this.cycle().catch((error: unknown) => this.logger.error(`pipeline worker cycle failed: ${String(error)}`));
      if (this.stopped) return;
      await Promise.race([queue.wait(seen, this.config.pollMs, this.stopping.signal), new Promise<void>((resolve) => (this.poke = resolve))]);
      this.poke = undefined;
    }
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    await this.applyCancellations();
    const now = Date.now();
    if (now - this.lastHeartbeat >= this.config.heartbeatMs) {
      this.lastHeartbeat = now;
      await this.heartbeat();
    }
    if (now - this.lastSweep >= this.config.lostAfterMs / 2) {
      this.lastSweep = now;
      await this.recoverLost();
    }
    if (!this.stopped) await this.claim();
  }

  private async claim(): Promise<void> {
    const claimed = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`pipeline-runs:${this.config.host}`]);
      // only local runs take a slot: an Azure run only polls ADO from here
      const [{ count }] = (await manager.query(`SELECT count(*)::int AS count FROM pipeline_runs WHERE status = 'running' AND runner_host = $1 AND runner = 'local'`, [this.config.host])) as [{ count: number }];
      const free = Math.max(0, this.config.concurrency - count);
      const claimable = (runner: string, limit: number): Promise<Array<Record<string, unknown>>> =>
        manager.query(`SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE status = 'queued' AND runner = $1 ORDER BY created_at, run_id LIMIT $2 FOR UPDATE SKIP LOCKED`, [runner, limit]);
      const rows = [...(free > 0 ? await claimable('local', free) : []), ...(this.azure ? await claimable('azure-pipelines', AZURE_CLAIM_BATCH) : [])];
      const runs: PipelineRunRow[] = [];
      for (const row of rows) {
        const [updated] = updatedRows(await manager.query(
          `UPDATE pipeline_runs SET status = 'running', runner_host = $2, runner_pid = $3, runner_instance = $4, attempt = attempt + 1,
             started_at = now(), heartbeat_at = now(), updated_at = now() WHERE run_id = $1 RETURNING ${RUN_COLUMNS}`,
          [row.run_id, this.config.host, process.pid, this.instance],
        ));
        const run = runOf(updated!);
        await appendAll(this.store, [{ stream: runStream(run.runId), events: withPullRequestCheck(run, runStartedOf(run, run.startedAt!)) }], manager);
        runs.push(run);
      }
      return runs;
    });
    for (const run of claimed) this.launch(run);
  }

  private launch(run: PipelineRunRow): void {
    const controller = new AbortController();
    const done = this.execute(run, controller.signal)
      .catch((error: unknown) => this.logger.error(`run ${run.runId} could not be recorded: ${String(error)}`))
      .finally(() => {
        this.active.delete(run.runId);
        this.poke?.();
      });
    this.active.set(run.runId, { controller, done });
  }

  private async execute(run: PipelineRunRow, signal: AbortSignal): Promise<void> {
    let outcome: RunOutcome;
    try {
      const repository = await this.directory.find({ tenantId: run.tenantId, projectId: run.projectId }, run.repositoryId);
      if (!repository) throw new Error(`repository ${run.repositoryId} is no longer known`);
      const source = this.git instanceof LocalGitProvider ? this.git.repositoryPath(locatorOf(repository)) : repository.cloneUrl;
      const runner = run.runner === 'azure-pipelines' ? this.azure : this.runner;
      if (!runner) throw new Error(`runner ${run.runner} is not configured in this replica (AZURE_DEVOPS_* unset)`);
      outcome = await runner.execute(
        {
          runId: run.runId,
          repository: { name: repository.name, source },
          branch: run.branch,
          sha: run.sha,
          pipelinePath: run.pipelinePath,
          reason: run.reason,
          variables: run.variables,
          timeoutSeconds: run.timeoutSeconds,
        },
        { signal, progress: (steps) => this.saveSteps(run.runId, steps) },
      );
    } catch (error) {
      this.logger.error(`run ${run.runId} failed in the runner: ${String(error)}`);
      // a coded runner failure (pipeline.definition-not-found, pipeline.azure-unauthorized …) keeps its code
      const failure = error instanceof PlatformError
        ? { code: error.code, message: error.message.slice(0, 4000), retryable: error.disposition === 'retry' }
        : { code: 'pipeline.runner-error', message: String(error).slice(0, 4000), retryable: false };
      outcome = { result: 'Failed', error: failure, steps: [], outputs: { testResults: [], coverage: [], artifacts: [] } };
    }
    await this.finish(run, outcome);
  }

  private async finish(run: PipelineRunRow, outcome: RunOutcome): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const rows = updatedRows<{ started_at: string; finished_at: string }>(await manager.query(
        `UPDATE pipeline_runs SET status = $3, result = $4, error = $5, steps = $6, outputs = $7, finished_at = now(), updated_at = now()
         WHERE run_id = $1 AND status = 'running' AND runner_instance = $2 RETURNING started_at, finished_at`,
        [run.runId, this.instance, outcome.result === 'Canceled' ? 'canceled' : 'finished', outcome.result, outcome.error ? JSON.stringify(outcome.error) : null, JSON.stringify(outcome.steps), JSON.stringify(outcome.outputs)],
      ));
      // another process already finished it as lost: its answer stands
      if (!rows[0]) return;
      const finished = runFinishedOf(run, { ...outcome, startedAt: new Date(rows[0].started_at), finishedAt: new Date(rows[0].finished_at) });
      await appendAll(this.store, [{ stream: runStream(run.runId), events: withPullRequestCheck(run, finished) }], manager);
    });
  }

  private async saveSteps(runId: string, steps: StepRecord[]): Promise<void> {
    await this.dataSource.query(`UPDATE pipeline_runs SET steps = $3, heartbeat_at = now(), updated_at = now() WHERE run_id = $1 AND runner_instance = $2 AND status = 'running'`, [
      runId,
      this.instance,
      JSON.stringify(steps),
    ]);
  }

  private async applyCancellations(): Promise<void> {
    if (this.active.size === 0) return;
    const rows: Array<{ run_id: string }> = await this.dataSource.query(`SELECT run_id FROM pipeline_runs WHERE run_id = ANY($1::uuid[]) AND cancel_requested_at IS NOT NULL`, [[...this.active.keys()]]);
    for (const { run_id } of rows) {
      const entry = this.active.get(run_id);
      if (entry && !entry.controller.signal.aborted) entry.controller.abort('canceled');
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.active.size === 0) return;
    await this.dataSource.query(`UPDATE pipeline_runs SET heartbeat_at = now() WHERE run_id = ANY($1::uuid[]) AND runner_instance = $2`, [[...this.active.keys()], this.instance]);
  }

  /** Finishes the running rows whose process is gone: on this machine a dead pid, anywhere a stale heartbeat. */
  async recoverLost(): Promise<void> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(`SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE status = 'running' AND runner_instance IS DISTINCT FROM $1`, [this.instance]);
    for (const run of rows.map(runOf)) {
      const stale = run.heartbeatAt === null || Date.now() - run.heartbeatAt.getTime() > this.config.lostAfterMs;
      const local = run.runnerHost === this.config.host;
      const lost = stale || (local && (run.runnerPid === null || !processAlive(run.runnerPid)));
      if (lost) await this.finishLost(run, local);
    }
  }

  private async finishLost(run: PipelineRunRow, local: boolean): Promise<void> {
    // best effort: the steps' process groups, when they are on this machine and still there
    if (local) for (const step of run.steps) if (step.status === 'running' && step.pid) await killGroup(step.pid, 0);
    await this.dataSource.transaction(async (manager: EntityManager) => {
      const rows: Array<Record<string, unknown>> = await manager.query(
        `SELECT ${RUN_COLUMNS} FROM pipeline_runs WHERE run_id = $1 AND status = 'running' AND runner_instance IS NOT DISTINCT FROM $2 FOR UPDATE SKIP LOCKED`,
        [run.runId, run.runnerInstance],
      );
      if (!rows[0]) return;
      const current = runOf(rows[0]);
      const steps = current.steps.map((step): StepRecord => (step.status === 'running' ? { ...step, status: 'canceled' } : step.status === 'pending' ? { ...step, status: 'skipped' } : step));
      const error = { code: 'pipeline.runner-lost', message: `the runner process (${current.runnerHost ?? '?'} pid ${current.runnerPid ?? '?'}) that ran this run is gone; the run is not run again`, retryable: false };
      const [ended] = updatedRows<{ finished_at: string }>(await manager.query(
        `UPDATE pipeline_runs SET status = 'finished', result = 'Failed', error = $2, steps = $3, finished_at = now(), updated_at = now() WHERE run_id = $1 RETURNING finished_at`,
        [current.runId, JSON.stringify(error), JSON.stringify(steps)],
      ));
      const finished = runFinishedOf(current, { result: 'Failed', error, steps, outputs: null, startedAt: current.startedAt ?? current.createdAt, finishedAt: new Date(ended!.finished_at) });
      await appendAll(this.store, [{ stream: runStream(current.runId), events: withPullRequestCheck(current, finished) }], manager);
      this.logger.warn(`run ${current.runId} was left running by a process that is gone: finished as Failed (pipeline.runner-lost)`);
    });
  }
}

// Azure runs claimed per cycle per replica (they wait on ADO, not on this machine)
const AZURE_CLAIM_BATCH = 8;

// TypeORM answers an UPDATE ... RETURNING with [rows, affected]
function updatedRows<T = Record<string, unknown>>(result: unknown): T[] {
  return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as T[]) : (result as T[]);
}
