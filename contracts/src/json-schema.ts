import type { TSchema } from '@sinclair/typebox';
import { envelopeSchema } from './envelope';
import type { MessageDefinition } from './message';

// Plain-JSON views of the TypeBox schemas: what the generated files and other languages see.
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A TypeBox schema as plain JSON (TypeBox's symbol keys dropped). */
export function toJsonSchema(schema: TSchema): JsonObject {
  return JSON.parse(JSON.stringify(schema)) as JsonObject;
}

/** The full envelope schema of one message type, as plain JSON. */
export function messageEnvelopeSchema(definition: MessageDefinition): JsonObject {
  return toJsonSchema(envelopeSchema(definition.payload, definition.type, definition.kind));
}
