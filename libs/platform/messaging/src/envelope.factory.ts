import { SCHEMA_VERSION, definitionOf, type Actor, type Envelope, type MessageType, type PayloadOf } from '@delivery/contracts';
import { currentTrace, newTraceId } from '@delivery/observability';
import { uuidv7 } from './uuidv7';

export interface EnvelopeOptions {
  source: string;
  tenantId?: string;
  projectId?: string;
  correlationId?: string;
  actor?: Actor;
  traceId?: string;
  causationId?: string | null;
  occurredAt?: Date;
  id?: string;
}

// Builds an envelope, inheriting trace, tenant, project, correlation and actor from the message being handled
// (AsyncLocalStorage), so that one traceId runs from commit to deployment without anyone passing it along.
export function createEnvelope<T extends MessageType>(type: T, payload: PayloadOf<T>, options: EnvelopeOptions): Envelope<PayloadOf<T>, T> {
  const definition = definitionOf(type);
  if (!definition) throw new Error(`unknown message type "${type}"`);
  const trace = currentTrace();
  const tenantId = options.tenantId ?? trace?.tenantId;
  const projectId = options.projectId ?? trace?.projectId;
  if (!tenantId || !projectId) throw new Error(`${type}: tenantId and projectId are required outside a handled message`);
  const id = options.id ?? uuidv7();
  return {
    id,
    type,
    schemaVersion: SCHEMA_VERSION,
    kind: definition.kind,
    source: options.source,
    tenantId,
    projectId,
    traceId: options.traceId ?? trace?.traceId ?? newTraceId(),
    causationId: options.causationId !== undefined ? options.causationId : (trace?.causationId ?? null),
    correlationId: options.correlationId ?? trace?.correlationId ?? id,
    actor: options.actor ?? trace?.actor ?? { kind: 'service', id: options.source },
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    payload,
  };
}
