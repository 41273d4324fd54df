import { Type, type Static, type TSchema } from '@sinclair/typebox';

// DESIGN §3: every message on the bus is this envelope. Ids are UUIDv7, traceId is W3C (32 lowercase hex).
export const SCHEMA_VERSION = 1;

export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'UUID (v7 for ids minted by the platform), lowercase',
});
export const TraceId = Type.String({ pattern: '^[0-9a-f]{32}$', description: 'W3C trace-id: 32 lowercase hex digits, not all zero' });
// Tenants and projects appear in subjects, paths and schema names: keep them to a safe token.
export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'lowercase letters, digits and dashes, 1-63 chars' });

export const Actor = Type.Object(
  {
    kind: Type.Union([Type.Literal('agent'), Type.Literal('user'), Type.Literal('service')]),
    id: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type Actor = Static<typeof Actor>;

export const MessageKind = Type.Union([Type.Literal('command'), Type.Literal('event')]);
export type MessageKind = Static<typeof MessageKind>;

export function envelopeSchema<P extends TSchema>(payload: P, typeName?: string, kind?: MessageKind) {
  return Type.Object(
    {
      id: Uuid,
      type: typeName ? Type.Literal(typeName) : Type.String({ pattern: '^[A-Z][A-Za-z0-9]{1,99}$' }),
      schemaVersion: Type.Integer({ minimum: 1 }),
      kind: kind ? Type.Literal(kind) : MessageKind,
      source: Type.String({ minLength: 1, maxLength: 100, description: 'the service or client that produced the message' }),
      tenantId: Slug,
      projectId: Slug,
      traceId: TraceId,
      causationId: Type.Union([Uuid, Type.Null()], { description: 'id of the message that caused this one; null for an origin' }),
      correlationId: Type.String({ minLength: 1, maxLength: 200, description: 'the business key the conversation is about (e.g. a releaseId)' }),
      actor: Actor,
      occurredAt: Type.String({ format: 'date-time' }),
      payload,
    },
    { additionalProperties: false },
  );
}

// The envelope with an opaque payload: what every edge checks before it knows the type.
export const EnvelopeSchema = envelopeSchema(Type.Unknown(), undefined);

export interface Envelope<P = unknown, T extends string = string> {
  id: string;
  type: T;
  schemaVersion: number;
  kind: MessageKind;
  source: string;
  tenantId: string;
  projectId: string;
  traceId: string;
  causationId: string | null;
  correlationId: string;
  actor: Actor;
  occurredAt: string;
  payload: P;
}
