import { IllegalStateError, ValidationError } from '@delivery/messaging';

// Deployment windows and freezes of one environment (issue 4). Pure: the caller passes `now`, time zones come from
// Intl (the ICU tz database Node ships), so "09:00 Europe/Berlin" follows the DST changes without a library.

// Indexed like Date#getUTCDay (0 = Sunday).
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A weekly allow window in local time; `end` before `start` crosses midnight and belongs to the day it starts. */
export interface DeploymentWindow {
  days: Weekday[];
  /** HH:MM, inclusive */
  start: string;
  /** HH:MM, exclusive; 24:00 means until midnight */
  end: string;
  /** IANA time zone, e.g. Europe/Berlin */
  timeZone: string;
}

/** No deployment from `from` (inclusive) to `to` (exclusive), whatever the windows say. */
export interface Freeze {
  from: string;
  to: string;
  reason: string;
}

/** What an approval policy entry says about when deployments may happen; no windows means any time. */
export interface WindowSchedule {
  windows?: DeploymentWindow[];
  freezes?: Freeze[];
}

export type WindowDecision =
  | { open: true }
  | { open: false; reason: 'outside-window' | 'freeze'; nextOpensAt: Date | null; message: string; freeze?: Freeze };

export interface WindowOptions {
  /** how far ahead to look for the next opening; 14 days unless told */
  horizonDays?: number;
}

export const DEFAULT_HORIZON_DAYS = 14;
const MINUTE = 60_000;
// Offsets are looked up once per quarter hour: no zone changes its offset twice within 15 minutes, so equal offsets
// at both ends of a bucket mean none in between; a bucket holding a transition is resolved minute by minute.
const BUCKET = 15 * MINUTE;

/** Minutes since midnight for `HH:MM` (00:00–23:59, and 24:00 when it is an end), or null. */
export function parseClock(text: string, { asEnd = false } = {}): number | null {
  const match = /^([01][0-9]|2[0-4]):([0-5][0-9])$/.exec(text);
  if (!match) return null;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  if (minutes > 24 * 60 || (minutes === 24 * 60 && !asEnd)) return null;
  return minutes;
}

/** The canonical IANA name Intl knows the zone by (europe/berlin → Europe/Berlin), or null when unknown. */
export function canonicalTimeZone(timeZone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export function windowDecision(schedule: WindowSchedule, now: Date, options: WindowOptions = {}): WindowDecision {
  const compiled = compile(schedule);
  const at = now.getTime();
  const freeze = coveringFreeze(compiled, at);
  if (!freeze && inWindow(compiled, at)) return { open: true };

  const horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  const next = nextOpening(compiled, at, at + horizonDays * 24 * 60 * MINUTE);
  const nextOpensAt = next === null ? null : new Date(next);
  const opening = nextOpensAt ? `next window opens ${describeInstant(compiled, nextOpensAt)}` : `no window opens within the next ${horizonDays} days`;
  if (freeze) {
    const { from, to, reason } = freeze.source;
    return { open: false, reason: 'freeze', nextOpensAt, freeze: { from, to, reason }, message: `deployments are frozen until ${new Date(freeze.to).toISOString()} (${reason}); ${opening}` };
  }
  return { open: false, reason: 'outside-window', nextOpensAt, message: `outside the deployment window; ${opening}` };
}

/** Throws 409 (release.outside-window or release.frozen) naming the next opening, unless deployments may go now. */
export function assertWindowOpen(schedule: WindowSchedule, now: Date, options: WindowOptions = {}): void {
  const decision = windowDecision(schedule, now, options);
  if (decision.open) return;
  const code = decision.reason === 'freeze' ? 'release.frozen' : 'release.outside-window';
  throw new IllegalStateError(code, decision.message, {
    nextOpensAt: decision.nextOpensAt?.toISOString() ?? null,
    ...(decision.freeze ? { freeze: decision.freeze } : {}),
  });
}

interface CompiledWindow {
  days: ReadonlySet<number>;
  start: number;
  end: number;
  timeZone: string;
  clock: ZoneClock;
}
interface CompiledFreeze {
  from: number;
  to: number;
  source: Freeze;
}
interface Compiled {
  windows: CompiledWindow[];
  freezes: CompiledFreeze[];
}

// Validation happens in parseApprovalPolicy; here a malformed entry fails loudly rather than opening silently.
function compile(schedule: WindowSchedule): Compiled {
  const clocks = new Map<string, ZoneClock>();
  const clockFor = (timeZone: string) => {
    const clock = clocks.get(timeZone) ?? new ZoneClock(timeZone);
    clocks.set(timeZone, clock);
    return clock;
  };
  const windows = (schedule.windows ?? []).map((window) => {
    const start = parseClock(window.start);
    const end = parseClock(window.end, { asEnd: true });
    if (start === null || end === null || start === end || canonicalTimeZone(window.timeZone) === null) {
      throw new ValidationError('approval-policy.invalid', `malformed deployment window ${window.start}-${window.end} ${window.timeZone}`);
    }
    return { days: new Set(window.days.map((day) => WEEKDAYS.indexOf(day))), start, end, timeZone: window.timeZone, clock: clockFor(window.timeZone) };
  });
  const freezes = (schedule.freezes ?? []).map((source) => ({ from: Date.parse(source.from), to: Date.parse(source.to), source }));
  return { windows, freezes };
}

function inWindow(compiled: Compiled, at: number): boolean {
  return compiled.windows.length === 0 || compiled.windows.some((window) => windowOpenAt(window, at));
}

function windowOpenAt(window: CompiledWindow, at: number): boolean {
  const { day, minute } = window.clock.local(at);
  if (window.start < window.end) return window.days.has(day) && minute >= window.start && minute < window.end;
  // crosses midnight: the evening part of a listed day, or the early part of the day after one
  return (window.days.has(day) && minute >= window.start) || (window.days.has((day + 6) % 7) && minute < window.end);
}

// With overlapping freezes, the one lasting longest is the one to wait for.
function coveringFreeze(compiled: Compiled, at: number): CompiledFreeze | undefined {
  let covering: CompiledFreeze | undefined;
  for (const freeze of compiled.freezes) {
    if (freeze.from <= at && at < freeze.to && (!covering || freeze.to > covering.to)) covering = freeze;
  }
  return covering;
}

// Windows open and close on minute boundaries and freezes end at their `to`: those are the only candidates.
function nextOpening(compiled: Compiled, from: number, limit: number): number | null {
  let at = from;
  for (;;) {
    const freeze = coveringFreeze(compiled, at);
    const next = freeze ? freeze.to : nextCandidate(compiled, at);
    if (next > limit) return null;
    at = next;
    if (!coveringFreeze(compiled, at) && inWindow(compiled, at)) return at;
  }
}

function nextCandidate(compiled: Compiled, at: number): number {
  let next = Math.floor(at / MINUTE) * MINUTE + MINUTE;
  for (const freeze of compiled.freezes) if (freeze.to > at && freeze.to < next) next = freeze.to;
  return next;
}

// "2026-11-23T08:00:00.000Z (Mon 2026-11-23 09:00 Europe/Berlin)", in the zone of the window that is open then.
function describeInstant(compiled: Compiled, instant: Date): string {
  const window = compiled.windows.find((candidate) => windowOpenAt(candidate, instant.getTime()));
  if (!window) return instant.toISOString();
  const parts = Object.fromEntries(formatterFor(window.timeZone).formatToParts(instant).map((part) => [part.type, part.value]));
  return `${instant.toISOString()} (${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${window.timeZone})`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    const options = { timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' } as const;
    formatter = new Intl.DateTimeFormat('en-US', options);
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

// Local wall time of one zone, with the UTC offset cached per quarter hour for the length of one decision.
class ZoneClock {
  private readonly offsets = new Map<number, number | null>();
  constructor(private readonly timeZone: string) {}

  local(at: number): { day: number; minute: number } {
    const minuteStart = Math.floor(at / MINUTE) * MINUTE;
    const wall = new Date(minuteStart + this.offsetAt(minuteStart));
    return { day: wall.getUTCDay(), minute: wall.getUTCHours() * 60 + wall.getUTCMinutes() };
  }

  private offsetAt(minuteStart: number): number {
    const bucket = Math.floor(minuteStart / BUCKET);
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      const first = this.measure(bucket * BUCKET);
      offset = first === this.measure(bucket * BUCKET + BUCKET - MINUTE) ? first : null;
      this.offsets.set(bucket, offset);
    }
    return offset ?? this.measure(minuteStart);
  }

  // The wall clock read as if it were UTC, minus the instant: the zone's offset at that minute.
  private measure(minuteStart: number): number {
    const parts = formatterFor(this.timeZone).formatToParts(minuteStart);
    const field = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value);
    return Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute')) - minuteStart;
  }
}
