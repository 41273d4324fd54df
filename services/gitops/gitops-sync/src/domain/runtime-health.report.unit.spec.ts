import { validatePayload } from '@delivery/contracts';
import { at, REV_A, REV_B } from './gitops.test-fixture';
import { percentile, runtimeHealthPayload, type HealthWindow } from './runtime-health.report';

const window: HealthWindow = {
  environment: 'prod1',
  application: 'shop',
  windowStart: at(0),
  windowEnd: at(60),
  workloads: ['Healthy', 'Progressing'],
  probes: [{ revision: REV_B, path: '/health', status: 200, ok: true, latencyMs: 4 }],
  traffic: [
    { revision: REV_A, weight: 80, requests: 400, errors5xx: 1, latenciesMs: Array.from({ length: 100 }, (_, i) => i + 1) },
    { revision: REV_B, weight: 20, requests: 0, errors5xx: 0, latenciesMs: [] },
  ],
};

describe('runtimeHealthPayload', () => {
  it('given a window, then a RuntimeHealthReported payload with worst-of health and percentiles', () => {
    const payload = runtimeHealthPayload(window);
    expect(payload).toMatchObject({ health: 'Progressing', windowStart: at(0).toISOString(), windowEnd: at(60).toISOString() });
    expect(payload.traffic).toEqual([
      { revision: REV_A, weight: 80, requests: 400, errors5xx: 1, p50Ms: 50, p99Ms: 99 },
      { revision: REV_B, weight: 20, requests: 0, errors5xx: 0, p50Ms: null, p99Ms: null },
    ]);
    expect(validatePayload('RuntimeHealthReported', payload)).toMatchObject({ ok: true });
  });

  it('given more probes than the contract allows, then the latest 100', () => {
    const probes = Array.from({ length: 150 }, (_, i) => ({ revision: REV_A, path: '/health', status: 200, ok: true, latencyMs: i }));
    const payload = runtimeHealthPayload({ ...window, probes });
    expect(payload.probes).toHaveLength(100);
    expect(payload.probes[0]?.latencyMs).toBe(50);
    expect(validatePayload('RuntimeHealthReported', payload)).toMatchObject({ ok: true });
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 50)).toBeNull();
  });
});
