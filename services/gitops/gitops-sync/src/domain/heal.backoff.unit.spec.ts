import { at, REV_A, REV_B } from './gitops.test-fixture';
import { healAttemptsOf, healDelayMs, initialHealTracker, nextHealAt, noteDrift, noteHealthy, noteNotHealthy, recordHealAttempt, resetHealTracker, type HealTracker } from './heal.backoff';

const SIG = '1'.repeat(64);
const OTHER = '2'.repeat(64);

describe('heal backoff', () => {
  it('waits 2 s, 6 s, 18 s … (×3) and never more than 300 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(healDelayMs)).toEqual([2_000, 6_000, 18_000, 54_000, 162_000, 300_000, 300_000, 300_000]);
  });

  it('given a new drift, then the first heal is due 2 s after it was seen', () => {
    const tracker = noteDrift(initialHealTracker(), REV_A, SIG, at(0));
    expect(nextHealAt(tracker, REV_A, SIG)).toEqual(at(2));
    expect(healAttemptsOf(tracker, REV_A, SIG)).toBe(0);
  });

  it('given heals at each due time, then the next falls due after the growing delay', () => {
    let tracker = noteDrift(initialHealTracker(), REV_A, SIG, at(0));
    const due: number[] = [];
    for (let i = 0; i < 7; i++) {
      const when = nextHealAt(tracker, REV_A, SIG)!;
      due.push((when.getTime() - at(0).getTime()) / 1000);
      tracker = recordHealAttempt(tracker, REV_A, SIG, when);
    }
    expect(due).toEqual([2, 8, 26, 80, 242, 542, 842]);
    expect(healAttemptsOf(tracker, REV_A, SIG)).toBe(7);
  });

  it('given a drift it has not noted, then no heal is due', () => {
    expect(nextHealAt(initialHealTracker(REV_A), REV_A, SIG)).toBeNull();
  });

  it('keeps a counter per signature', () => {
    let tracker = recordHealAttempt(noteDrift(initialHealTracker(), REV_A, SIG, at(0)), REV_A, SIG, at(2));
    tracker = noteDrift(tracker, REV_A, OTHER, at(3));
    expect(healAttemptsOf(tracker, REV_A, SIG)).toBe(1);
    expect(healAttemptsOf(tracker, REV_A, OTHER)).toBe(0);
    expect(nextHealAt(tracker, REV_A, OTHER)).toEqual(at(5));
  });

  it('given a new revision, then every counter starts over', () => {
    const tracker = recordHealAttempt(noteDrift(initialHealTracker(), REV_A, SIG, at(0)), REV_A, SIG, at(2));
    const next = noteDrift(tracker, REV_B, SIG, at(10));
    expect(next.revision).toBe(REV_B);
    expect(healAttemptsOf(next, REV_B, SIG)).toBe(0);
    expect(nextHealAt(next, REV_B, SIG)).toEqual(at(12));
    expect(resetHealTracker(REV_B)).toEqual(initialHealTracker(REV_B));
  });

  it('given 5 min without drift and Healthy, then the counters reset', () => {
    let tracker = recordHealAttempt(noteDrift(initialHealTracker(), REV_A, SIG, at(0)), REV_A, SIG, at(2));
    tracker = noteHealthy(tracker, at(10));
    tracker = noteHealthy(tracker, at(10 + 299));
    expect(healAttemptsOf(tracker, REV_A, SIG)).toBe(1);
    tracker = noteHealthy(tracker, at(10 + 300));
    expect(healAttemptsOf(tracker, REV_A, SIG)).toBe(0);
  });

  it('given the drift back within the cooldown (flapping), then its backoff continues', () => {
    let tracker = recordHealAttempt(noteDrift(initialHealTracker(), REV_A, SIG, at(0)), REV_A, SIG, at(2));
    tracker = noteHealthy(tracker, at(10));
    tracker = noteDrift(tracker, REV_A, SIG, at(60));
    expect(tracker.healthySince).toBeNull();
    expect(healAttemptsOf(tracker, REV_A, SIG)).toBe(1);
    expect(nextHealAt(tracker, REV_A, SIG)).toEqual(at(8));
  });

  it('given a clean but not Healthy observation, then the cooldown restarts', () => {
    let tracker = recordHealAttempt(noteDrift(initialHealTracker(), REV_A, SIG, at(0)), REV_A, SIG, at(2));
    tracker = noteNotHealthy(noteHealthy(tracker, at(10)));
    tracker = noteHealthy(tracker, at(200));
    expect(noteHealthy(tracker, at(400)).entries).toHaveLength(1);
    expect(noteHealthy(tracker, at(500)).entries).toHaveLength(0);
  });

  it('is plain JSON data (the service persists it)', () => {
    const tracker: HealTracker = recordHealAttempt(noteDrift(initialHealTracker(), REV_A, SIG, at(0)), REV_A, SIG, at(2));
    expect(JSON.parse(JSON.stringify(tracker))).toEqual(tracker);
  });
});
