import { Type } from '@sinclair/typebox';
import { Actor, Uuid } from '../envelope';
import { event } from '../message';

// The ops app's audit trail: who replayed or discarded a dead letter, and why. Published into the trace of the
// dead-lettered envelope, so the lineage of a traceId shows the operator's intervention.
const DeadLetterRef = {
  deadLetterSeq: Type.Integer({ minimum: 1, description: 'sequence of the dead letter in the DLQ stream' }),
  envelopeId: Type.Union([Uuid, Type.Null()], { description: 'id of the dead-lettered envelope, null when it was unreadable' }),
  originalSubject: Type.String({ minLength: 1, maxLength: 300 }),
  consumer: Type.String({ minLength: 1, maxLength: 200 }),
  reason: Type.String({ minLength: 1, maxLength: 2000, description: 'why the operator acted' }),
  operator: Actor,
};

export const operationsMessages = [
  event('DeadLetterReplayed', {
    service: 'ops',
    context: 'operations',
    summary: 'An operator republished a dead-lettered envelope (same id and traceId) to its original subject.',
    payload: Type.Object({ ...DeadLetterRef, edited: Type.Boolean({ description: 'the payload was corrected before replay' }) }, { additionalProperties: false }),
  }),
  event('DeadLetterDiscarded', {
    service: 'ops',
    context: 'operations',
    summary: 'An operator removed a dead letter without replaying it.',
    payload: Type.Object(DeadLetterRef, { additionalProperties: false }),
  }),
] as const;
