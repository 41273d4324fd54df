import { contexts, services, servicesIn } from './contexts';
import { EnvelopeSchema, Actor, SCHEMA_VERSION } from './envelope';
import { messageEnvelopeSchema, toJsonSchema, type JsonObject, type JsonValue } from './json-schema';
import { exampleEnvelope } from './examples';
import { MAX_ENVELOPE_BYTES } from './limits';
import { BusNames, DEFAULT_NAMESPACE } from './names';
import { allDefinitions } from './catalogue';
import { DeadLetterRecordSchema } from './dead-letter';
import type { MessageDefinition } from './message';
import * as shared from './catalogue/shared.schemas';

// Builds the AsyncAPI 3 document from the catalogue: the one description of the bus a program in another
// language needs. Everything is derived (names from the resolver, schemas from TypeBox) and emitted in sorted
// order, so the checked-in document changes only when the contracts do.
export const ASYNCAPI_VERSION = '3.0.0';
export const CONTRACTS_VERSION = '0.1.0';
export const TENANT_PARAMETER = '{tenantId}';

const sortedDefinitions = (): MessageDefinition[] => [...allDefinitions].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));

function sortedObject<V extends JsonValue>(entries: Array<[string, V]>): { [key: string]: V } {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const operationId = (d: MessageDefinition) => `${d.kind === 'command' ? 'receive' : 'send'}${d.type}`;

function streamOf(names: BusNames, d: MessageDefinition): string {
  return d.kind === 'command' ? names.commandStream(services[d.service]) : names.eventStream(d.context);
}

const NatsHeaders: JsonObject = {
  type: 'object',
  description: 'NATS message headers every platform message carries.',
  properties: {
    'Nats-Msg-Id': {
      type: 'string',
      description: 'Must equal envelope.id: JetStream drops a republish with the same id inside the duplicate window.',
    },
    traceparent: {
      type: 'string',
      pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
      description: 'W3C trace context; its trace-id must equal envelope.traceId.',
    },
  },
  required: ['Nats-Msg-Id'],
};

function description(names: BusNames): string {
  const streams = contexts
    .map((c) => `- \`${names.commandStream(c)}\` / \`${names.eventStream(c)}\`: commands to the services of **${c}** (${servicesIn(c).join(', ')}) / its events`)
    .join('\n');
  const ns = names.namespace;
  return [
    'The bus language of the delivery platform. Programs publish **commands** and listen for **events** on NATS JetStream;',
    'every message body is one JSON **envelope**. This document and the JSON Schemas next to it (`contracts/schemas/<Type>.json`,',
    'draft-07) are all a client in any language needs.',
    '',
    '## Envelope',
    `A UTF-8 JSON object of at most ${MAX_ENVELOPE_BYTES} bytes (MAX_ENVELOPE_BYTES; larger messages are dead-lettered) with exactly these fields:`,
    '`id` (UUIDv7, lowercase), `type` (the message type, e.g. CreateCommit), `schemaVersion` (integer, currently ' + SCHEMA_VERSION + '),',
    '`kind` (`command` or `event`), `source` (the producing service or client), `tenantId` and `projectId` (slugs),',
    '`traceId` (W3C trace-id: 32 lowercase hex), `causationId` (id of the message that caused this one, or null),',
    '`correlationId` (the business key, e.g. a releaseId), `actor` ({kind: agent|user|service, id}), `occurredAt` (RFC 3339) and',
    '`payload` (per type). Each message below has the full envelope schema for its type as payload; unknown fields are rejected.',
    '',
    '## Subjects',
    `- commands: \`${ns}.<tenantId>.cmd.<service>.<Type>\` (the handling service)`,
    `- events: \`${ns}.<tenantId>.evt.<context>.<Type>\` (the emitting bounded context)`,
    `- dead letters: \`${ns}.dlq.<service>.<Type>\``,
    'The tenant in the subject must equal `envelope.tenantId`; a mismatch is dead-lettered.',
    '',
    '## Streams (declared once by the platform; clients publish to subjects and bind to them)',
    streams,
    `- \`${names.deadLetterStream()}\`: dead letters`,
    '',
    '## Headers',
    '`Nats-Msg-Id` = `envelope.id` (JetStream de-duplication: a retried publish with the same id has no second effect);',
    '`traceparent` = `00-<envelope.traceId>-<16 hex span id>-01`. Reuse the traceId of the message you react to and set',
    '`causationId` to its id, so that one trace runs from the first commit to the deployment.',
    '',
    '## Answers',
    'A command is answered by events: look for events whose `causationId` is the command id. A command refused by domain',
    'rules yields a failure event (e.g. CommitFailed, *CommandRejected) carrying `error` {code, message, retryable, details}.',
    'A message that fails its schema, has an unknown type or exceeds the size limit is dead-lettered, never silently dropped.',
    '',
    '## Dead letters',
    `Records on \`${ns}.dlq.<service>.<Type>\` are {envelope, rawBase64, rawBytes, error: {code, message}, deliveries, service,`,
    'consumer, stream, streamSeq, subject, deadLetteredAt} (schema: components.schemas.DeadLetterRecord). Operators replay or',
    'discard them through the ops REST API or CLI; a replay keeps the envelope id and traceId.',
  ].join('\n');
}

function exampleHeaders(d: MessageDefinition): JsonObject {
  const envelope = exampleEnvelope(d);
  return { 'Nats-Msg-Id': envelope.id ?? null, traceparent: `00-${String(envelope.traceId)}-00f067aa0ba902b7-01` };
}

function message(d: MessageDefinition): JsonObject {
  return {
    name: d.type,
    title: d.type,
    summary: d.summary,
    contentType: 'application/json',
    headers: { $ref: '#/components/schemas/NatsHeaders' },
    payload: messageEnvelopeSchema(d),
    examples: [{ name: 'example', summary: `A valid ${d.type} envelope`, headers: exampleHeaders(d), payload: exampleEnvelope(d) }],
    correlationId: { $ref: '#/components/correlationIds/EnvelopeCorrelationId' },
    tags: [{ name: d.kind }, { name: services[d.service] }],
    'x-kind': d.kind,
    'x-service': d.service,
    'x-context': services[d.service],
  };
}

function channel(names: BusNames, d: MessageDefinition): JsonObject {
  const handled = d.kind === 'command' ? `Handled by the ${d.service} service.` : `Emitted by the ${d.service} service.`;
  return {
    address: names.subjectFor(d, TENANT_PARAMETER),
    title: d.type,
    summary: d.summary,
    description: `${handled} Stream ${streamOf(names, d)}.`,
    parameters: { tenantId: { $ref: '#/components/parameters/tenantId' } },
    messages: { [d.type]: { $ref: `#/components/messages/${d.type}` } },
    'x-kind': d.kind,
    'x-service': d.service,
    'x-context': services[d.service],
    'x-stream': streamOf(names, d),
  };
}

function operation(d: MessageDefinition): JsonObject {
  return {
    action: d.kind === 'command' ? 'receive' : 'send',
    channel: { $ref: `#/channels/${d.type}` },
    messages: [{ $ref: `#/channels/${d.type}/messages/${d.type}` }],
    title: d.kind === 'command' ? `${d.service} handles ${d.type}` : `${d.service} emits ${d.type}`,
    summary: d.summary,
    tags: [{ name: d.service }],
  };
}

const sharedSchemaNames = [
  'ArtifactRef',
  'BranchPolicy',
  'CommitAuthor',
  'EnvironmentStage',
  'Failure',
  'FileChange',
  'GitOpsTarget',
  'HealthGate',
  'ImageRef',
  'PackageRef',
  'ReleaseArtifacts',
  'ResourceChange',
  'Strategy',
  'TrafficWeight',
  'WorkloadSpec',
] as const satisfies ReadonlyArray<keyof typeof shared>;

/** The AsyncAPI 3.0 document for the whole catalogue, as a plain JSON object. */
export function buildAsyncApi(names: BusNames = new BusNames(DEFAULT_NAMESPACE)): JsonObject {
  const definitions = sortedDefinitions();
  const dlq: JsonObject = {
    address: `${names.namespace}.dlq.{service}.{type}`,
    title: 'Dead letters',
    summary: 'Messages a consumer could not handle, with the reason and where they came from.',
    description: `Stream ${names.deadLetterStream()}. Read by operators; replayed to the original subject.`,
    parameters: {
      service: { description: 'the service whose consumer gave up', enum: Object.keys(services).sort() },
      type: { description: 'the message type (or "unknown" when the bytes held no envelope)' },
    },
    messages: { DeadLetterRecord: { $ref: '#/components/messages/DeadLetterRecord' } },
    'x-stream': names.deadLetterStream(),
  };
  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title: 'Delivery platform bus',
      version: CONTRACTS_VERSION,
      description: description(names),
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      tags: contexts.map((c) => ({ name: c })),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:4222',
        protocol: 'nats',
        description: 'NATS with JetStream (nats-server 2.9 or newer), as started by `npm start`.',
      },
    },
    channels: sortedObject([...definitions.map((d): [string, JsonObject] => [d.type, channel(names, d)]), ['DeadLetters', dlq]]),
    operations: sortedObject([
      ...definitions.map((d): [string, JsonObject] => [operationId(d), operation(d)]),
      [
        'sendDeadLetter',
        {
          action: 'send',
          channel: { $ref: '#/channels/DeadLetters' },
          messages: [{ $ref: '#/channels/DeadLetters/messages/DeadLetterRecord' }],
          summary: 'A consumer dead-letters a message it cannot handle.',
        },
      ],
    ]),
    components: {
      parameters: {
        tenantId: {
          description: 'The tenant slug (^[a-z0-9][a-z0-9-]{0,62}$); must equal envelope.tenantId.',
          examples: ['acme'],
        },
      },
      correlationIds: {
        EnvelopeCorrelationId: { description: 'The business key the conversation is about.', location: '$message.payload#/correlationId' },
      },
      messages: sortedObject([
        ...definitions.map((d): [string, JsonObject] => [d.type, message(d)]),
        [
          'DeadLetterRecord',
          {
            name: 'DeadLetterRecord',
            title: 'DeadLetterRecord',
            summary: 'A dead-lettered message with its reason and origin.',
            contentType: 'application/json',
            payload: toJsonSchema(DeadLetterRecordSchema),
          },
        ],
      ]),
      schemas: sortedObject<JsonValue>([
        ['Envelope', toJsonSchema(EnvelopeSchema)],
        ['Actor', toJsonSchema(Actor)],
        ['NatsHeaders', NatsHeaders],
        ['DeadLetterRecord', toJsonSchema(DeadLetterRecordSchema)],
        ...sharedSchemaNames.map((n): [string, JsonValue] => [n, toJsonSchema(shared[n])]),
      ]),
    },
  };
}
