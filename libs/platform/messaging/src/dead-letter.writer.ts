import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { BusNames } from '@delivery/contracts';
import { MAX_RAW_BYTES, type DeadLetterRecord } from './dead-letter.record';
import { MSG_ID_HEADER, TRACEPARENT_HEADER } from './headers';

export interface FailedMessage {
  data: Uint8Array;
  subject: string;
  stream: string;
  streamSeq: number;
  headers?: MsgHdrs;
}

export interface DeadLetterContext {
  service: string;
  consumer: string;
  deliveries: number;
  error: { code: string; message: string };
  /** the message decoded as far as it went: an object keeps its fields, anything else keeps the raw bytes */
  parsed?: unknown;
}

const encoder = new TextEncoder();

export function deadLetterType(parsed: unknown): string {
  const type = isObject(parsed) ? parsed.type : undefined;
  return typeof type === 'string' && /^[A-Za-z0-9]{1,100}$/.test(type) ? type : 'unknown';
}

// Stores one dead letter. Its msgId is derived from where the message sits (stream, sequence, consumer), so a
// retry after a crash, or the settlement and the max-deliveries sweeper racing, store it once.
export async function writeDeadLetter(js: JetStreamClient, names: BusNames, message: FailedMessage, context: DeadLetterContext): Promise<void> {
  const envelope = isObject(context.parsed) ? context.parsed : null;
  const record: DeadLetterRecord = {
    envelope: envelope as DeadLetterRecord['envelope'],
    rawBase64: envelope || message.data.byteLength > MAX_RAW_BYTES ? null : Buffer.from(message.data).toString('base64'),
    rawBytes: message.data.byteLength,
    error: context.error,
    deliveries: context.deliveries,
    service: context.service,
    consumer: context.consumer,
    stream: message.stream,
    streamSeq: message.streamSeq,
    subject: message.subject,
    deadLetteredAt: new Date().toISOString(),
  };
  let bytes = encoder.encode(JSON.stringify(record));
  if (bytes.byteLength > MAX_RAW_BYTES + 64 * 1024) {
    // An oversized envelope: keep the reason and where to find the original, not its bytes.
    bytes = encoder.encode(JSON.stringify({ ...record, envelope: null, rawBase64: null }));
  }
  const headers = natsHeaders();
  headers.set(MSG_ID_HEADER, `dlq:${message.stream}:${message.streamSeq}:${context.consumer}`);
  const traceparent = message.headers?.get(TRACEPARENT_HEADER);
  if (traceparent) headers.set(TRACEPARENT_HEADER, traceparent);
  await js.publish(names.deadLetterSubject(context.service, deadLetterType(context.parsed)), bytes, { headers });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
