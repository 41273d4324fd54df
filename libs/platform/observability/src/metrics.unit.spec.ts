import { metricsRegistry, platformMetrics, PlatformMetrics } from './metrics';

describe('PlatformMetrics', () => {
  it('records the platform metrics under their documented names and labels', async () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    metrics.observeHandler({ service: 'release', type: 'ApproveRelease' }, 'ack', 0.012);
    metrics.startHandlerTimer({ service: 'release', type: 'PlanRelease' })('duplicate');
    metrics.recordDeadLetter({ service: 'release', type: 'ApproveRelease', reasonCode: 'schema-invalid' });
    metrics.setRelayLag('release', 7);
    metrics.recordRelayPublished('release', 3);

    const text = await metrics.scrape();
    expect(text).toContain('handler_duration_seconds_count{service="release",type="ApproveRelease",outcome="ack"} 1');
    expect(text).toContain('handler_duration_seconds_count{service="release",type="PlanRelease",outcome="duplicate"} 1');
    expect(text).toContain('dead_letters_total{service="release",type="ApproveRelease",reason_code="schema-invalid"} 1');
    expect(text).toContain('relay_lag_events{service="release"} 7');
    expect(text).toContain('relay_published_total{service="release"} 3');
  });

  it('keeps one registry per process, with default metrics', async () => {
    expect(platformMetrics()).toBe(platformMetrics());
    expect(metricsRegistry()).toBe(platformMetrics().registry);
    expect(await metricsRegistry().metrics()).toContain('process_cpu_user_seconds_total');
  });
});
