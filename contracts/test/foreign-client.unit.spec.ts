import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

// A client that knows nothing of the TypeScript sources: only contracts/asyncapi.json and contracts/schemas/*.json,
// read from disk, and a generic JSON Schema validator. If this passes, a program in any language can talk to the
// platform from those files alone. Nothing under contracts/src may be imported here.
type Json = Record<string, unknown>;
const contractsDir = path.resolve(__dirname, '..');
const asyncapi = JSON.parse(fs.readFileSync(path.join(contractsDir, 'asyncapi.json'), 'utf8')) as Json;
const schemaDir = path.join(contractsDir, 'schemas');
const schemas = fs.readdirSync(schemaDir).map((f) => JSON.parse(fs.readFileSync(path.join(schemaDir, f), 'utf8')) as Json);

const ajv = addFormats(new Ajv({ allErrors: true }));
for (const schema of schemas) ajv.addSchema(schema);
const validatorFor = (title: string) => {
  const schema = schemas.find((s) => s.title === title);
  if (!schema) throw new Error(`no schema titled ${title}`);
  const validate = ajv.getSchema(String(schema.$id));
  if (!validate) throw new Error(`schema ${String(schema.$id)} did not compile`);
  return validate;
};
const at = (value: unknown, ...keys: string[]): Json => keys.reduce((v, k) => (v as Json)[k], value) as Json;
const deref = (ref: string): Json => at(asyncapi, ...ref.replace(/^#\//, '').split('/'));

// What a client in another language does: find the operation the platform receives for a message type,
// follow it to its channel, and fill in the tenant.
function commandSubject(type: string, tenantId: string): string {
  const operations = Object.values(at(asyncapi, 'operations')) as Json[];
  const op = operations.find((o) => o.action === 'receive' && (o.messages as Json[]).some((m) => String(m.$ref).endsWith(`/messages/${type}`)));
  if (!op) throw new Error(`the platform receives no ${type}`);
  const channel = deref(String((op.channel as Json).$ref));
  return String(channel.address).replace('{tenantId}', tenantId);
}

function uuidv7(): string {
  const hex = Date.now().toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

describe('a foreign client using only contracts/asyncapi.json and contracts/schemas', () => {
  const traceId = randomBytes(16).toString('hex');
  const envelope = {
    id: uuidv7(),
    type: 'CreateCommit',
    schemaVersion: 1,
    kind: 'command',
    source: 'python-agent',
    tenantId: 'acme',
    projectId: 'shop',
    traceId,
    causationId: null,
    correlationId: 'repo-1',
    actor: { kind: 'agent', id: 'coder-7' },
    occurredAt: new Date().toISOString(),
    payload: { repositoryId: 'repo-1', branch: 'main', message: 'Add README', changes: [{ action: 'add', path: 'README.md', content: '# Shop\n' }] },
  };

  it('resolves the subject of CreateCommit from the channel address', () => {
    expect(commandSubject('CreateCommit', 'acme')).toBe('devops.acme.cmd.commit.CreateCommit');
  });

  it('builds a CreateCommit envelope that the published schema accepts, and sees what it rejects', () => {
    const validate = validatorFor('CreateCommit');
    expect(validate(envelope) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...envelope, payload: { repositoryId: 'repo-1', branch: 'main' } })).toBe(false);
    expect(validate({ ...envelope, kind: 'event' })).toBe(false);
    expect(validatorFor('Envelope')(envelope)).toBe(true);
  });

  it('sets the headers the message declares: Nats-Msg-Id = envelope id, traceparent with the trace id', () => {
    const message = deref(`#/components/messages/CreateCommit`);
    const headersSchema = deref(String((message.headers as Json).$ref));
    const headers = { 'Nats-Msg-Id': envelope.id, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
    expect(ajv.validate(headersSchema, headers)).toBe(true);
    expect(ajv.validate(headersSchema, { traceparent: headers.traceparent })).toBe(false);
  });

  it('stays under the size limit the document states', () => {
    const limit = Number(/at most (\d+) bytes/.exec(String(at(asyncapi, 'info').description))?.[1]);
    expect(limit).toBeGreaterThan(0);
    expect(Buffer.byteLength(JSON.stringify(envelope))).toBeLessThan(limit);
  });

  it('finds every example of the document valid against the schema file of its type', () => {
    const messages = at(asyncapi, 'components', 'messages') as Record<string, Json>;
    let checked = 0;
    for (const [name, message] of Object.entries(messages)) {
      for (const example of (message.examples as Json[] | undefined) ?? []) {
        const validate = validatorFor(name);
        expect({ name, errors: validate(example.payload) ? null : validate.errors }).toEqual({ name, errors: null });
        checked++;
      }
    }
    expect(checked).toBe(schemas.length - 2);
  });

  it('resolves a tenant-scoped subject for every channel except dead letters', () => {
    for (const channel of Object.values(at(asyncapi, 'channels')) as Json[]) {
      const address = String(channel.address);
      if (address.includes('.dlq.')) continue;
      expect(address.replace('{tenantId}', 'acme')).toMatch(/^devops\.acme\.(cmd|evt)\.[a-z-]+\.[A-Z][A-Za-z0-9]+$/);
    }
  });
});
