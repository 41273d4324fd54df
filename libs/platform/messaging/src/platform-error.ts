// Coded errors shared by every context (DESIGN §6): one mapping to an HTTP status and to what the transport
// does with the message (ack / nak with backoff / dead letter). Contexts subclass these with their own codes.
export type Disposition = 'retry' | 'reject';

export abstract class PlatformError extends Error {
  abstract readonly httpStatus: number;
  abstract readonly disposition: Disposition;
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input can never succeed as sent: 400 / dead letter. */
export class ValidationError extends PlatformError {
  readonly httpStatus = 400;
  readonly disposition = 'reject' as const;
}

/** The input is well formed but the aggregate's state forbids it: 409 / dead letter. */
export class IllegalStateError extends PlatformError {
  readonly httpStatus = 409;
  readonly disposition = 'reject' as const;
}

export class NotFoundError extends PlatformError {
  readonly httpStatus = 404;
  readonly disposition = 'reject' as const;
}

export class ForbiddenError extends PlatformError {
  readonly httpStatus = 403;
  readonly disposition = 'reject' as const;
}

/** A lost race (optimistic concurrency): 409 over HTTP, retried on the bus with fresh state. */
export class ConcurrencyError extends PlatformError {
  readonly httpStatus = 409;
  readonly disposition = 'retry' as const;
}

/** A dependency is down or slow: 503 / nak with backoff, dead letter on the last allowed delivery. */
export class TransientError extends PlatformError {
  readonly httpStatus = 503;
  readonly disposition = 'retry' as const;
}

// Errors we did not code (a driver error, a bug) are retried: the last delivery dead-letters them with their message.
export function dispositionOf(error: unknown): Disposition {
  // A lost optimistic-concurrency race (WrongExpectedVersionError) is retried like any uncoded error.
  return error instanceof PlatformError ? error.disposition : 'retry';
}

export function httpStatusOf(error: unknown): number {
  if (error instanceof PlatformError) return error.httpStatus;
  if (isNamed(error, 'WrongExpectedVersionError')) return 409;
  return 500;
}

export function errorCodeOf(error: unknown): string {
  if (error instanceof PlatformError) return error.code;
  if (error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string') return (error as { code: string }).code;
  return 'handler-error';
}

export function errorMessageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/**
 * A dependency failed in a way retrying will not fix by itself (a damaged repository, a read-only disk):
 * 503 / dead letter, so that an operator replays the message once it is fixed.
 */
export class DependencyError extends PlatformError {
  readonly httpStatus = 503;
  readonly disposition = 'reject' as const;
}
