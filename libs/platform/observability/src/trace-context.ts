import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor } from '@delivery/contracts';
import { randomHex } from './random-pool';

// DESIGN §6: the trace of the message (or request) being handled, carried by AsyncLocalStorage so that every
// message published while handling it inherits traceId and sets causationId to the message that caused it.
export interface TraceContext {
  traceId: string;
  /** W3C parent-id of the current span: 16 lowercase hex */
  spanId: string;
  tenantId?: string;
  projectId?: string;
  /** id of the envelope being handled: becomes causationId of what is published */
  causationId?: string | null;
  correlationId?: string;
  actor?: Actor;
}

const storage = new AsyncLocalStorage<TraceContext>();

export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

export function runWithTrace<T>(context: TraceContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function newTraceId(): string {
  return randomHex(16);
}

export function newSpanId(): string {
  return randomHex(8);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function formatTraceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

/** Parses a W3C traceparent header; invalid or all-zero ids yield undefined (the caller starts a new trace). */
export function parseTraceparent(header: string | undefined | null): { traceId: string; spanId: string } | undefined {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, traceId, spanId] = match as unknown as [string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId };
}
