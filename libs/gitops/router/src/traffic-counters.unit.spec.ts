import { validatePayload } from '@delivery/contracts';
import { TrafficCounters } from './traffic-counters';

const rev = (c: string): string => c.repeat(40);

describe('TrafficCounters', () => {
  it('counts per (application, revision) and resets on snapshot, the next window starting where the last ended', () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const counters = new TrafficCounters(() => new Date(t));
    counters.counter('shop', rev('a')).record(200, 5);
    counters.counter('shop', rev('a')).record(503, 5);
    counters.counter('shop', rev('b')).record(200, 9);
    counters.recordUnrouted('cart');
    t += 30_000;
    const snap = counters.snapshot('dev', (_app, r) => (r === rev('a') ? 90 : 10));
    expect(snap).toEqual({
      environment: 'dev',
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-01T00:00:30.000Z',
      applications: [
        {
          application: 'shop',
          traffic: [
            { revision: rev('a'), weight: 90, requests: 2, errors5xx: 1, p50Ms: 5, p99Ms: 5 },
            { revision: rev('b'), weight: 10, requests: 1, errors5xx: 0, p50Ms: 9, p99Ms: 9 },
          ],
          unrouted: 0,
        },
        { application: 'cart', traffic: [], unrouted: 1 },
      ],
    });
    t += 10_000;
    expect(counters.snapshot('dev', () => 100)).toEqual({ environment: 'dev', windowStart: snap.windowEnd, windowEnd: '2026-01-01T00:00:40.000Z', applications: [] });
  });

  it('keeps at most 4 revisions, those of the current table first (the contract caps traffic at 4)', () => {
    const counters = new TrafficCounters();
    for (const c of ['1', '2', '3', '4', '5']) for (let i = 0; i < Number(c) * 10; i++) counters.counter('shop', rev(c)).record(200, 1);
    counters.counter('shop', rev('f')).record(200, 1);
    const snap = counters.snapshot('dev', (_app, r) => (r === rev('f') ? 100 : null));
    expect(snap.applications[0]?.traffic.map((x) => [x.revision[0], x.weight])).toEqual([
      ['f', 100],
      ['5', 0],
      ['4', 0],
      ['3', 0],
    ]);
  });

  it('produces the traffic array of RuntimeHealthReported as the contract defines it', () => {
    const counters = new TrafficCounters();
    counters.counter('shop', rev('a')).record(200, 3);
    const snap = counters.snapshot('dev', () => 100);
    const app = snap.applications[0];
    const payload = {
      environment: snap.environment,
      application: app?.application,
      windowStart: snap.windowStart,
      windowEnd: snap.windowEnd,
      health: 'Healthy',
      probes: [],
      traffic: app?.traffic,
    };
    expect(validatePayload('RuntimeHealthReported', payload)).toMatchObject({ ok: true });
  });
});
