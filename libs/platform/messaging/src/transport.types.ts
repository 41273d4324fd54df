// What the transport needs from its host, kept narrow so the library does not pick a logger or metrics backend.
export interface MessagingLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type HandlerOutcome = 'ack' | 'nak' | 'dead_letter' | 'duplicate' | 'skipped';

export interface TransportMetrics {
  handled(labels: { service: string; type: string; outcome: HandlerOutcome }, seconds: number): void;
  deadLettered(labels: { service: string; type: string; reason: string }): void;
}

export const silentLogger: MessagingLogger = { debug() {}, info() {}, warn() {}, error() {} };
export const noMetrics: TransportMetrics = { handled() {}, deadLettered() {} };

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 60_000 };

/** Exponential backoff with ±20% jitter so redeliveries of a burst do not arrive in lockstep. */
export function backoffDelay(deliveries: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  const exp = Math.min(backoff.initialMs * 2 ** Math.max(deliveries - 1, 0), backoff.maxMs);
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}
