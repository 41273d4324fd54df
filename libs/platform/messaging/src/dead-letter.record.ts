import type { DeadLetterRecordShape, Envelope } from '@delivery/contracts';

// What the dead-letter stream holds for each message the platform could not handle: the envelope (or the raw
// bytes when there was no valid envelope), the reason, and where it came from. The schema lives in contracts
// (operator tooling in any language reads it); here it is narrowed to what the platform writes.
export type DeadLetterRecord = Omit<DeadLetterRecordShape, 'envelope'> & { envelope: Envelope | Record<string, unknown> | null };

// The dead-letter stream keeps up to this many original bytes (a NATS message is capped at 1 MiB by default);
// a larger message stays in its own stream at `stream`/`streamSeq`.
export const MAX_RAW_BYTES = 512 * 1024;

export interface DeadLetterSummary {
  seq: number;
  subject: string;
  service: string;
  type: string;
  envelopeId: string | null;
  traceId: string | null;
  tenantId: string | null;
  error: { code: string; message: string };
  deliveries: number;
  consumer: string;
  deadLetteredAt: string;
}

export interface DeadLetter extends DeadLetterSummary {
  record: DeadLetterRecord;
}

export function envelopeField(record: DeadLetterRecord, field: 'id' | 'traceId' | 'tenantId' | 'type'): string | null {
  const value = record.envelope ? (record.envelope as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : null;
}

export function summarize(seq: number, subject: string, record: DeadLetterRecord): DeadLetterSummary {
  const [, , service = record.service, type = 'unknown'] = subject.split('.');
  return {
    seq,
    subject,
    service,
    type,
    envelopeId: envelopeField(record, 'id'),
    traceId: envelopeField(record, 'traceId'),
    tenantId: envelopeField(record, 'tenantId'),
    error: record.error,
    deliveries: record.deliveries,
    consumer: record.consumer,
    deadLetteredAt: record.deadLetteredAt,
  };
}
