import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { schemas } from '@delivery/contracts';
import type { ArtifactStore } from '@delivery/artifacts';
import { parsePipeline } from '../domain/pipeline.parser';
import { PipelineDefinitionError, type PipelinePlan, type PlannedJob, type PlannedStep } from '../domain/pipeline.plan';
import { expandMacros, predefinedVariables, resolveVariables, shouldRun, slugOf, stepEnvironment } from '../domain/pipeline.macros';
import { nodeVersionSatisfies } from '../domain/task.mapping';
import { publishArtifact, publishCoverage, publishTestResults, type PublishContext } from './outputs.publisher';
import { killGroup, spawnGroup } from './process-group';
import type { PipelineRunner, RunControl, RunOutcome, RunOutputs, RunRequest, StepRecord, StepStatus, StopReason } from './runner.port';
import { checkout, removeWorkspace, workspaceOf, type Workspace } from './workspace';

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LocalRunnerOptions {
  workDir: string;
  /** SIGTERM → SIGKILL grace when a step is stopped */
  killGraceMs: number;
  keepWorkspaces: boolean;
}

// The embedded runner: a fresh checkout per run, each step a process group of its own with its log in a file,
// stored in the artifact store when the step ends. Jobs and steps run in declared order.
export class LocalRunner implements PipelineRunner {
  readonly kind = 'local' as const;

  constructor(
    private readonly options: LocalRunnerOptions,
    private readonly store: ArtifactStore,
  ) {}

  async execute(request: RunRequest, control: RunControl): Promise<RunOutcome> {
    const workspace = workspaceOf(this.options.workDir, request.runId);
    try {
      return await this.executeIn(workspace, request, control);
    } finally {
      if (!this.options.keepWorkspaces) await removeWorkspace(workspace).catch(() => undefined);
    }
  }

  private async executeIn(workspace: Workspace, request: RunRequest, control: RunControl): Promise<RunOutcome> {
    const outputs: RunOutputs = { testResults: [], coverage: [], artifacts: [] };
    const runDeadline = Date.now() + request.timeoutSeconds * 1000;
    let plan: PipelinePlan;
    try {
      await checkout(workspace, request.repository.source, request.sha);
      plan = parsePipeline(await readFile(join(workspace.sources, request.pipelinePath), 'utf8'));
    } catch (error) {
      const code = error instanceof PipelineDefinitionError ? error.code : 'pipeline.checkout-failed';
      return { result: 'Failed', error: failure(code, messageOf(error)), steps: [], outputs };
    }
    const steps: StepRecord[] = plan.jobs.flatMap((job) => job.steps.map((step) => ({ index: step.index, name: step.name, job: job.name, status: 'pending' as StepStatus, exitCode: null, durationMs: 0 })));
    await control.progress(steps);
    const state = { failed: false, firstFailure: undefined as string | undefined, stop: undefined as StopReason | 'timed-out' | undefined };
    for (const job of plan.jobs) {
      const records = steps.filter((record) => record.job === job.name && job.steps.some((s) => s.index === record.index));
      if (!state.stop && control.signal.aborted) state.stop = (control.signal.reason as StopReason | undefined) ?? 'canceled';
      if (state.stop || !shouldRun(job.condition, state.failed)) {
        for (const record of records) record.status = state.stop === 'canceled' || state.stop === 'shutdown' ? 'canceled' : 'skipped';
        continue;
      }
      await this.runJob(job, records, { workspace, request, control, outputs, plan, runDeadline, state, steps });
    }
    await control.progress(steps);
    return { ...this.resultOf(state, control), steps, outputs };
  }

  private async runJob(job: PlannedJob, records: StepRecord[], run: JobRun): Promise<void> {
    const { workspace, request, state } = run;
    const facts = {
      runId: request.runId,
      repositoryName: request.repository.name,
      branch: request.branch,
      sha: request.sha,
      reason: request.reason,
      sourcesDirectory: workspace.sources,
      artifactStagingDirectory: workspace.staging,
      binariesDirectory: workspace.binaries,
      tempDirectory: workspace.temp,
      workspaceDirectory: workspace.root,
    };
    const variables = resolveVariables(predefinedVariables(facts), run.plan.variables, job.variables, request.variables);
    const jobDeadline = job.timeoutInMinutes === undefined ? Infinity : Date.now() + job.timeoutInMinutes * 60_000;
    const jobState = { failed: false, timedOut: false, pathPrefix: '' };
    for (const step of job.steps) {
      const record = records.find((r) => r.index === step.index)!;
      if (!state.stop && run.control.signal.aborted) state.stop = (run.control.signal.reason as StopReason | undefined) ?? 'canceled';
      if (state.stop) {
        record.status = state.stop === 'timed-out' ? 'skipped' : 'canceled';
        continue;
      }
      // a step's succeeded() / failed() look at its own job, as on Azure (a failed() job's steps run)
      if (jobState.timedOut || !shouldRun(step.condition, jobState.failed)) {
        record.status = 'skipped';
        continue;
      }
      const stepDeadline = step.timeoutInMinutes === undefined ? Infinity : Date.now() + step.timeoutInMinutes * 60_000;
      const deadline = Math.min(stepDeadline, jobDeadline, run.runDeadline);
      const by = deadline === run.runDeadline ? 'run' : deadline === jobDeadline ? 'job' : 'step';
      await this.runStep(step, record, { ...run, variables, deadline, jobState });
      if (record.status === 'timed-out' && by === 'run') state.stop = 'timed-out';
      if (record.status === 'timed-out' && by === 'job') jobState.timedOut = true;
      if (record.status === 'canceled') state.stop = (run.control.signal.reason as StopReason | undefined) ?? 'canceled';
      if ((record.status === 'failed' || record.status === 'timed-out') && !step.continueOnError) {
        jobState.failed = true;
        state.failed = true;
        state.firstFailure ??= `step ${step.index} (${step.name}) ${record.status === 'timed-out' ? 'timed out' : `failed${record.exitCode === null ? '' : ` with exit code ${record.exitCode}`}`}`;
      }
    }
  }

  private async runStep(step: PlannedStep, record: StepRecord, run: StepRun): Promise<void> {
    const logFile = join(run.workspace.logs, `${step.index}-${slugOf(step.name)}.log`);
    const fd = openSync(logFile, 'a');
    const log = (line: string) => writeSync(fd, `${line}\n`);
    const started = Date.now();
    Object.assign(record, { status: 'running', startedAt: new Date(started).toISOString(), logFile });
    await run.control.progress(run.steps);
    log(`##[section]Starting: ${step.name}`);
    let outcome: { status: StepStatus; exitCode: number | null };
    try {
      outcome = await this.perform(step, record, run, fd, log);
    } catch (error) {
      log(`##[error]${messageOf(error)}`);
      outcome = { status: 'failed', exitCode: 1 };
    }
    if (outcome.status === 'failed' && step.continueOnError) log('##[warning]continueOnError: the failure does not fail the job');
    log(`##[section]Finishing: ${step.name} (${outcome.status})`);
    closeSync(fd);
    const key = `runs/${run.request.runId}/logs/${step.index}-${slugOf(step.name)}.log`;
    const stored = await this.store.putFile(key, logFile);
    Object.assign(record, { ...outcome, durationMs: Date.now() - started, log: stored.key });
    delete record.pid;
    delete record.logFile;
    await run.control.progress(run.steps);
  }

  private async perform(step: PlannedStep, record: StepRecord, run: StepRun, fd: number, log: (line: string) => void): Promise<{ status: StepStatus; exitCode: number | null }> {
    const { workspace, variables } = run;
    const expand = (text: string) => expandMacros(text, variables);
    const cwdOf = (dir: string | undefined) => resolve(workspace.sources, expand(dir ?? step.workingDirectory ?? workspace.sources));
    const action = step.action;
    const publish: PublishContext = { runId: run.request.runId, store: this.store, root: workspace.root, sources: workspace.sources, stepIndex: step.index, log };
    switch (action.kind) {
      case 'checkout':
        log(`Sources are checked out at ${run.request.sha} in ${workspace.sources}`);
        return { status: 'succeeded', exitCode: 0 };
      case 'node-tool': {
        if (!nodeVersionSatisfies(action.versionSpec, process.version)) {
          log(`##[error]NodeTool: this machine has node ${process.version}, which does not satisfy versionSpec ${action.versionSpec}; the local runner does not download node`);
          return { status: 'failed', exitCode: 1 };
        }
        run.jobState.pathPrefix = `${dirname(process.execPath)}:`;
        log(`Found node ${process.version} (${process.execPath}), satisfying ${action.versionSpec}`);
        return { status: 'succeeded', exitCode: 0 };
      }
      case 'script':
        return this.process(expand(action.script), cwdOf(undefined), step, record, run, fd, log);
      case 'npm': {
        const args = action.command === 'custom' ? expand(action.customCommand ?? '') : action.command;
        return this.process(`npm ${args}`, cwdOf(action.workingDir), step, record, run, fd, log);
      }
      case 'publish-test-results':
        run.outputs.testResults.push(...(await publishTestResults(publish, action.format, action.files.map(expand), action.searchFolder && expand(action.searchFolder))));
        return { status: 'succeeded', exitCode: 0 };
      case 'publish-coverage':
        run.outputs.coverage.push(...(await publishCoverage(publish, expand(action.summaryFileLocation))));
        return { status: 'succeeded', exitCode: 0 };
      case 'publish-artifact':
        run.outputs.artifacts.push(...(await publishArtifact(publish, expand(action.targetPath), expand(action.artifactName))));
        return { status: 'succeeded', exitCode: 0 };
    }
  }

  private async process(script: string, cwd: string, step: PlannedStep, record: StepRecord, run: StepRun, fd: number, log: (line: string) => void): Promise<{ status: StepStatus; exitCode: number | null }> {
    if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
      log(`##[error]working directory ${cwd} does not exist`);
      return { status: 'failed', exitCode: 1 };
    }
    const env = stepEnvironment(baseEnvironment(run.workspace, run.jobState.pathPrefix), run.variables, step.env);
    log(`${cwd}$ ${script.split('\n').join('\n> ')}`);
    const child = spawnGroup('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', script], { cwd, env, logFd: fd });
    record.pid = child.pid;
    await run.control.progress(run.steps);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<'timed-out' | 'canceled'>((resolveStop) => {
      // setTimeout overflows past 2^31-1 ms (fires at once): a longer limit is as good as none
      const delay = run.deadline - Date.now();
      if (delay < MAX_TIMER_MS) timer = setTimeout(() => resolveStop('timed-out'), Math.max(0, delay));
      onAbort = () => resolveStop('canceled');
      if (run.control.signal.aborted) onAbort();
      else run.control.signal.addEventListener('abort', onAbort, { once: true });
    });
    const first = await Promise.race([child.exited, stopped]);
    clearTimeout(timer);
    if (onAbort) run.control.signal.removeEventListener('abort', onAbort);
    if (first === 'timed-out' || first === 'canceled') {
      log(first === 'timed-out' ? `##[error]The step exceeded its time limit: stopping its process group ${child.pid}` : `##[warning]The run was ${run.control.signal.reason === 'shutdown' ? 'stopped (runner shutdown)' : 'canceled'}: stopping process group ${child.pid}`);
      await killGroup(child.pid, this.options.killGraceMs);
      await child.exited;
      return { status: first, exitCode: null };
    }
    // what the step left running in its group does not outlive it (Azure kills orphans at the end of a job too)
    await killGroup(child.pid, this.options.killGraceMs);
    if (first.code === 0) return { status: 'succeeded', exitCode: 0 };
    log(`##[error]${first.code === null ? `killed by ${first.signal ?? 'a signal'}` : `exit code ${first.code}`}`);
    return { status: 'failed', exitCode: first.code };
  }

  private resultOf(state: { failed: boolean; firstFailure: string | undefined; stop: StopReason | 'timed-out' | undefined }, control: RunControl): Pick<RunOutcome, 'result' | 'error'> {
    if (state.stop === 'canceled' || (control.signal.aborted && control.signal.reason === 'canceled')) return { result: 'Canceled' };
    if (state.stop === 'shutdown') return { result: 'Failed', error: failure('pipeline.runner-stopped', 'the runner stopped (shutdown) while the run was in progress') };
    if (state.stop === 'timed-out') return { result: 'Failed', error: failure('pipeline.timed-out', `the run exceeded its timeout; ${state.firstFailure ?? 'it was stopped'}`) };
    if (state.failed) return { result: 'Failed', error: failure('pipeline.step-failed', state.firstFailure ?? 'a step failed') };
    return { result: 'Succeeded' };
  }
}

interface JobRun {
  workspace: Workspace;
  request: RunRequest;
  control: RunControl;
  outputs: RunOutputs;
  plan: PipelinePlan;
  runDeadline: number;
  state: { failed: boolean; firstFailure: string | undefined; stop: StopReason | 'timed-out' | undefined };
  steps: StepRecord[];
}

interface StepRun extends JobRun {
  variables: Record<string, string>;
  deadline: number;
  jobState: { failed: boolean; timedOut: boolean; pathPrefix: string };
}

// what a step sees of the runner's own environment: enough for tools to work, none of the service's secrets
function baseEnvironment(workspace: Workspace, pathPrefix: string): Record<string, string> {
  const env: Record<string, string> = { CI: 'true', TMPDIR: workspace.temp };
  for (const name of ['HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'SHELL', 'TERM']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH = `${pathPrefix}${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`;
  return env;
}

function failure(code: string, message: string): schemas.Failure {
  return { code, message: message.slice(0, 4000), retryable: false };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
