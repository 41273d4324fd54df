import * as fs from 'node:fs';
import * as path from 'node:path';
import { Parser } from '@asyncapi/parser';
import { ASYNCAPI_VERSION, buildAsyncApi, CONTRACTS_VERSION } from './asyncapi';
import type { JsonObject } from './json-schema';
import { allDefinitions } from './catalogue';
import { BusNames } from './names';
import { renderContractFiles } from './contract-files';
import { findWorkspaceRoot, staleContractFiles } from './contract-files.fs';

const contractsDir = path.resolve(__dirname, '..');
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(contractsDir, file), 'utf8')) as JsonObject;
const record = (value: unknown) => value as Record<string, JsonObject>;

describe('generated contract files', () => {
  it('are up to date with the catalogue', () => {
    const stale = staleContractFiles(contractsDir);
    if (stale.length > 0) {
      throw new Error(`contracts/ generated files are stale; run \`npm run contracts:generate\` and commit the result:\n  ${stale.join('\n  ')}`);
    }
  });

  it('are deterministic', () => {
    expect([...renderContractFiles()]).toEqual([...renderContractFiles()]);
  });

  it('hold one draft-07 schema per message type with $id and title, plus the envelope', () => {
    const files = renderContractFiles();
    expect(files.size).toBe(allDefinitions.length + 3);
    for (const d of allDefinitions) {
      const schema = JSON.parse(files.get(`schemas/${d.type}.json`) ?? '{}') as JsonObject;
      expect(schema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', $id: expect.stringMatching(new RegExp(`/${d.type}\\.json$`)), title: d.type });
    }
    expect(JSON.parse(files.get('schemas/envelope.json') ?? '{}')).toMatchObject({ title: 'Envelope', required: expect.arrayContaining(['id', 'traceId', 'payload']) });
  });

  it('find the workspace root from anywhere below it', () => {
    expect(findWorkspaceRoot(__dirname)).toBe(path.resolve(contractsDir, '..'));
  });
});

describe('AsyncAPI document', () => {
  const doc = buildAsyncApi();

  it('passes the AsyncAPI parser without errors', async () => {
    const checkedIn = fs.readFileSync(path.join(contractsDir, 'asyncapi.json'), 'utf8');
    const parser = new Parser();
    const diagnostics = await parser.validate(checkedIn);
    // Spectral severities: 0 error, 1 warning, 2 information, 3 hint.
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    const { document } = await parser.parse(checkedIn);
    expect(document?.version()).toBe(ASYNCAPI_VERSION);
    expect(document?.channels().get('CreateCommit')?.address()).toBe('devops.{tenantId}.cmd.commit.CreateCommit');
  });

  it('has a channel per message type at the resolver subject, with {tenantId} as parameter', () => {
    const names = new BusNames();
    const channels = record(doc.channels);
    for (const d of allDefinitions) {
      const channel = channels[d.type];
      expect(channel?.address).toBe(names.subjectFor(d, '{tenantId}'));
      expect(channel?.parameters).toEqual({ tenantId: { $ref: '#/components/parameters/tenantId' } });
      expect(channel?.['x-stream']).toBe(names.streamForSubject(names.subjectFor(d, 'acme')));
    }
    expect(channels.DeadLetters?.address).toBe('devops.dlq.{service}.{type}');
  });

  it('receives commands and sends events', () => {
    const operations = record(doc.operations);
    for (const d of allDefinitions) {
      const op = d.kind === 'command' ? operations[`receive${d.type}`] : operations[`send${d.type}`];
      expect(op).toMatchObject({ action: d.kind === 'command' ? 'receive' : 'send', channel: { $ref: `#/channels/${d.type}` } });
    }
  });

  it('carries the full envelope schema as each message payload', () => {
    const message = record(record(doc.components).messages).CreateCommit;
    const payload = message?.payload as JsonObject;
    expect(record(payload.properties).type).toMatchObject({ const: 'CreateCommit' });
    expect(record(payload.properties).kind).toMatchObject({ const: 'command' });
    expect(record(record(payload.properties).payload).required).toEqual(['repositoryId', 'branch', 'message']);
    expect(message?.headers).toEqual({ $ref: '#/components/schemas/NatsHeaders' });
  });

  it('explains envelope, subjects, streams, headers, size limit and dead letters in info', () => {
    const info = doc.info as JsonObject;
    for (const needle of ['Nats-Msg-Id', 'traceparent', 'DEVOPS_CMD_SOURCE_CONTROL', 'DEVOPS_DLQ', '262144', 'devops.<tenantId>.cmd.<service>.<Type>', 'deliveries']) {
      expect(info.description).toContain(needle);
    }
  });

  it('is versioned like the contracts package', () => {
    const pkg = readJson('package.json');
    expect(CONTRACTS_VERSION).toBe(pkg.version);
    expect((doc.info as JsonObject).version).toBe(pkg.version);
  });
});
