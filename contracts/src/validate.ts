import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { EnvelopeSchema, envelopeSchema } from './envelope';
import { catalogue, type MessageType } from './catalogue';
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
  return (errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`)
    .join('; ');
}

export function definitionOf(type: string): MessageDefinition | undefined {
  return Object.prototype.hasOwnProperty.call(catalogue, type) ? catalogue[type as MessageType] : undefined;
}

/** Validates a decoded value as an envelope of a known type, payload included. */
export function validateEnvelope(value: unknown): ValidationResult {
  if (!anyEnvelope(value)) return { ok: false, code: 'schema', reason: `envelope: ${formatErrors(anyEnvelope.errors)}` };
  const envelope = value as Envelope;
  const definition = definitionOf(envelope.type);
  if (!definition) return { ok: false, code: 'unknown-type', reason: `unknown message type "${envelope.type}"` };
  const validate = validatorFor(definition);
  if (!validate(value)) return { ok: false, code: 'schema', reason: `${envelope.type}: ${formatErrors(validate.errors)}` };
  return { ok: true, value: envelope };
}
