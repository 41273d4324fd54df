import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { uuidv7 } from '@delivery/messaging';
import { waitForMessages } from '@delivery/testing';
import { finishedFor, runOnBus, startPipelineHarness, type FinishedEvent, type PipelineHarness } from '../pipeline-execution.testing';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@delivery/testing';
import { PIPELINES_READ } from '../pipeline-execution.scopes';
import { processAlive } from '../runner/process-group';

// The queue with RUNNER_CONCURRENCY=1, and what a restart does with runs a dead process left 'running'.
describe('pipeline-execution: queue and recovery', () => {
  let h: PipelineHarness;

  beforeAll(async () => {
    h = await startPipelineHarness({ RUNNER_CONCURRENCY: '1' });
  });
  const afterCleanup: Array<() => unknown> = [];
  afterAll(async () => {
    for (const cleanup of afterCleanup) cleanup();
    await h?.close();
  });

  it('never runs two at once with a concurrency of 1; all three run', async () => {
    const repo = await h.repo('queue', `steps:\n  - script: sleep 0.7\n`);
    const commands = [];
    for (let i = 0; i < 3; i++) commands.push(await h.fx.send('RunPipeline', { repositoryId: repo.repositoryId, branch: 'main' }));
    const names = h.fx.bus.names;
    const finished = await waitForMessages<FinishedEvent>(h.fx.bus, {
      stream: names.eventStream('pipelines'),
      subject: names.eventFilter('pipelines', 'PipelineRunFinished'),
      predicate: (e) => e.payload.repositoryId === repo.repositoryId,
      count: 3,
      timeoutMs: 30_000,
    });
    expect(finished.map((e) => e.payload.result)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
    const rows: Array<{ command_id: string; started_at: Date; finished_at: Date }> = await h.service.dataSource.query(
      `SELECT command_id, started_at, finished_at FROM pipeline_runs WHERE repository_id = $1 ORDER BY started_at, created_at`,
      [repo.repositoryId],
    );
    expect(rows.map((r) => r.command_id).sort()).toEqual(commands.map((c) => c.id).sort());
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.finished_at.getTime());

    // the list over REST, newest first, in pages
    const token = await h.fx.token({ scopes: [PIPELINES_READ] });
    const page = (query: string) => h.fx.http(h.service).get(`/runs?repositoryId=${repo.repositoryId}${query}`).set('Authorization', `Bearer ${token}`).expect(200);
    const first = (await page('&limit=2')).body;
    expect(first.items).toHaveLength(2);
    const second = (await page(`&limit=2&after=${first.next}`)).body;
    expect(second).toMatchObject({ next: null });
    const listed = [...first.items, ...second.items].map((r: { runId: string }) => r.runId);
    expect(listed).toEqual(finished.map((e) => e.payload.runId).sort().reverse());
  });

  it('after a restart, finishes a run left running by a dead process as Failed (runner-lost), kills its step, never runs it again', async () => {
    const repo = await h.repo('lost', `steps:\n  - script: echo should never run again > /dev/null\n`);
    // the dead runner: a process that has exited, and the step it left behind in a process group of its own
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    const orphan = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    orphan.unref();
    const runId = uuidv7();
    const commandId = uuidv7();
    const steps = [{ index: 1, name: 'Step', job: 'Job', status: 'running', exitCode: null, durationMs: 0, pid: orphan.pid }];
    await h.service.dataSource.query(
      `INSERT INTO pipeline_runs (run_id, tenant_id, project_id, repository_id, branch, sha, pipeline_path, reason, timeout_seconds, status, runner_host,
         runner_pid, runner_instance, attempt, heartbeat_at, started_at, steps, command_id, trace_id, correlation_id, actor)
       VALUES ($1, 'acme', 'web', $2, 'main', $3, 'azure-pipelines.yml', 'manual', 60, 'running', $4, $5, 'gone', 1, now(), now(), $6, $7, $8, $9, $10)`,
      [runId, repo.repositoryId, repo.headSha, hostname(), dead.pid, JSON.stringify(steps), commandId, 'a'.repeat(32), commandId, JSON.stringify({ kind: 'service', id: 'test' })],
    );
    expect(processAlive(orphan.pid!)).toBe(true);
    afterCleanup.push(() => processAlive(orphan.pid!) && process.kill(orphan.pid!, 'SIGKILL'));
    await h.restart();
    const finished = await finishedFor(h.fx, runId);
    expect(finished.payload).toMatchObject({ result: 'Failed', error: { code: 'pipeline.runner-lost' } });
    expect(finished.payload.steps.map((s) => s.status)).toEqual(['canceled']);
    expect(processAlive(orphan.pid!)).toBe(false);
    // not claimed again: one attempt, no PipelineRunStarted of its own
    const [row] = await h.service.dataSource.query(`SELECT status, result, attempt FROM pipeline_runs WHERE run_id = $1`, [runId]);
    expect(row).toEqual({ status: 'finished', result: 'Failed', attempt: 1 });
    const events: Array<{ type: string }> = await h.service.dataSource.query(`SELECT type FROM events WHERE stream_id = $1 ORDER BY version`, [`pipeline-run-${runId}`]);
    expect(events.map((e) => e.type)).toEqual(['PipelineRunFinished']);
    // the restarted service still runs new work
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    expect((await finishedFor(h.fx, started.payload.runId)).payload.result).toBe('Succeeded');
  });

  it('a graceful shutdown stops the run in progress (its process group killed) and records it Failed (runner-stopped)', async () => {
    const repo = await h.repo('shutdown', `steps:\n  - script: echo $$ > ${h.scratch}/stop.pid; sleep 600\n`);
    const started = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    await eventually(async () => (existsSync(join(h.scratch, 'stop.pid')) ? true : undefined), 'the step started');
    const pid = Number(readFileSync(join(h.scratch, 'stop.pid'), 'utf8'));
    await h.restart();
    const finished = await finishedFor(h.fx, started.payload.runId);
    expect(finished.payload).toMatchObject({ result: 'Failed', error: { code: 'pipeline.runner-stopped' } });
    expect(finished.payload.steps.map((s) => s.status)).toEqual(['canceled']);
    expect(processAlive(pid)).toBe(false);
  });

  it('cancels a queued run at once (no steps ran) while the only slot is busy', async () => {
    const repo = await h.repo('queued-cancel', `steps:\n  - script: sleep 600\n`);
    const busy = await runOnBus(h, { repositoryId: repo.repositoryId, branch: 'main' });
    const waiting = await h.fx.send('RunPipeline', { repositoryId: repo.repositoryId, branch: 'main' });
    const [queued] = await eventually(async () => {
      const rows: Array<{ run_id: string; status: string }> = await h.service.dataSource.query(`SELECT run_id, status FROM pipeline_runs WHERE command_id = $1`, [waiting.id]);
      return rows.length > 0 ? rows : undefined;
    }, 'the second run queued');
    expect(queued!.status).toBe('queued');
    await h.fx.send('CancelPipelineRun', { runId: queued!.run_id });
    const canceled = await finishedFor(h.fx, queued!.run_id);
    expect(canceled.payload).toMatchObject({ result: 'Canceled', steps: [], durationMs: 0 });
    await h.fx.send('CancelPipelineRun', { runId: busy.payload.runId });
    expect((await finishedFor(h.fx, busy.payload.runId)).payload.result).toBe('Canceled');
    const [row] = await h.service.dataSource.query(`SELECT status, attempt FROM pipeline_runs WHERE run_id = $1`, [queued!.run_id]);
    expect(row).toEqual({ status: 'canceled', attempt: 0 });
  });
});
