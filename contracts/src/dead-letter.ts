import { Type, type Static } from '@sinclair/typebox';

// What the dead-letter stream (devops.dlq.<service>.<Type>) holds for each message a consumer could not handle
// (DESIGN §3). Described here so that operator tooling in any language can read the stream.
export const DeadLetterRecordSchema = Type.Object(
  {
    envelope: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
      description: 'the envelope as received when it parsed as a JSON object (possibly invalid); null otherwise',
    }),
    rawBase64: Type.Union([Type.String(), Type.Null()], {
      description: 'the original bytes, base64, when they were not a JSON object',
    }),
    rawBytes: Type.Integer({ minimum: 0, description: 'size of the original message' }),
    error: Type.Object(
      {
        code: Type.String({ description: 'e.g. schema, not-json, unknown-type, too-large, tenant-mismatch, illegal-state, handler-failed' }),
        message: Type.String({ description: 'the readable reason' }),
      },
      { additionalProperties: false },
    ),
    deliveries: Type.Integer({ minimum: 1, description: 'deliveries made to the consumer, this one included' }),
    service: Type.String(),
    consumer: Type.String({ description: 'the durable consumer that gave up' }),
    stream: Type.String({ description: 'the stream and sequence where the original message still lives' }),
    streamSeq: Type.Integer({ minimum: 0 }),
    subject: Type.String({ description: 'the subject the original message was published on (replay target)' }),
    deadLetteredAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, description: 'a dead-lettered message with its reason and origin' },
);
export type DeadLetterRecordShape = Static<typeof DeadLetterRecordSchema>;
