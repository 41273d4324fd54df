import { syncSettingsOf } from './sync.settings';

describe('sync settings', () => {
  it('defaults: 30 s interval, 1 s settle polled every 250 ms, 8 applications at once, 5 s health reports, no npm feeds, 600 s progress deadline', () => {
    expect(syncSettingsOf({}, {})).toEqual({ intervalMs: 30_000, jitter: 0.2, settleMs: 1_000, settlePollMs: 250, syncConcurrency: 8, npmFeeds: {}, healthReportIntervalMs: 5_000, progressDeadlineSeconds: 600 });
  });
  it('reads GITOPS_SYNC_CONCURRENCY and GITOPS_SETTLE_POLL_MS (positive numbers); options win', () => {
    expect(syncSettingsOf({}, { GITOPS_SYNC_CONCURRENCY: '16', GITOPS_SETTLE_POLL_MS: '100' })).toMatchObject({ syncConcurrency: 16, settlePollMs: 100 });
    expect(syncSettingsOf({}, { GITOPS_SYNC_CONCURRENCY: '0' }).syncConcurrency).toBe(8);
    expect(syncSettingsOf({ syncConcurrency: 1 }, { GITOPS_SYNC_CONCURRENCY: '16' }).syncConcurrency).toBe(1);
  });

  it('reads GITOPS_PROGRESS_DEADLINE_SECONDS (a positive number); the option wins', () => {
    expect(syncSettingsOf({}, { GITOPS_PROGRESS_DEADLINE_SECONDS: '90' }).progressDeadlineSeconds).toBe(90);
    expect(syncSettingsOf({}, { GITOPS_PROGRESS_DEADLINE_SECONDS: '-1' }).progressDeadlineSeconds).toBe(600);
    expect(syncSettingsOf({ progressDeadlineSeconds: 2 }, { GITOPS_PROGRESS_DEADLINE_SECONDS: '90' }).progressDeadlineSeconds).toBe(2);
  });

  it('reads GITOPS_SYNC_INTERVAL_MS, HEALTH_REPORT_INTERVAL_MS and GITOPS_NPM_FEEDS; options win', () => {
    const env = { GITOPS_SYNC_INTERVAL_MS: '1000', HEALTH_REPORT_INTERVAL_MS: '2500', GITOPS_NPM_FEEDS: '{"internal":"http://127.0.0.1:4873"}' };
    expect(syncSettingsOf({}, env)).toMatchObject({ intervalMs: 1_000, healthReportIntervalMs: 2_500, npmFeeds: { internal: 'http://127.0.0.1:4873' } });
    expect(syncSettingsOf({ healthReportIntervalMs: 100, npmFeeds: {} }, env)).toMatchObject({ healthReportIntervalMs: 100, npmFeeds: {} });
  });

  it('ignores a HEALTH_REPORT_INTERVAL_MS that is not a positive number', () => {
    expect(syncSettingsOf({}, { HEALTH_REPORT_INTERVAL_MS: '0' }).healthReportIntervalMs).toBe(5_000);
    expect(syncSettingsOf({}, { HEALTH_REPORT_INTERVAL_MS: 'soon' }).healthReportIntervalMs).toBe(5_000);
  });

  it('refuses a GITOPS_NPM_FEEDS that is not JSON', () => {
    expect(() => syncSettingsOf({}, { GITOPS_NPM_FEEDS: 'internal=http://x' })).toThrow('GITOPS_NPM_FEEDS is not JSON');
  });
});
