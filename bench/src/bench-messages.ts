import type { MsgHdrs } from '@nats-io/nats-core';
import { contextOf, definitionOf, exampleEnvelope, type BusNames, type PayloadOf } from '@delivery/contracts';
import { createEnvelope, encodeEnvelope, envelopeHeaders } from '@delivery/messaging';

export const BENCH_TENANT = 'acme';

export interface BenchMessage {
  id: string;
  data: Uint8Array;
  headers: MsgHdrs;
}

// Real CreateCommit envelopes (every optional field filled, as the AsyncAPI example), encoded once and shared by
// all scenarios so each publishes exactly the same bytes. Ids, correlationIds and repositories are distinct:
// the inbox dedupes by id and the transport serializes per correlationId.
export function buildMessages(count: number): BenchMessage[] {
  const definition = definitionOf('CreateCommit');
  if (!definition) throw new Error('CreateCommit is missing from the catalogue');
  const example = exampleEnvelope(definition).payload as PayloadOf<'CreateCommit'>;
  const messages: BenchMessage[] = [];
  for (let i = 0; i < count; i++) {
    const payload = { ...example, repositoryId: `bench-repo-${i}`, idempotencyKey: `bench-${i}` };
    const envelope = createEnvelope('CreateCommit', payload, { source: 'bench', tenantId: BENCH_TENANT, projectId: 'shop' });
    messages.push({ id: envelope.id, data: encodeEnvelope(envelope), headers: envelopeHeaders(envelope) });
  }
  return messages;
}

export function commandSubject(names: BusNames): string {
  return names.commandSubject(BENCH_TENANT, 'commit', 'CreateCommit');
}

/** The commit service's command stream and durable, as deploy/nats declares them. */
export function commitConsumer(names: BusNames): { stream: string; durable: string } {
  return { stream: names.commandStream(contextOf('commit')), durable: names.commandsDurable('commit') };
}
