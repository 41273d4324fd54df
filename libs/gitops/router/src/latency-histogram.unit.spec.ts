import { LatencyHistogram } from './latency-histogram';

describe('LatencyHistogram', () => {
  it('is null when empty', () => {
    const h = new LatencyHistogram();
    expect(h.percentile(0.5)).toBeNull();
    expect(h.percentile(0.99)).toBeNull();
  });

  it('reports a single sample exactly (clamped to min/max)', () => {
    const h = new LatencyHistogram();
    h.record(42);
    expect(h.percentile(0.5)).toBe(42);
    expect(h.percentile(0.99)).toBe(42);
  });

  it('finds p50 and p99 of 1..1000 ms within the bucket resolution (25 %)', () => {
    const h = new LatencyHistogram();
    for (let ms = 1000; ms >= 1; ms--) h.record(ms);
    expect(h.count).toBe(1000);
    const p50 = h.percentile(0.5) as number;
    const p99 = h.percentile(0.99) as number;
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(625);
    expect(p99).toBeGreaterThanOrEqual(990);
    expect(p99).toBeLessThanOrEqual(1000);
  });

  it('separates a slow tail from a fast body', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 98; i++) h.record(2);
    h.record(300);
    h.record(400);
    expect(h.percentile(0.5)).toBeLessThanOrEqual(2.5);
    expect(h.percentile(0.99)).toBeGreaterThanOrEqual(300);
  });

  it('keeps zero, negative and huge values in the edge buckets', () => {
    const h = new LatencyHistogram();
    h.record(0);
    h.record(-5);
    h.record(1e12);
    expect(h.percentile(0.5)).toBeLessThanOrEqual(0.1);
    expect(h.percentile(1)).toBe(1e12);
  });
});
