import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { EnvelopeSchema, envelopeSchema } from './envelope';
import { catalogue, isMessageType, type MessageType, type PayloadOf } from './catalogue';
import type { MessageDefinition } from './message';
import type { Envelope } from './envelope';

export type ValidationResult<T = Envelope> =
  | { ok: true; value: T }
  | { ok: false; code: 'unknown-type' | 'schema' | 'not-json' | 'too-large'; reason: string };

const ajv = addFormats(new Ajv({ allErrors: true, strict: false }), ['date-time', 'uri', 'email']);
const anyEnvelope = ajv.compile(EnvelopeSchema);
const byType = new Map<string, ValidateFunction>();

function validatorFor(definition: MessageDefinition): ValidateFunction {
  let validate = byType.get(definition.type);
  if (!validate) {
    validate = ajv.compile(envelopeSchema(definition.payload, definition.type, definition.kind));
    byType.set(definition.type, validate);
  }
  return validate;
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string {
  const lines = (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${detail(e)}`);
  // anyOf branches repeat the same complaint; keep each once and only the first few.
  return [...new Set(lines)].slice(0, 8).join('; ');
}

function detail(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if ('additionalProperty' in params) return ` (${String(params.additionalProperty)})`;
  if (Array.isArray(params.allowedValues)) return ` (${params.allowedValues.map(String).join(', ')})`;
  return '';
}

export function definitionOf(type: string): MessageDefinition | undefined {
  return isMessageType(type) ? catalogue[type] : undefined;
}

/** Validates a decoded value as an envelope of a known type, payload included. */
export function validateEnvelope(value: unknown): ValidationResult {
  // Fast path (every consume goes through here): a known type whose full schema accepts the value is valid; the
  // generic envelope check only runs to explain a failure, so a valid envelope is validated once, not twice.
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  const known = typeof type === 'string' ? definitionOf(type) : undefined;
  if (known && validatorFor(known)(value)) return { ok: true, value: value as Envelope };
  if (!anyEnvelope(value)) return { ok: false, code: 'schema', reason: `envelope: ${formatErrors(anyEnvelope.errors)}` };
  const envelope = value as Envelope;
  const definition = definitionOf(envelope.type);
  if (!definition) return { ok: false, code: 'unknown-type', reason: `unknown message type "${envelope.type}"` };
  // A command sent as an event (or the reverse) would land on the wrong subject: say so plainly.
  if (envelope.kind !== definition.kind) {
    return { ok: false, code: 'schema', reason: `${envelope.type} is ${definition.kind === 'event' ? 'an' : 'a'} ${definition.kind}, but the envelope says kind "${envelope.kind}"` };
  }
  const validate = validatorFor(definition);
  validate(value);
  return { ok: false, code: 'schema', reason: `${envelope.type}: ${formatErrors(validate.errors)}` };
}

const byPayloadType = new Map<string, ValidateFunction>();

/** Validates a payload alone (REST handlers build the envelope themselves and check the body first). */
export function validatePayload<T extends MessageType>(type: T, payload: unknown): ValidationResult<PayloadOf<T>> {
  const definition = definitionOf(type);
  if (!definition) return { ok: false, code: 'unknown-type', reason: `unknown message type "${type}"` };
  let validate = byPayloadType.get(type);
  if (!validate) {
    validate = ajv.compile(definition.payload);
    byPayloadType.set(type, validate);
  }
  if (!validate(payload)) return { ok: false, code: 'schema', reason: `${type}: ${formatErrors(validate.errors)}` };
  return { ok: true, value: payload as PayloadOf<T> };
}
