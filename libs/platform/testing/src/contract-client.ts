import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { REPO_ROOT } from './processes';

type Json = Record<string, unknown>;

// What an agent in any language has: contracts/asyncapi.json and contracts/schemas/*.json, read from disk. It
// builds envelopes from them, checks them with a generic JSON Schema validator and finds subjects from the
// channel addresses. End-to-end tests drive the platform through this, never through the TypeScript contracts.
export class ContractClient {
  private readonly validators = new Map<string, ValidateFunction>();

  private constructor(
    private readonly asyncapi: Json,
    private readonly ajv: Ajv,
    private readonly ids: Map<string, string>,
  ) {}

  static load(contractsDir = path.join(REPO_ROOT, 'contracts')): ContractClient {
    const asyncapi = JSON.parse(readFileSync(path.join(contractsDir, 'asyncapi.json'), 'utf8')) as Json;
    const ajv = addFormats(new Ajv({ allErrors: true }));
    const ids = new Map<string, string>();
    for (const file of readdirSync(path.join(contractsDir, 'schemas'))) {
      const schema = JSON.parse(readFileSync(path.join(contractsDir, 'schemas', file), 'utf8')) as Json;
      ajv.addSchema(schema);
      ids.set(String(schema.title), String(schema.$id));
    }
    return new ContractClient(asyncapi, ajv, ids);
  }

  /** the channel address of a message type for a tenant; `namespace` replaces the documented `devops` prefix */
  subject(type: string, tenantId: string, namespace = 'devops'): string {
    const channels = Object.values(this.asyncapi.channels as Json) as Json[];
    const channel = channels.find((c) => Object.values((c.messages as Json) ?? {}).some((m) => String((m as Json).$ref).endsWith(`/messages/${type}`)));
    if (!channel) throw new Error(`no channel carries ${type}`);
    return String(channel.address).replace('{tenantId}', tenantId).replace(/^devops\./, `${namespace}.`);
  }

  /** a command envelope the published schema accepts, or an error listing what it rejects */
  command(type: string, payload: Json, meta: { tenantId: string; projectId: string; traceId: string; actor: { kind: string; id: string }; correlationId?: string }): Json {
    const id = uuidv7();
    const envelope = {
      id,
      type,
      schemaVersion: 1,
      kind: 'command',
      source: 'foreign-agent',
      tenantId: meta.tenantId,
      projectId: meta.projectId,
      traceId: meta.traceId,
      causationId: null,
      correlationId: meta.correlationId ?? id,
      actor: meta.actor,
      occurredAt: new Date().toISOString(),
      payload,
    };
    this.assertValid(type, envelope);
    return envelope;
  }

  assertValid(type: string, value: unknown): void {
    const validate = this.validator(type);
    if (!validate(value)) throw new Error(`${type} rejected by its schema: ${this.ajv.errorsText(validate.errors)}`);
  }

  private validator(type: string): ValidateFunction {
    let validate = this.validators.get(type);
    if (!validate) {
      const id = this.ids.get(type);
      validate = id ? this.ajv.getSchema(id) : undefined;
      if (!validate) throw new Error(`no schema titled ${type}`);
      this.validators.set(type, validate);
    }
    return validate;
  }
}

export function newTraceparent(traceId: string): string {
  return `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
}

/** RFC 9562 UUIDv7: what a foreign client mints for envelope ids */
function uuidv7(): string {
  const hex = Date.now().toString(16).padStart(12, '0') + randomUUID().replace(/-/g, '').slice(0, 20);
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
