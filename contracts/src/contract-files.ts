import { EnvelopeSchema } from './envelope';
import { allDefinitions } from './catalogue';
import { DeadLetterRecordSchema } from './dead-letter';
import { buildAsyncApi } from './asyncapi';
import { messageEnvelopeSchema, toJsonSchema, type JsonObject } from './json-schema';

// The files checked in under contracts/: what clients in other languages read. Paths are relative to the
// contracts directory; contents are exactly the bytes written (pretty JSON, trailing newline).
export const SCHEMA_DIR = 'schemas';
export const ASYNCAPI_FILE = 'asyncapi.json';
export const JSON_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';
export const SCHEMA_ID_BASE = 'https://delivery-platform.local/contracts/schemas/';

export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function schemaFile(name: string, title: string, description: string, schema: JsonObject): string {
  // $schema, $id, title first: what a reader looks for at the top of the file.
  return renderJson({ $schema: JSON_SCHEMA_DRAFT, $id: `${SCHEMA_ID_BASE}${name}.json`, title, description, ...schema });
}

/** Every generated file, keyed by its path relative to contracts/, in a stable order. */
export function renderContractFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set(ASYNCAPI_FILE, renderJson(buildAsyncApi()));
  files.set(
    `${SCHEMA_DIR}/envelope.json`,
    schemaFile('envelope', 'Envelope', 'Any platform message before its type is known (payload unchecked).', toJsonSchema(EnvelopeSchema)),
  );
  files.set(
    `${SCHEMA_DIR}/dead-letter-record.json`,
    schemaFile('dead-letter-record', 'DeadLetterRecord', 'A record of the dead-letter stream.', toJsonSchema(DeadLetterRecordSchema)),
  );
  const definitions = [...allDefinitions].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  for (const d of definitions) {
    const subject = d.kind === 'command' ? `command handled by ${d.service}` : `event of ${d.context} emitted by ${d.service}`;
    files.set(`${SCHEMA_DIR}/${d.type}.json`, schemaFile(d.type, d.type, `${d.summary} (${subject})`, messageEnvelopeSchema(d)));
  }
  return files;
}
