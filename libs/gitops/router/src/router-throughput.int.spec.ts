import { benchmarkRouter } from './router-throughput';

// Only that the bench helper works end to end (no timing assertions: the ratio is for `npm run bench`).
describe('benchmarkRouter', () => {
  it('measures direct and routed throughput with the router as its own process, without failures', async () => {
    const result = await benchmarkRouter({ requests: 300, concurrency: 4 });
    expect(result.direct).toMatchObject({ requests: 300, failures: 0 });
    expect(result.routed).toMatchObject({ requests: 300, failures: 0 });
    expect(result.ratio).toBeGreaterThan(0);
  });

  it('measures with the router in this process', async () => {
    const result = await benchmarkRouter({ requests: 300, concurrency: 4, inProcess: true });
    expect(result.routed.failures).toBe(0);
  });
});
