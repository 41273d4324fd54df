import { isUtf8 } from 'node:buffer';
import { MAX_ENVELOPE_BYTES, validateEnvelope, type Envelope } from '@delivery/contracts';

export type DecodeFailureCode = 'too-large' | 'not-json' | 'schema' | 'unknown-type';

export type DecodeResult =
  | { ok: true; envelope: Envelope }
  | { ok: false; code: DecodeFailureCode; reason: string; parsed?: unknown };

const encoder = new TextEncoder();

// Every edge decodes through here: size first (cheap), then JSON, then the envelope and payload schemas.
export function decodeEnvelope(data: Uint8Array, maxBytes = MAX_ENVELOPE_BYTES): DecodeResult {
  if (data.byteLength > maxBytes) {
    return { ok: false, code: 'too-large', reason: `message is ${data.byteLength} bytes; the limit is ${maxBytes}` };
  }
  // isUtf8 + toString: a native check, cheaper per message than a fatal TextDecoder.
  if (!isUtf8(data)) return { ok: false, code: 'not-json', reason: 'not a UTF-8 JSON document: invalid UTF-8 bytes' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (error) {
    return { ok: false, code: 'not-json', reason: `not a UTF-8 JSON document: ${(error as Error).message}` };
  }
  const result = validateEnvelope(parsed);
  if (!result.ok) return { ok: false, code: result.code as DecodeFailureCode, reason: result.reason, parsed };
  return { ok: true, envelope: result.value };
}

export function encodeEnvelope(envelope: Envelope, maxBytes = MAX_ENVELOPE_BYTES): Uint8Array {
  const validation = validateEnvelope(envelope);
  if (!validation.ok) throw new EnvelopeRejectedError(validation.code, validation.reason);
  const bytes = encoder.encode(JSON.stringify(envelope));
  if (bytes.byteLength > maxBytes) throw new EnvelopeRejectedError('too-large', `${envelope.type} is ${bytes.byteLength} bytes; the limit is ${maxBytes}`);
  return bytes;
}

export class EnvelopeRejectedError extends Error {
  constructor(
    readonly code: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'EnvelopeRejectedError';
  }
}
