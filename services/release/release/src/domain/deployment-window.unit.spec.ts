import { IllegalStateError, ValidationError } from '@delivery/messaging';
import { assertWindowOpen, canonicalTimeZone, parseClock, windowDecision, type DeploymentWindow, type WindowDecision, type WindowSchedule } from './deployment-window';

const at = (iso: string) => new Date(iso);
const weekdays: DeploymentWindow['days'] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const everyDay: DeploymentWindow['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const berlinOffice: WindowSchedule = { windows: [{ days: weekdays, start: '09:00', end: '17:00', timeZone: 'Europe/Berlin' }] };
const newYorkOffice: WindowSchedule = { windows: [{ days: weekdays, start: '09:00', end: '17:00', timeZone: 'America/New_York' }] };

function closed(decision: WindowDecision) {
  if (decision.open) throw new Error('expected the window to be closed');
  return decision;
}
const nextOf = (schedule: WindowSchedule, now: string) => closed(windowDecision(schedule, at(now))).nextOpensAt?.toISOString() ?? null;
const isOpen = (schedule: WindowSchedule, now: string) => windowDecision(schedule, at(now)).open;

describe('deployment window', () => {
  describe('no window', () => {
    it('given an entry without windows or freezes, when asked at any time, then it is open', () => {
      expect(windowDecision({}, at('2026-01-10T03:17:00Z'))).toEqual({ open: true });
      expect(windowDecision({ windows: [] }, at('2026-01-11T23:59:59Z'))).toEqual({ open: true });
    });

    it('given no windows but a freeze covering now, when asked, then it is frozen until the freeze ends', () => {
      const decision = closed(windowDecision({ freezes: [{ from: '2026-12-20T00:00:00Z', to: '2027-01-04T00:00:00Z', reason: 'year-end freeze' }] }, at('2026-12-24T10:00:00Z')));
      expect(decision).toMatchObject({ reason: 'freeze', nextOpensAt: at('2027-01-04T00:00:00Z'), freeze: { reason: 'year-end freeze' } });
      expect(decision.message).toBe('deployments are frozen until 2027-01-04T00:00:00.000Z (year-end freeze); next window opens 2027-01-04T00:00:00.000Z');
    });

    it('given a freeze, when now is exactly its end, then it is open again (the end is exclusive)', () => {
      expect(isOpen({ freezes: [{ from: '2026-12-20T00:00:00Z', to: '2027-01-04T00:00:00Z', reason: 'r' }] }, '2027-01-04T00:00:00Z')).toBe(true);
    });
  });

  describe('Europe/Berlin across the March DST change', () => {
    it('given weekday office hours, when asked on the Saturday before the change, then the next window opens Monday 09:00 CEST (07:00Z)', () => {
      const decision = closed(windowDecision(berlinOffice, at('2026-03-28T12:00:00Z')));
      expect(decision.reason).toBe('outside-window');
      expect(decision.nextOpensAt).toEqual(at('2026-03-30T07:00:00Z'));
      expect(decision.message).toBe('outside the deployment window; next window opens 2026-03-30T07:00:00.000Z (Mon 2026-03-30 09:00 Europe/Berlin)');
    });

    it('given the same hours a week earlier, when asked, then Monday 09:00 is still CET (08:00Z)', () => {
      expect(nextOf(berlinOffice, '2026-03-21T12:00:00Z')).toBe('2026-03-23T08:00:00.000Z');
    });

    it('given a Sunday window starting in the skipped hour (02:30), when asked before the change, then it opens when the clocks jump to 03:00 CEST', () => {
      const night: WindowSchedule = { windows: [{ days: ['sun'], start: '02:30', end: '04:00', timeZone: 'Europe/Berlin' }] };
      expect(nextOf(night, '2026-03-29T00:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
      expect(isOpen(night, '2026-03-29T01:30:00Z')).toBe(true);
      expect(isOpen(night, '2026-03-29T02:00:00Z')).toBe(false); // 04:00 CEST
    });

    it('given a window in the repeated hour of the October change, when asked during the second 02:30, then it is open', () => {
      const night: WindowSchedule = { windows: [{ days: ['sun'], start: '02:00', end: '03:00', timeZone: 'Europe/Berlin' }] };
      expect(isOpen(night, '2026-10-25T00:30:00Z')).toBe(true); // 02:30 CEST
      expect(isOpen(night, '2026-10-25T01:30:00Z')).toBe(true); // 02:30 CET
      expect(isOpen(night, '2026-10-25T02:00:00Z')).toBe(false); // 03:00 CET
    });
  });

  describe('America/New_York', () => {
    it('given weekday office hours, when asked after Friday 17:00 EST, then the next window opens Monday 09:00 EDT (13:00Z)', () => {
      const decision = closed(windowDecision(newYorkOffice, at('2026-03-06T22:30:00Z')));
      expect(decision.nextOpensAt).toEqual(at('2026-03-09T13:00:00Z'));
      expect(decision.message).toContain('(Mon 2026-03-09 09:00 America/New_York)');
    });

    it('given office hours, when asked a minute before and at 09:00 EDT, then it is closed then open', () => {
      expect(isOpen(newYorkOffice, '2026-03-09T12:59:59Z')).toBe(false);
      expect(isOpen(newYorkOffice, '2026-03-09T13:00:00Z')).toBe(true);
      expect(isOpen(newYorkOffice, '2026-03-09T20:59:00Z')).toBe(true);
      expect(isOpen(newYorkOffice, '2026-03-09T21:00:00Z')).toBe(false);
    });
  });

  describe('a window crossing midnight', () => {
    const fridayNight: WindowSchedule = { windows: [{ days: ['fri'], start: '22:00', end: '02:00', timeZone: 'Europe/Berlin' }] };

    it('given Friday 22:00-02:00, when asked Saturday 01:30 local, then it is open (the window belongs to Friday)', () => {
      expect(isOpen(fridayNight, '2026-01-10T00:30:00Z')).toBe(true);
      expect(isOpen(fridayNight, '2026-01-09T21:00:00Z')).toBe(true);
    });

    it('given Friday 22:00-02:00, when asked Saturday 02:00 local, then the next opening is the following Friday 22:00', () => {
      expect(nextOf(fridayNight, '2026-01-10T01:00:00Z')).toBe('2026-01-16T21:00:00.000Z');
    });

    it('given Friday 22:00-02:00, when asked Friday 01:30 local (after Thursday, not listed), then it opens Friday 22:00', () => {
      expect(nextOf(fridayNight, '2026-01-09T00:30:00Z')).toBe('2026-01-09T21:00:00.000Z');
    });

    it('given a whole-day window ending 24:00, when asked at 23:59, then it is open', () => {
      expect(isOpen({ windows: [{ days: ['sat'], start: '00:00', end: '24:00', timeZone: 'UTC' }] }, '2026-01-10T23:59:00Z')).toBe(true);
    });
  });

  describe('several windows', () => {
    it('given Monday mornings in Berlin and New York, when Berlin closed, then the New York window is next and is named', () => {
      const both: WindowSchedule = {
        windows: [
          { days: ['mon'], start: '09:00', end: '11:00', timeZone: 'Europe/Berlin' },
          { days: ['mon'], start: '09:00', end: '11:00', timeZone: 'America/New_York' },
        ],
      };
      expect(isOpen(both, '2026-01-12T09:00:00Z')).toBe(true);
      const decision = closed(windowDecision(both, at('2026-01-12T11:00:00Z')));
      expect(decision.message).toBe('outside the deployment window; next window opens 2026-01-12T14:00:00.000Z (Mon 2026-01-12 09:00 America/New_York)');
    });
  });

  describe('freezes', () => {
    const daily: WindowSchedule['windows'] = [{ days: everyDay, start: '09:00', end: '17:00', timeZone: 'UTC' }];

    it('given a freeze inside an open window, when asked during it, then the next opening is the instant the freeze ends', () => {
      const decision = closed(windowDecision({ windows: daily, freezes: [{ from: '2026-01-12T10:00:00Z', to: '2026-01-12T12:30:30Z', reason: 'incident 42' }] }, at('2026-01-12T11:00:00Z')));
      expect(decision).toMatchObject({ reason: 'freeze', nextOpensAt: at('2026-01-12T12:30:30Z') });
      expect(decision.message).toBe('deployments are frozen until 2026-01-12T12:30:30.000Z (incident 42); next window opens 2026-01-12T12:30:30.000Z (Mon 2026-01-12 12:30 UTC)');
    });

    it('given a freeze lasting past the window, when asked during it, then the next opening is the next day window', () => {
      expect(nextOf({ windows: daily, freezes: [{ from: '2026-01-12T10:00:00Z', to: '2026-01-12T18:00:00Z', reason: 'r' }] }, '2026-01-12T11:00:00Z')).toBe('2026-01-13T09:00:00.000Z');
    });

    it('given overlapping freezes, when asked during the first, then the next opening waits for the last to end', () => {
      const freezes = [
        { from: '2026-01-12T10:00:00Z', to: '2026-01-12T12:00:00Z', reason: 'a' },
        { from: '2026-01-12T11:30:00Z', to: '2026-01-12T14:00:00Z', reason: 'b' },
      ];
      expect(nextOf({ windows: daily, freezes }, '2026-01-12T10:15:00Z')).toBe('2026-01-12T14:00:00.000Z');
    });

    it('given a freeze covering the start of the next window, when asked before the window, then it opens when the freeze ends', () => {
      const decision = closed(windowDecision({ windows: daily, freezes: [{ from: '2026-01-12T08:30:00Z', to: '2026-01-12T09:30:00Z', reason: 'r' }] }, at('2026-01-12T08:00:00Z')));
      expect(decision).toMatchObject({ reason: 'outside-window', nextOpensAt: at('2026-01-12T09:30:00Z') });
    });
  });

  describe('horizon', () => {
    const longFreeze: WindowSchedule = { windows: berlinOffice.windows, freezes: [{ from: '2026-12-01T00:00:00Z', to: '2027-01-04T00:00:00Z', reason: 'year-end freeze' }] };

    it('given a freeze longer than the horizon, when asked, then nextOpensAt is null and the message says so', () => {
      const decision = closed(windowDecision(longFreeze, at('2026-12-10T10:00:00Z')));
      expect(decision.nextOpensAt).toBeNull();
      expect(decision.message).toBe('deployments are frozen until 2027-01-04T00:00:00.000Z (year-end freeze); no window opens within the next 14 days');
    });

    it('given a longer horizon, when asked, then the first window after the freeze is found', () => {
      const decision = closed(windowDecision(longFreeze, at('2026-12-10T10:00:00Z'), { horizonDays: 40 }));
      expect(decision.nextOpensAt).toEqual(at('2027-01-04T08:00:00Z'));
    });

    it('given a window on no reachable day, when asked, then the whole horizon is scanned quickly', () => {
      const started = Date.now();
      expect(closed(windowDecision({ windows: berlinOffice.windows, freezes: [{ from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z', reason: 'r' }] }, at('2026-01-02T00:00:00Z'), { horizonDays: 14 })).nextOpensAt).toBeNull();
      expect(closed(windowDecision({ windows: [{ days: ['sun'], start: '00:00', end: '00:01', timeZone: 'Asia/Kathmandu' }] }, at('2026-01-05T00:00:00Z'), { horizonDays: 5 })).nextOpensAt).toBeNull();
      expect(Date.now() - started).toBeLessThan(1_000);
    });
  });

  describe('assertWindowOpen', () => {
    it('given an open window, when asserted, then nothing is thrown', () => {
      expect(() => assertWindowOpen(berlinOffice, at('2026-11-23T08:00:00Z'))).not.toThrow();
    });

    it('given a closed window, when asserted, then 409 release.outside-window names the next opening in ISO and local time', () => {
      const error = catchError(() => assertWindowOpen(berlinOffice, at('2026-11-22T12:00:00Z')));
      expect(error).toBeInstanceOf(IllegalStateError);
      expect(error).toMatchObject({ code: 'release.outside-window', httpStatus: 409, details: { nextOpensAt: '2026-11-23T08:00:00.000Z' } });
      expect(error.message).toBe('outside the deployment window; next window opens 2026-11-23T08:00:00.000Z (Mon 2026-11-23 09:00 Europe/Berlin)');
    });

    it('given a freeze, when asserted, then 409 release.frozen carries the freeze and the next opening', () => {
      const freeze = { from: '2026-11-23T00:00:00Z', to: '2026-11-24T00:00:00Z', reason: 'customer event' };
      const error = catchError(() => assertWindowOpen({ ...berlinOffice, freezes: [freeze] }, at('2026-11-23T10:00:00Z')));
      expect(error).toMatchObject({ code: 'release.frozen', httpStatus: 409, details: { nextOpensAt: '2026-11-24T08:00:00.000Z', freeze } });
    });

    it('given a schedule that was never validated, when asserted, then it fails loudly instead of opening', () => {
      expect(() => assertWindowOpen({ windows: [{ days: ['mon'], start: '9am', end: '17:00', timeZone: 'UTC' }] }, at('2026-01-12T10:00:00Z'))).toThrow(ValidationError);
    });
  });

  describe('helpers', () => {
    it('given clock texts, when parsed, then HH:MM becomes minutes and 24:00 only counts as an end', () => {
      expect(parseClock('09:30')).toBe(570);
      expect(parseClock('24:00')).toBeNull();
      expect(parseClock('24:00', { asEnd: true })).toBe(1440);
      expect(parseClock('24:01', { asEnd: true })).toBeNull();
      expect(parseClock('9:30')).toBeNull();
    });

    it('given zone names, when canonicalised, then known zones get their IANA spelling and unknown ones null', () => {
      expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
      expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeNull();
    });
  });
});

function catchError(run: () => void): IllegalStateError {
  try {
    run();
  } catch (error) {
    return error as IllegalStateError;
  }
  throw new Error('expected an error');
}
