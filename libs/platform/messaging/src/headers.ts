import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { formatTraceparent, newSpanId, currentTrace } from '@delivery/observability';
import type { Envelope } from '@delivery/contracts';

export const MSG_ID_HEADER = 'Nats-Msg-Id';
export const TRACEPARENT_HEADER = 'traceparent';

// Nats-Msg-Id = envelope id gives JetStream's duplicate window the producer half of exactly-once;
// traceparent lets non-platform tooling (and NATS tracing) follow the same trace as the envelope.
export function envelopeHeaders(envelope: Envelope, msgId: string = envelope.id): MsgHdrs {
  const h = natsHeaders();
  h.set(MSG_ID_HEADER, msgId);
  const spanId = currentTrace()?.traceId === envelope.traceId ? (currentTrace()?.spanId ?? newSpanId()) : newSpanId();
  h.set(TRACEPARENT_HEADER, formatTraceparent(envelope.traceId, spanId));
  return h;
}
