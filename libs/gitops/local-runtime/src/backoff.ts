// Kubelet-like restart backoff: base delay doubling up to a max, back to the base after a long healthy run.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  resetAfterMs: number;
}

/** The delay before the next restart, given the previous delay (null: first restart) and how long it ran ready. */
export function restartDelay(previousDelayMs: number | null, readyForMs: number, policy: BackoffPolicy): number {
  if (previousDelayMs === null || readyForMs >= policy.resetAfterMs) return policy.baseMs;
  return Math.min(Math.max(previousDelayMs, policy.baseMs) * 2, policy.maxMs);
}

/** Restart times still inside the window (older ones are dropped from the record). */
export function recentRestartTimes(times: number[], now: number, windowMs: number): number[] {
  return times.filter((t) => now - t < windowMs);
}
