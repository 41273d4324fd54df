import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { Client } from 'pg';
import { signTestToken } from '@delivery/auth';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { BusPublisher, createEnvelope } from '@delivery/messaging';
import { createGitSandbox, seedRepository } from '@delivery/repository-directory/testing';
import { createTestBus, createTestDatabase, eventually, spawnCompiled } from '@delivery/testing';
import { cpuMeter, nowMs, percentile, rate, round, stopwatch, type ScenarioResult } from './stats';
import { freePort, processCpuSeconds, stop } from './child-process';

// Issue 5 (p1): the platform's overhead around a pipeline run. The compiled pipeline-execution and build-result
// services (one process each, one database, one bus namespace) run a three-step pipeline N times, one run at a time:
// RunPipeline → PipelineRunStarted → steps → PipelineRunFinished → BuildCompleted. Overhead = the whole, as the bench
// sees it, minus the steps' own durationMs; split by the timestamps the service records (its clock is this machine's).

const TENANT = 'acme';
const PROJECT = 'web';
const JWT_SECRET = 'bench-secret-0123456789abcdef0123456789';
const PIPELINES_READ = 'devops.pipelines.read';
const run = promisify(execFile);

// node writes a one-test JUnit file, `true` stands for a step that does nothing, the task publishes the file
const JUNIT = '<testsuite name="bench" tests="1" failures="0" errors="0"><testcase classname="bench" name="ok" time="0"/></testsuite>';
const PIPELINE = [
  'steps:',
  '  - script: |',
  `      node -e 'require("fs").writeFileSync("TEST-bench.xml", ${JSON.stringify(JUNIT)})'`,
  '    displayName: write junit',
  "  - script: 'true'",
  '    displayName: nothing',
  '  - task: PublishTestResults@2',
  '    displayName: publish tests',
  '    inputs:',
  '      testResultsFormat: JUnit',
  "      testResultsFiles: '**/TEST-*.xml'",
  '',
].join('\n');

type Observed = Envelope<Record<string, unknown>>;
type Finished = PayloadOf<'PipelineRunFinished'>;

export interface PipelineBenchOptions {
  /** measured runs, one at a time */
  runs: number;
  /** RUNNER_CONCURRENCY of pipeline-execution */
  runnerConcurrency: number;
  /** RUNNER_POLL_MS of pipeline-execution (its queue poll; the service's default is 500) */
  pollMs: number;
  /** how long one run may take from RunPipeline to BuildCompleted before the bench fails */
  stepTimeoutMs: number;
}

/** one run's figures in ms; wall-clock timestamps (Date.now(), as the services stamp theirs) */
interface RunTimes {
  total: number;
  steps: number;
  overhead: number;
  /** RunPipeline published → the run's startedAt (the worker claimed the row) */
  queue: number;
  /** of queue: RunPipeline published → the row's createdAt (now() of the handler's transaction: bus, consumer, inbox) */
  accept: number;
  /** of queue: createdAt → startedAt: the handler's git reads (inside that transaction), its commit, the worker's
   * poll wait (RUNNER_POLL_MS) and claim transaction */
  claim: number;
  /** startedAt → the first step's startedAt: clone, checkout, parse, first progress write */
  checkout: number;
  /** between steps: each step's start minus the previous step's end */
  gaps: number;
  /** the last step's end → finishedAt (step records, outputs, the PipelineRunFinished transaction) */
  tail: number;
  /** finishedAt → BuildCompleted seen: relay, bus, build-result reading the report, its relay, bus */
  ingestion: number;
  /** PipelineRunStarted seen − its startedAt (the relay's lag) */
  startedSeenLag: number;
}

interface RestStep {
  index: number;
  status: string;
  durationMs: number;
  startedAt: string | null;
}

// p1: N runs of the same pipeline, the clock on each from RunPipeline published to BuildCompleted seen.
export async function pipelineServiceBench(options: PipelineBenchOptions): Promise<ScenarioResult> {
  const bus = await createTestBus();
  const database = await createTestDatabase('benchpipeline');
  const publisher = new BusPublisher(bus.js, bus.names);
  const pg = new Client({ connectionString: database.url, application_name: 'bench-pipeline' });
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-pipeline-'));
  const sandbox = await createGitSandbox();
  const executionPort = await freePort();
  const shared = {
    BUS_NAMESPACE: bus.names.namespace,
    DATABASE_URL: database.url,
    JWT_SECRET,
    SERVICE_HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    ARTIFACT_DIR: path.join(root, 'artifacts'),
    GIT_DATA_DIR: sandbox.dataDir,
  };
  const execution = spawnCompiled('services/pipelines/pipeline-execution/src/main.ts', {
    ...shared,
    SERVICE_PORT: String(executionPort),
    RUNNER_WORK_DIR: path.join(root, 'runs'),
    RUNNER_CONCURRENCY: String(options.runnerConcurrency),
    RUNNER_POLL_MS: String(options.pollMs),
  });
  const buildResult = spawnCompiled('services/pipelines/build-result/src/main.ts', { ...shared, SERVICE_PORT: String(await freePort()) });
  const exited = Promise.race([
    execution.exited.then(({ code, signal }) => `pipeline-execution (code ${code}, signal ${signal})`),
    buildResult.exited.then(({ code, signal }) => `build-result (code ${code}, signal ${signal})`),
  ]).then((which) => {
    throw new Error(`the ${which} service exited`);
  });
  exited.catch(() => undefined);
  const unlessExited = <T>(wait: Promise<T>) => Promise.race([wait, exited]);

  // each pipelines event with when it was seen, kept for the run in progress (an event may arrive before its waiter)
  let history: Array<{ message: Observed; at: number }> = [];
  const waiters = new Set<{ match: (m: Observed) => boolean; resolve: (seen: { message: Observed; at: number }) => void }>();
  const subscription: Subscription = bus.nc.subscribe(bus.names.eventFilter('pipelines'), {
    callback: (_error: unknown, msg: Msg) => {
      const entry = { message: msg.json<Observed>(), at: Date.now() };
      history.push(entry);
      for (const waiter of waiters) {
        if (!waiter.match(entry.message)) continue;
        waiters.delete(waiter);
        waiter.resolve(entry);
      }
    },
  });
  const seen = (match: (m: Observed) => boolean, what: string) => {
    const earlier = history.find((entry) => match(entry.message));
    if (earlier) return Promise.resolve(earlier);
    let waiter: Parameters<typeof waiters.add>[0] | undefined;
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<{ message: Observed; at: number }>((resolve, reject) => {
      waiter = { match, resolve };
      waiters.add(waiter);
      timer = setTimeout(() => reject(new Error(`no ${what} within ${options.stepTimeoutMs} ms (BENCH_PIPELINE_STEP_TIMEOUT_MS)`)), options.stepTimeoutMs);
    });
    return unlessExited(promise).finally(() => {
      clearTimeout(timer);
      if (waiter) waiters.delete(waiter);
    });
  };

  try {
    await pg.connect();
    const token = await signTestToken({ sub: 'bench-reader', tenant: TENANT, scopes: [PIPELINES_READ] }, JWT_SECRET);
    const getRun = async (runId: string) => {
      const response = await fetch(`http://127.0.0.1:${executionPort}/runs/${runId}`, { headers: { authorization: `Bearer ${token}` } });
      if (response.status !== 200) throw new Error(`GET /runs/${runId}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { status: string; createdAt: string; steps: RestStep[] };
    };
    // both services up: their schemas are migrated, the REST door of pipeline-execution answers
    await unlessExited(eventually(async () => ((await fetch(`http://127.0.0.1:${executionPort}/runs/00000000-0000-7000-8000-000000000000`, { headers: { authorization: `Bearer ${token}` } })).status === 404 ? true : undefined), 'pipeline-execution to answer GET /runs/:runId', 60_000));
    await unlessExited(eventually(async () => ((await pg.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'build_result' AND table_name = 'builds'`)).rowCount ? true : undefined), 'build-result migrated', 60_000));

    const repo = await seedRepository({ publisher }, sandbox, 'bench-app', { files: { 'README.md': '# bench-app\n', 'azure-pipelines.yml': PIPELINE } });
    await unlessExited(eventually(async () => ((await pg.query(`SELECT 1 FROM pipeline_execution.repositories WHERE repository_id = $1`, [repo.repositoryId])).rowCount ? true : undefined), 'the repository known to pipeline-execution', 30_000));

    const once = async (): Promise<RunTimes> => {
      const command = createEnvelope('RunPipeline', { repositoryId: repo.repositoryId, branch: 'main', reason: 'manual' }, { source: 'bench-agent', tenantId: TENANT, projectId: PROJECT, actor: { kind: 'agent', id: 'bench-agent' } });
      history = [];
      const started = seen((m) => (m.type === 'PipelineRunStarted' && m.causationId === command.id) || (m.type === 'PipelineRunRejected' && m.causationId === command.id), 'PipelineRunStarted');
      const tCmd = Date.now();
      await publisher.publish(command);
      const start = await started;
      if (start.message.type !== 'PipelineRunStarted') throw new Error(`RunPipeline rejected: ${JSON.stringify(start.message.payload)}`);
      const runId = String(start.message.payload.runId);
      const finished = seen((m) => m.type === 'PipelineRunFinished' && m.payload.runId === runId, `PipelineRunFinished of ${runId}`);
      const built = seen((m) => (m.type === 'BuildCompleted' || m.type === 'BuildResultIngestionFailed') && m.payload.runId === runId, `BuildCompleted of ${runId}`);
      const [finish, build] = await Promise.all([finished, built]);
      if (build.message.type !== 'BuildCompleted') throw new Error(`run ${runId}: ${build.message.type}: ${JSON.stringify(build.message.payload)}`);
      const outcome = finish.message.payload as unknown as Finished;
      if (outcome.result !== 'Succeeded') throw new Error(`run ${runId}: ${outcome.result}: ${JSON.stringify(outcome.error ?? outcome.steps)}`);
      const tests = (build.message.payload as unknown as PayloadOf<'BuildCompleted'>).tests;
      if (tests.total !== 1 || tests.passed !== 1) throw new Error(`run ${runId}: tests ${JSON.stringify(tests)}, expected the one JUnit test`);
      // the step start times are on the run's row (REST), not in the event
      const row = await getRun(runId);
      const steps = [...row.steps].sort((a, b) => a.index - b.index);
      if (steps.length !== 3 || steps.some((s) => s.status !== 'succeeded' || s.startedAt === null)) throw new Error(`run ${runId}: steps ${JSON.stringify(steps)}`);
      const runStart = Date.parse(outcome.startedAt);
      const runEnd = Date.parse(outcome.finishedAt);
      const stepStart = steps.map((s) => Date.parse(s.startedAt!));
      const stepsMs = outcome.steps.reduce((sum, s) => sum + s.durationMs, 0);
      let gaps = 0;
      for (let i = 1; i < steps.length; i++) gaps += stepStart[i]! - (stepStart[i - 1]! + steps[i - 1]!.durationMs);
      const last = steps[steps.length - 1]!;
      const total = build.at - tCmd;
      return {
        total,
        steps: stepsMs,
        overhead: total - stepsMs,
        queue: runStart - tCmd,
        accept: Date.parse(row.createdAt) - tCmd,
        claim: runStart - Date.parse(row.createdAt),
        checkout: stepStart[0]! - runStart,
        gaps,
        tail: runEnd - (stepStart[steps.length - 1]! + last.durationMs),
        ingestion: build.at - runEnd,
        startedSeenLag: start.at - Date.parse(String(start.message.payload.startedAt)),
      };
    };

    // one run before the clock: connections, JIT, the page cache of git and node
    await once();
    const times: RunTimes[] = [];
    const cpu = cpuMeter();
    const cpuBefore = { execution: processCpuSeconds(execution.process.pid), buildResult: processCpuSeconds(buildResult.process.pid) };
    const elapsed = stopwatch();
    for (let i = 0; i < options.runs; i++) times.push(await once());
    const seconds = elapsed();
    const usage = cpu();
    const executionCores = (processCpuSeconds(execution.process.pid) - cpuBefore.execution) / seconds;
    const buildResultCores = (processCpuSeconds(buildResult.process.pid) - cpuBefore.buildResult) / seconds;

    // what the overhead is made of, outside the services: the runner's own commands, timed alone
    const probes = await probe(sandbox.git.repositoryPath(repo.locator), repo.headSha, root);
    // what RunPipeline's handler reads inside its transaction: the branch head and the pipeline file
    const gitReads = await median(async () => {
      const head = await sandbox.git.resolveBranch(repo.locator, 'main');
      if (head !== repo.headSha || !(await sandbox.git.readFile(repo.locator, head, 'azure-pipelines.yml'))) throw new Error('the probe read another head or no pipeline file');
    });

    const pick = (key: keyof RunTimes) => sorted(times.map((t) => t[key]));
    const p = (key: keyof RunTimes, q: number) => round(percentile(pick(key), q), 1);
    const p50p99 = (key: keyof RunTimes) => `${p(key, 0.5)}/${p(key, 0.99)}`;
    const overheadRatios = sorted(times.map((t) => (t.steps > 0 ? t.overhead / t.steps : 0)));
    return {
      scenario: 'p1',
      description: 'pipeline run: RunPipeline → 3 steps (node, true, PublishTestResults) → BuildCompleted, one at a time',
      messages: options.runs,
      seconds,
      rate: rate(options.runs, seconds),
      latency: { label: 'platform overhead per run (total − steps)', p50Ms: p('overhead', 0.5), p99Ms: p('overhead', 0.99) },
      details: {
        runs: options.runs,
        runsPerSecond: round(rate(options.runs, seconds), 2),
        runnerConcurrency: options.runnerConcurrency,
        pollMs: options.pollMs,
        msP50P99Total: p50p99('total'),
        msP50Steps: p('steps', 0.5),
        msP50P99Overhead: p50p99('overhead'),
        overheadPerStepsP50: round(percentile(overheadRatios, 0.5), 2),
        // queue+checkout = RunPipeline → first step started; ingestion = finishedAt → BuildCompleted seen
        msP50P99QueueCheckout: `${round(percentile(sorted(times.map((t) => t.queue + t.checkout)), 0.5), 1)}/${round(percentile(sorted(times.map((t) => t.queue + t.checkout)), 0.99), 1)}`,
        msP50P99Ingestion: p50p99('ingestion'),
        msP50P99Queue: p50p99('queue'),
        msP50P99QueueAccept: p50p99('accept'),
        msP50P99QueueClaim: p50p99('claim'),
        msP50P99Checkout: p50p99('checkout'),
        msP50P99StepGaps: p50p99('gaps'),
        msP50P99Tail: p50p99('tail'),
        msP50StartedSeenLag: p('startedSeenLag', 0.5),
        msProbeGitClone: probes.gitClone,
        msProbeGitReads: gitReads,
        msProbeBash: probes.bash,
        msProbeNode: probes.node,
        processCpu: usage.process,
        executionCpu: round(executionCores, 2),
        buildResultCpu: round(buildResultCores, 2),
        machineCpu: usage.machine,
      },
    };
  } finally {
    subscription.unsubscribe();
    await Promise.all([stop(execution), stop(buildResult)]);
    await pg.end().catch(() => undefined);
    await bus.close();
    await database.drop();
    await sandbox.close();
    rmSync(root, { recursive: true, force: true });
  }
}

// Medians of 10 of each: the clone + checkout the runner does, an empty bash step, node's startup.
async function probe(bareRepository: string, sha: string, root: string): Promise<{ gitClone: number; bash: number; node: number }> {
  // the runner's git environment (no user or system config)
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const gitClone = await median(async (i) => {
    const target = path.join(root, `probe-clone-${i}`);
    await run('git', ['clone', '--no-checkout', '--quiet', bareRepository, target], { env });
    await run('git', ['-C', target, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', sha], { env });
    rmSync(target, { recursive: true, force: true });
  });
  const bash = await median(() => run('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', 'true'], { env }));
  const node = await median(() => run('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', 'node -e 0'], { env }));
  return { gitClone, bash, node };
}

async function median(fn: (i: number) => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const started = nowMs();
    await fn(i);
    samples.push(nowMs() - started);
  }
  return round(percentile(sorted(samples), 0.5), 1);
}

function sorted(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}
