import { messageEnvelopeSchema, type JsonObject, type JsonValue } from './json-schema';
import type { MessageDefinition } from './message';

// Builds a valid example of any catalogue schema, deterministically. The examples go into the AsyncAPI
// document (a client in another language copies them) and the tests validate each one against its schema,
// which proves every message type can be satisfied. A new pattern needs a sample here: the build says so.
const SAMPLE_UUID = '0192f3a4-5b6c-7d8e-9f01-23456789abcd';
const SAMPLE_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SAMPLE_SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const SAMPLE_DIGEST = 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';

const byPattern: Record<string, string> = {
  '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$': SAMPLE_UUID,
  '^[a-z0-9][a-z0-9-]{0,62}$': 'acme',
  '^[0-9a-f]{32}$': SAMPLE_TRACE,
  '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$': 'shop-api',
  '^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$': 'main',
  '^[^\\x00-\\x1f\\\\]+$': 'src/index.ts',
  '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$': SAMPLE_UUID,
  '^[0-9a-f]{40}$': SAMPLE_SHA,
  '^[a-z][a-z0-9-]*(\\.[a-z0-9-]+)*$': 'git.conflict',
  '^[A-Za-z0-9][A-Za-z0-9 ._/:-]{0,99}$': 'pipeline/build',
  '^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,49}$': 'agent',
  '^[a-z][a-z0-9./-]{0,99}$': 'iac-plan/stage1',
  '^[a-z][a-z0-9-]{0,62}$': 'shop-api',
  '^[0-9]+(\\.[0-9x]+){0,2}$': '20.x',
  '^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$': 'shop/api',
  '^[a-z][a-z0-9-]{0,31}$': 'dev1',
  '^sha256:[0-9a-f]{64}$': SAMPLE_DIGEST,
  '^(@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$': '@acme/shop-api',
  '^[0-9]+\\.[0-9]+\\.[0-9]+(\\.[0-9]+)?(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$': '1.4.0',
  '^[a-z][a-z0-9-]{0,49}$': 'latest',
  '^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$': 'sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==',
  '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$': 'localhost:5000',
  '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$': '1.4.0',
  '^/[^\\s]{0,511}$': '/health/ready',
  '^[A-Z]{3}$': 'EUR',
  '^[0-9a-f]{16,64}$': '9f86d081884c7d65',
};

// Nicer values where the property name says more than the pattern.
const byName: Record<string, JsonValue> = {
  projectId: 'shop',
  source: 'agent-mesh',
  correlationId: SAMPLE_UUID,
  sourceBranch: 'feature/login',
  targetBranch: 'main',
  message: 'Add login page',
  title: 'Add login page',
  body: 'Plan: 2 to add, 0 to change, 0 to destroy.',
  comment: 'Looks good',
  reason: 'Health gate failed on canary step 1',
  content: 'export const answer = 42;\n',
  cloneUrl: 'file:///var/lib/delivery/git/acme/shop/shop-api.git',
  command: ['node', 'dist/main.js'],
  description: 'Status of the build',
};

const SAMPLE_TIME = '2026-01-02T03:04:05.678Z';

function exampleString(schema: JsonObject, name: string, at: string): string {
  if (Array.isArray(schema.enum)) return String(schema.enum[0]);
  if (typeof schema.const === 'string') return schema.const;
  if (schema.format === 'date-time') return SAMPLE_TIME;
  if (schema.format === 'email') return 'coder-7@agents.example.com';
  if (schema.format === 'uri') return 'https://ci.example.com/runs/42';
  const named = byName[name];
  if (typeof schema.pattern === 'string') {
    if (typeof named === 'string' && new RegExp(schema.pattern, 'u').test(named)) return named;
    const sample = byPattern[schema.pattern];
    if (sample === undefined) throw new Error(`examples: no sample for pattern ${schema.pattern} at ${at}; add one to byPattern`);
    return sample;
  }
  const text = typeof named === 'string' ? named : `example ${name}`;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : text.length;
  return text.padEnd(min, 'x').slice(0, max);
}

/** A valid instance of a catalogue schema: every property filled, the first branch of each anyOf that is not null. */
export function exampleOf(schema: JsonValue, name = 'value', at = '#'): JsonValue {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return null;
  const named = byName[name];
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf.filter((b) => !(b && typeof b === 'object' && !Array.isArray(b) && b.type === 'null'));
    return exampleOf(branches[0] ?? schema.anyOf[0] ?? null, name, `${at}/anyOf/0`);
  }
  switch (schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as JsonObject;
      return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, exampleOf(value, key, `${at}/${key}`)]));
    }
    case 'array': {
      if (Array.isArray(named)) return named;
      const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const max = typeof schema.maxItems === 'number' ? schema.maxItems : 1;
      const count = Math.min(Math.max(min, 1), max);
      return Array.from({ length: count }, (_, i) => exampleOf(schema.items ?? null, name, `${at}/${i}`));
    }
    case 'string':
      return exampleString(schema, name, at);
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? Math.max(schema.minimum, 1) : 1;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return schema.const ?? {};
  }
}

/** A valid envelope of one message type, as it would travel on the bus. */
export function exampleEnvelope(definition: MessageDefinition): JsonObject {
  const envelope = exampleOf(messageEnvelopeSchema(definition), 'envelope') as JsonObject;
  // An agent's command starts a conversation; an event is caused by the example command.
  return {
    ...envelope,
    id: definition.kind === 'command' ? SAMPLE_UUID : '0192f3a4-5b6d-7a00-8b11-3c4d5e6f7a8b',
    causationId: definition.kind === 'command' ? null : SAMPLE_UUID,
    source: definition.kind === 'command' ? 'agent-mesh' : definition.service,
    actor: definition.kind === 'command' ? { kind: 'agent', id: 'coder-7' } : { kind: 'service', id: definition.service },
  };
}
