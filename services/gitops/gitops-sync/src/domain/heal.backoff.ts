// Self-heal backoff per (revision, drift signature): the first heal 2 s after the drift is seen, then 6 s, 18 s …
// (×3) after each attempt, capped at 300 s. Counters reset on a new revision, and after HEALTHY_COOLDOWN_MS of no
// drift and Healthy: a drift that comes back sooner (flapping) continues its backoff instead of starting over.
// Pure, JSON-serializable data (ISO timestamps) so the service can keep it in a Postgres jsonb column.

export interface HealEntry {
  signature: string;
  /** heal applies made for this drift */
  attempts: number;
  firstSeenAt: string;
  lastAttemptAt: string | null;
}
export interface HealTracker {
  revision: string | null;
  entries: HealEntry[];
  /** since when the application has had no drift and been Healthy; null while drifting or not Healthy */
  healthySince: string | null;
}

export const FIRST_HEAL_DELAY_MS = 2_000;
export const HEAL_BACKOFF_FACTOR = 3;
export const MAX_HEAL_DELAY_MS = 300_000;
export const HEALTHY_COOLDOWN_MS = 5 * 60_000;
// a bound on distinct signatures kept per revision (the oldest go first)
const MAX_ENTRIES = 20;

export function initialHealTracker(revision: string | null = null): HealTracker {
  return { revision, entries: [], healthySince: null };
}

/** The wait before the next heal after `attempts` heals: 2 s, 6 s, 18 s, 54 s, 162 s, then 300 s. */
export function healDelayMs(attempts: number): number {
  return Math.min(FIRST_HEAL_DELAY_MS * HEAL_BACKOFF_FACTOR ** Math.max(0, attempts), MAX_HEAL_DELAY_MS);
}

/** A new revision starts every counter over. */
export function resetHealTracker(revision: string | null): HealTracker {
  return initialHealTracker(revision);
}

/** The drift is (still) there: start its counter if it is new; a revision change resets the tracker first. */
export function noteDrift(tracker: HealTracker, revision: string, signature: string, now: Date): HealTracker {
  const base = tracker.revision === revision ? tracker : resetHealTracker(revision);
  if (base.entries.some((e) => e.signature === signature)) return { ...base, healthySince: null };
  const entries = [...base.entries, { signature, attempts: 0, firstSeenAt: now.toISOString(), lastAttemptAt: null }].slice(-MAX_ENTRIES);
  return { ...base, entries, healthySince: null };
}

export function recordHealAttempt(tracker: HealTracker, revision: string, signature: string, now: Date): HealTracker {
  const noted = noteDrift(tracker, revision, signature, now);
  return { ...noted, entries: noted.entries.map((e) => (e.signature === signature ? { ...e, attempts: e.attempts + 1, lastAttemptAt: now.toISOString() } : e)) };
}

/** When the next heal of this drift is due; null for a drift the tracker has not noted (for this revision). */
export function nextHealAt(tracker: HealTracker, revision: string, signature: string): Date | null {
  const entry = tracker.revision === revision ? tracker.entries.find((e) => e.signature === signature) : undefined;
  if (!entry) return null;
  return new Date(Date.parse(entry.lastAttemptAt ?? entry.firstSeenAt) + healDelayMs(entry.attempts));
}

export function healAttemptsOf(tracker: HealTracker, revision: string, signature: string): number {
  return tracker.revision === revision ? (tracker.entries.find((e) => e.signature === signature)?.attempts ?? 0) : 0;
}

/** No drift and Healthy at `now`: after the cooldown the counters reset. */
export function noteHealthy(tracker: HealTracker, now: Date): HealTracker {
  const since = tracker.healthySince ?? now.toISOString();
  if (now.getTime() - Date.parse(since) >= HEALTHY_COOLDOWN_MS) return { ...tracker, entries: [], healthySince: since };
  return { ...tracker, healthySince: since };
}

/** No drift but not Healthy (Progressing, say): the cooldown has not started. */
export function noteNotHealthy(tracker: HealTracker): HealTracker {
  return tracker.healthySince === null ? tracker : { ...tracker, healthySince: null };
}
