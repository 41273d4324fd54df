import { BuildReason, BuildResult, BuildStatus, TaskResult, TimelineRecordState, type TimelineRecord } from 'azure-devops-node-api/interfaces/BuildInterfaces';
import { buildReasonOf, logKeyOf, resultOf, stepStatusOf, stepsOf } from './azure-pipelines.mapping';

const done = (result: TaskResult | undefined, issues: string[] = []): TimelineRecord => ({ state: TimelineRecordState.Completed, result, issues: issues.map((message) => ({ message })) });

describe('Azure Pipelines mapping', () => {
  it('maps TimelineRecordState / TaskResult to step statuses', () => {
    expect(stepStatusOf({ state: TimelineRecordState.Pending })).toBe('pending');
    expect(stepStatusOf({ state: TimelineRecordState.InProgress })).toBe('running');
    expect(stepStatusOf(done(TaskResult.Succeeded))).toBe('succeeded');
    expect(stepStatusOf(done(TaskResult.SucceededWithIssues))).toBe('succeeded');
    expect(stepStatusOf(done(TaskResult.Failed))).toBe('failed');
    expect(stepStatusOf(done(TaskResult.Canceled))).toBe('canceled');
    expect(stepStatusOf(done(TaskResult.Canceled, ['The job running on agent Hosted Agent ran longer than the maximum time of 60 minutes.']))).toBe('timed-out');
    expect(stepStatusOf(done(TaskResult.Skipped))).toBe('skipped');
    expect(stepStatusOf(done(TaskResult.Abandoned))).toBe('failed');
    expect(stepStatusOf(done(undefined))).toBe('failed');
  });

  it('orders tasks across jobs by the order of their parents, names the job', () => {
    const records: TimelineRecord[] = [
      { id: 't2', parentId: 'j2', type: 'Task', name: 'second job task', order: 1, state: TimelineRecordState.Pending },
      { id: 'j2', parentId: 'p', type: 'Job', name: 'Deploy', order: 2 },
      { id: 'j1', parentId: 'p', type: 'Job', name: 'Build', order: 1 },
      { id: 'p', type: 'Phase', name: 'Job', order: 1 },
      { id: 't1', parentId: 'j1', type: 'Task', name: 'first job task', order: 5, state: TimelineRecordState.Pending, log: { id: 3, type: 'Container', url: '' } },
    ];
    expect(stepsOf(records).map((m) => [m.step.index, m.step.name, m.step.job, m.logId])).toEqual([
      [1, 'first job task', 'Build', 3],
      [2, 'second job task', 'Deploy', undefined],
    ]);
  });

  it('maps build results; partiallySucceeded counts as Succeeded', () => {
    expect(resultOf({ status: BuildStatus.Completed, result: BuildResult.PartiallySucceeded }, []).result).toBe('Succeeded');
    expect(resultOf({ status: BuildStatus.Completed, result: BuildResult.Canceled }, []).result).toBe('Canceled');
    expect(resultOf({ id: 7, status: BuildStatus.Completed, result: BuildResult.Failed }, []).error).toMatchObject({ code: 'pipeline.step-failed', message: 'Azure Pipelines build 7 failed' });
    expect(resultOf({ status: BuildStatus.Completed, result: BuildResult.None }, []).error?.code).toBe('pipeline.runner-error');
  });

  it('maps reasons and slugs log keys like the local runner', () => {
    expect([buildReasonOf('pull-request'), buildReasonOf('merge'), buildReasonOf('schedule'), buildReasonOf('retry')]).toEqual([BuildReason.PullRequest, BuildReason.IndividualCI, BuildReason.Schedule, BuildReason.Manual]);
    expect(logKeyOf('r1', 7, 'Post-job: Checkout orders@main to s')).toBe('runs/r1/logs/7-post-job-checkout-orders-main-to-s.log');
  });
});
