import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Envelope } from '@delivery/contracts';
import { BusPublisher, createEnvelope } from '@delivery/messaging';
import { createGitSandbox, seedRepository } from '@delivery/repository-directory/testing';
import { createTestBus, createTestDatabase, spawnCompiled } from '@delivery/testing';
import { cpuMeter, LatencyRecorder, nowMs, rate, round, stopwatch, type ScenarioResult } from './stats';

const run = promisify(execFile);

export interface CommitBenchOptions {
  /** measured commits in total, spread evenly over the branches */
  commits: number;
  branches: number;
  /** commands in flight per branch */
  window: number;
  consumerConcurrency: number;
}

const fileOf = (branch: number, i: number) => ({ path: `files/b${branch}/f-${i}.txt`, content: `commit ${i} of branch ${branch}\n` });

// Issue 3 (e/f): one-file commits through the bus to the real commit service (a separate process, as deployed):
// CreateCommit published → CommitCreated received, on one branch or on many in parallel. The agent keeps `window`
// commands in flight per branch, each on the branch's head (no expected parent: the service serializes them).
export async function serviceCommitBench(scenario: string, options: CommitBenchOptions): Promise<ScenarioResult> {
  const bus = await createTestBus();
  const database = await createTestDatabase('benchcommit');
  const sandbox = await createGitSandbox();
  const publisher = new BusPublisher(bus.js, bus.names);
  const service = spawnCompiled('services/source-control/commit/src/main.ts', {
    BUS_NAMESPACE: bus.names.namespace,
    DATABASE_URL: database.url,
    JWT_SECRET: 'bench-secret-0123456789abcdef0123456789',
    SERVICE_PORT: '0',
    // the first warm-up commands may arrive before the service has projected the repository: their retries are
    // expected and would only be noise here
    LOG_LEVEL: 'error',
    GIT_DATA_DIR: sandbox.dataDir,
    CONSUMER_CONCURRENCY: String(options.consumerConcurrency),
    DB_POOL_SIZE: String(Math.min(50, options.consumerConcurrency + 4)),
    RETRY_INITIAL_MS: '20',
  });
  const pending = new Map<string, { started: number; resolve: () => void; reject: (error: Error) => void }>();
  const subscription = bus.nc.subscribe(`${bus.names.namespace}.acme.evt.source-control.>`, {
    callback: (_error, msg) => {
      const event = msg.json<Envelope<{ error?: { code: string; message: string } }>>();
      const waiter = event.causationId ? pending.get(event.causationId) : undefined;
      if (!waiter) return;
      pending.delete(event.causationId!);
      if (event.type === 'CommitCreated') waiter.resolve();
      else waiter.reject(new Error(`${event.type}: ${event.payload.error?.message ?? 'refused'}`));
    },
  });
  try {
    const repository = await seedRepository({ publisher }, sandbox, 'bench');
    const branches = Array.from({ length: options.branches }, (_, b) => `bench/b${b}`);
    for (const branch of branches) await sandbox.git.createBranch(repository.locator, branch, 'main');
    let latencies = new LatencyRecorder(0);
    const commit = (branch: string, b: number, i: number) =>
      new Promise<void>((resolve, reject) => {
        const command = createEnvelope(
          'CreateCommit',
          { repositoryId: repository.repositoryId, branch, message: `bench commit ${i}`, changes: [{ action: 'add', ...fileOf(b, i) }] },
          { source: 'bench-agent', tenantId: 'acme', projectId: 'web', actor: { kind: 'agent', id: 'bench' } },
        );
        const started = nowMs();
        pending.set(command.id, {
          started,
          resolve: () => {
            latencies.record(nowMs() - started);
            resolve();
          },
          reject,
        });
        publisher.publish(command).catch(reject);
      });
    const drive = async (perBranch: number, offset: number) => {
      await Promise.all(
        branches.map(async (branch, b) => {
          let next = 0;
          const lane = async () => {
            while (next < perBranch) await commit(branch, b, offset + next++);
          };
          await Promise.all(Array.from({ length: options.window }, lane));
        }),
      );
    };
    // warm-up: the service has started, learned the repository and has its connections open
    await drive(2, 0);
    const perBranch = Math.ceil(options.commits / options.branches);
    latencies = new LatencyRecorder(perBranch * options.branches);
    const cpu = cpuMeter();
    const elapsed = stopwatch();
    await drive(perBranch, 2);
    const seconds = elapsed();
    const usage = cpu();
    const total = perBranch * options.branches;
    const log = await sandbox.git.log(repository.locator, branches[0]!, { base: 'main', limit: perBranch + 10 });
    if (log.length !== perBranch + 2) throw new Error(`branch ${branches[0]} has ${log.length} commits, expected ${perBranch + 2}`);
    return {
      scenario,
      description: `CreateCommit → CommitCreated through the commit service, ${options.branches} branch${options.branches > 1 ? 'es' : ''}`,
      messages: total,
      seconds,
      rate: rate(total, seconds),
      latency: latencies.summary('command → CommitCreated'),
      details: { branches: options.branches, windowPerBranch: options.window, consumerConcurrency: options.consumerConcurrency, machineCpu: usage.machine },
    };
  } finally {
    subscription.unsubscribe();
    service.process.kill('SIGTERM');
    await service.exited;
    await bus.close();
    await database.drop();
    await sandbox.close();
  }
}

// The baseline: the same one-file commits with plain git in a working tree per branch (write, git add, git commit),
// branches in parallel, in the same run.
export async function plainGitCommitBench(scenario: string, options: Pick<CommitBenchOptions, 'commits' | 'branches'>): Promise<ScenarioResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-git-'));
  const env = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
  const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env });
  try {
    const main = join(dir, 'main');
    await git(dir, 'init', '-q', '-b', 'main', main);
    await writeFile(join(main, 'README.md'), '# bench\n');
    await git(main, 'add', 'README.md');
    await git(main, 'commit', '-q', '-m', 'init');
    const trees = [];
    for (let b = 0; b < options.branches; b++) {
      const tree = join(dir, `b${b}`);
      await git(main, 'worktree', 'add', '-q', '-b', `bench/b${b}`, tree);
      await mkdir(join(tree, 'files', `b${b}`), { recursive: true });
      trees.push(tree);
    }
    const perBranch = Math.ceil(options.commits / options.branches);
    const latencies = new LatencyRecorder(perBranch * options.branches);
    const loop = async (tree: string, b: number, from: number, count: number, record: boolean) => {
      for (let i = from; i < from + count; i++) {
        const started = nowMs();
        const file = fileOf(b, i);
        await writeFile(join(tree, file.path), file.content);
        await git(tree, 'add', file.path);
        await git(tree, 'commit', '-q', '-m', `bench commit ${i}`);
        if (record) latencies.record(nowMs() - started);
      }
    };
    await Promise.all(trees.map((tree, b) => loop(tree, b, 0, 2, false)));
    const elapsed = stopwatch();
    await Promise.all(trees.map((tree, b) => loop(tree, b, 2, perBranch, true)));
    const seconds = elapsed();
    const total = perBranch * options.branches;
    return {
      scenario,
      description: `plain git (write, add, commit) in a worktree per branch, ${options.branches} branch${options.branches > 1 ? 'es' : ''}`,
      messages: total,
      seconds,
      rate: rate(total, seconds),
      latency: latencies.summary('one commit'),
      details: { branches: options.branches, msPerCommitPerBranch: round((seconds * 1000 * options.branches) / total, 2) },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
