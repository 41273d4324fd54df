import { recentRestartTimes, restartDelay } from './backoff';

const policy = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

describe('restartDelay', () => {
  it('starts at the base delay', () => {
    expect(restartDelay(null, 0, policy)).toBe(10_000);
  });

  it('doubles up to the max', () => {
    const delays: number[] = [];
    let previous: number | null = null;
    for (let i = 0; i < 8; i++) delays.push((previous = restartDelay(previous, 0, policy)));
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('resets to the base after a long enough healthy run', () => {
    expect(restartDelay(300_000, 599_999, policy)).toBe(300_000);
    expect(restartDelay(300_000, 600_000, policy)).toBe(10_000);
  });
});

describe('recentRestartTimes', () => {
  it('keeps only the restarts inside the window', () => {
    expect(recentRestartTimes([0, 1000, 5000, 9000], 10_000, 6000)).toEqual([5000, 9000]);
  });
});
