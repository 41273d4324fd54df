import { createHash } from 'node:crypto';
import type { Actor, BusNames, Envelope } from '@delivery/contracts';
import type { DeadLetterRecord } from '@delivery/messaging';

// One row of the lineage read model: an envelope seen on any stream, or a dead letter of an envelope that
// carried a traceId. Pure mapping, no I/O: the handler, the dead-letter consumer and the controller share it.
export type LineageKind = 'command' | 'event' | 'dead-letter';

export interface DeadLetterDetails {
  /** sequence in the dead-letter stream: what the dead-letter API and CLI take */
  seq: number;
  envelopeId: string | null;
  error: { code: string; message: string };
  service: string;
  consumer: string;
  deliveries: number;
  originalSubject: string;
  originalStream: string;
  originalSeq: number;
}

export interface LineageEntry {
  /** the envelope id; for a dead letter, a stable id derived from its place in the dead-letter stream */
  id: string;
  traceId: string;
  type: string;
  kind: LineageKind;
  source: string;
  tenantId: string;
  projectId: string | null;
  causationId: string | null;
  correlationId: string | null;
  actor: Actor | null;
  occurredAt: string;
  subject: string;
  stream: string;
  streamSeq: number;
  payload: unknown;
  deadLetter: DeadLetterDetails | null;
}

export interface RecordedLineageEntry extends LineageEntry {
  recordedAt: string;
}

/** What the API returns: the entry plus a link to the entry that caused it, when that one is in the story. */
export interface LinkedLineageEntry extends RecordedLineageEntry {
  causedBy: string | null;
}

export interface StreamPosition {
  subject: string;
  stream: string;
  seq: number;
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TYPE = /^[A-Za-z0-9]{1,100}$/;

export function isTraceId(value: string): boolean {
  return TRACE_ID.test(value);
}

export function envelopeEntry(envelope: Envelope, at: StreamPosition): LineageEntry {
  return {
    id: envelope.id,
    traceId: envelope.traceId,
    type: envelope.type,
    kind: envelope.kind,
    source: envelope.source,
    tenantId: envelope.tenantId,
    projectId: envelope.projectId,
    causationId: envelope.causationId,
    correlationId: envelope.correlationId,
    actor: envelope.actor,
    occurredAt: envelope.occurredAt,
    subject: at.subject,
    stream: at.stream,
    streamSeq: at.seq,
    payload: envelope.payload,
    deadLetter: null,
  };
}

// A dead letter joins the story of its envelope's trace. Its envelope may be invalid (that may be why it is
// here), so every field is checked; without a readable traceId and tenant there is no story to join.
export function deadLetterEntry(record: DeadLetterRecord, at: StreamPosition, names: BusNames): LineageEntry | undefined {
  const envelope: Record<string, unknown> = isObject(record.envelope) ? record.envelope : {};
  const traceId = matching(envelope.traceId, TRACE_ID);
  const original = typeof record.subject === 'string' ? names.parseSubject(record.subject) : undefined;
  const tenantId = matching(envelope.tenantId, SLUG) ?? original?.tenantId;
  if (!traceId || !tenantId) return undefined;
  const envelopeId = matching(envelope.id, UUID);
  const deadLetteredAt = typeof record.deadLetteredAt === 'string' && !Number.isNaN(Date.parse(record.deadLetteredAt)) ? record.deadLetteredAt : new Date().toISOString();
  return {
    id: nameBasedUuid(`dead-letter:${at.stream}:${at.seq}`),
    traceId,
    type: matching(envelope.type, TYPE) ?? original?.type ?? 'unknown',
    kind: 'dead-letter',
    source: String(record.service ?? 'unknown'),
    tenantId,
    projectId: matching(envelope.projectId, SLUG) ?? null,
    // The failed envelope caused the dead letter: the story links them.
    causationId: envelopeId ?? null,
    correlationId: typeof envelope.correlationId === 'string' ? envelope.correlationId.slice(0, 200) : null,
    actor: actorOf(envelope.actor),
    occurredAt: deadLetteredAt,
    subject: at.subject,
    stream: at.stream,
    streamSeq: at.seq,
    payload: 'payload' in envelope ? envelope.payload : null,
    deadLetter: {
      seq: at.seq,
      envelopeId: envelopeId ?? null,
      error: { code: String(record.error?.code ?? 'unknown'), message: String(record.error?.message ?? '') },
      service: String(record.service ?? 'unknown'),
      consumer: String(record.consumer ?? 'unknown'),
      deliveries: Number(record.deliveries) || 0,
      originalSubject: String(record.subject ?? ''),
      originalStream: String(record.stream ?? ''),
      originalSeq: Number(record.streamSeq) || 0,
    },
  };
}

/** Adds causedBy: the causing entry's id when that entry is part of the same (visible) story. */
export function linkCausation(entries: RecordedLineageEntry[]): LinkedLineageEntry[] {
  const ids = new Set(entries.map((e) => e.id));
  return entries.map((entry) => ({ ...entry, causedBy: entry.causationId && ids.has(entry.causationId) ? entry.causationId : null }));
}

// RFC 9562 name-based (SHA-1, version 5 layout) id: a redelivered dead letter maps to the same row.
export function nameBasedUuid(name: string): string {
  const bytes = createHash('sha1').update(name).digest().subarray(0, 16);
  bytes[6] = 0x50 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function actorOf(value: unknown): Actor | null {
  if (!isObject(value)) return null;
  const { kind, id } = value;
  if ((kind === 'agent' || kind === 'user' || kind === 'service') && typeof id === 'string' && id) return { kind, id: id.slice(0, 200) };
  return null;
}

function matching(value: unknown, pattern: RegExp): string | undefined {
  return typeof value === 'string' && pattern.test(value) ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
