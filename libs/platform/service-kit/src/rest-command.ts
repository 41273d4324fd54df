import { definitionOf, toJsonSchema, validatePayload, type CommandType, type Envelope, type MessageType, type PayloadOf } from '@delivery/contracts';
import { createEnvelope, ValidationError } from '@delivery/messaging';

// The REST door of a command (DESIGN §2): the body is the command's payload, checked against the same schema the
// bus enforces; the envelope takes tenant, actor and trace from the request (the principal interceptor put them
// in the trace context), so REST and bus callers reach the same handler with the same kind of message.
export function restCommand<T extends CommandType>(type: T, body: unknown, options: { source: string; projectId: string }): Envelope<PayloadOf<T>, T> {
  const checked = validatePayload(type, body);
  if (!checked.ok) throw new ValidationError('invalid-body', checked.reason);
  return createEnvelope(type, checked.value, { source: options.source, projectId: options.projectId });
}

const PROJECT = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A project id from a request (body or query): a slug, or a 400 naming the field. */
export function projectIdOf(value: unknown, field = 'projectId'): string {
  if (typeof value !== 'string' || !PROJECT.test(value)) throw new ValidationError('invalid-project', `${field} must be a project slug (lowercase letters, digits, dashes)`);
  return value;
}

/**
 * The JSON Schema of a message's payload, for @ApiBody / @ApiResponse. `extra` adds request-only fields; `omit` drops
 * the fields a route takes from its path (e.g. repositoryId in /repositories/:id/commits).
 */
export function payloadSchemaOf(
  type: MessageType,
  extra: { properties?: Record<string, object>; required?: string[]; omit?: string[] } = {},
): Record<string, unknown> {
  const definition = definitionOf(type);
  if (!definition) throw new Error(`unknown message type "${type}"`);
  const schema = toJsonSchema(definition.payload) as { properties?: Record<string, unknown>; required?: string[] };
  const omitted = new Set(extra.omit ?? []);
  const properties = Object.fromEntries(Object.entries({ ...extra.properties, ...schema.properties }).filter(([name]) => !omitted.has(name)));
  const required = [...(extra.required ?? []), ...(schema.required ?? [])].filter((name) => !omitted.has(name));
  return { ...schema, properties, required };
}

export interface PageRequest {
  limit: number;
  /** keyset cursor: the id of the last item of the previous page */
  after?: string;
}

const CURSOR = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** ?limit=1..200 (default 50) and ?after=<cursor> from a query string, or a 400 naming the parameter. */
export function pageOf(limit: unknown, after: unknown): PageRequest {
  const n = limit === undefined || limit === '' ? 50 : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new ValidationError('invalid-limit', 'limit must be an integer from 1 to 200');
  if (after !== undefined && (typeof after !== 'string' || !CURSOR.test(after))) throw new ValidationError('invalid-cursor', 'after must be the id of the last item of the previous page');
  return { limit: n, ...(after ? { after } : {}) };
}

/** A page and the cursor of the next one (null on the last page). */
export function pageResult<T>(items: T[], page: PageRequest, idOf: (item: T) => string): { items: T[]; next: string | null } {
  const last = items[items.length - 1];
  return { items, next: items.length === page.limit && last !== undefined ? idOf(last) : null };
}
