import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatTraceparent, newSpanId, newTraceId, parseTraceparent, runWithTrace, type TraceContext } from './trace-context';

export const TRACEPARENT_HEADER = 'traceparent';

// DESIGN §6: a request joins the caller's trace (W3C traceparent) or starts one; everything the request does,
// logs and published messages included, runs inside that trace. The response names the request's span.
export function httpTrace(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const raw = req.headers[TRACEPARENT_HEADER];
  const parent = parseTraceparent(Array.isArray(raw) ? raw[0] : raw);
  const context: TraceContext = { traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId() };
  res.setHeader(TRACEPARENT_HEADER, formatTraceparent(context.traceId, context.spanId));
  runWithTrace(context, next);
}

@Injectable()
export class HttpTraceMiddleware implements NestMiddleware {
  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    httpTrace(req, res, next);
  }
}
