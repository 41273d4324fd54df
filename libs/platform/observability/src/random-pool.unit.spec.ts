import { randomBytesPooled, randomHex } from './random-pool';
import { newSpanId, newTraceId } from './trace-context';

describe('pooled random ids', () => {
  it('hands out distinct bytes across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) seen.add(randomHex(8)); // 24 KB: several refills of the 4 KiB pool
    expect(seen.size).toBe(3000);
    expect(randomBytesPooled(16)).toHaveLength(16);
  });

  it('returns copies, not views a later draw could overwrite', () => {
    const first = randomBytesPooled(16);
    const copy = Buffer.from(first);
    for (let i = 0; i < 600; i++) randomBytesPooled(16);
    expect(first.equals(copy)).toBe(true);
  });

  it('keeps W3C id shapes', () => {
    expect(newTraceId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
  });
});
