import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNames, DEFAULT_NAMESPACE, type Actor, type Envelope } from '@delivery/contracts';
import { DeadLetters, errorMessageOf, PlatformError, type DeadLetter, type DeadLetterSummary } from '@delivery/messaging';

// Operator CLI for dead letters (DESIGN §3): `npm run dlq -- <command>`. Talks to NATS directly through the same
// DeadLetters library as the REST API, so it works when the ops app is down. Exit codes: 0 ok, 1 failed, 2 usage.
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const USAGE = `usage: npm run dlq -- <command> [options]

  list [--service S] [--type T] [--tenant T] [--limit N] [--json]
  show <seq> [--json]
  replay <seq> --reason "..." --operator <id> [--operator-kind user|agent|service] [--envelope file.json] [--json]
  discard <seq> --reason "..." --operator <id> [--operator-kind user|agent|service] [--json]

environment: NATS_URL (default nats://127.0.0.1:4222), BUS_NAMESPACE (default ${DEFAULT_NAMESPACE})`;

const OPTIONS = {
  service: { type: 'string' },
  type: { type: 'string' },
  tenant: { type: 'string' },
  limit: { type: 'string' },
  reason: { type: 'string' },
  operator: { type: 'string' },
  'operator-kind': { type: 'string' },
  envelope: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

class UsageError extends Error {}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  let command: string | undefined;
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
    command = positionals[0];
    if (values.help || command === 'help' || !command) {
      (command || values.help ? io.out : io.err)(USAGE);
      return command || values.help ? 0 : 2;
    }
    if (!['list', 'show', 'replay', 'discard'].includes(command)) throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    // parseArgs throws TypeErrors with readable messages; a Node error may come from another realm (not instanceof Error).
    const message = typeof (error as { message?: unknown })?.message === 'string' ? (error as Error).message : errorMessageOf(error);
    io.err(`dlq: ${message}\n\n${USAGE}`);
    return 2;
  }

  let names: BusNames;
  try {
    names = new BusNames(io.env.BUS_NAMESPACE || DEFAULT_NAMESPACE);
  } catch (error) {
    io.err(`dlq: BUS_NAMESPACE: ${errorMessageOf(error)}`);
    return 2;
  }
  const url = io.env.NATS_URL || 'nats://127.0.0.1:4222';
  let connection: NatsConnection | undefined;
  try {
    const seq = command === 'list' ? 0 : seqOf(positionals[1]);
    const action = command === 'replay' || command === 'discard' ? operatorAction(values) : undefined;
    const corrected = command === 'replay' && values.envelope ? await envelopeFile(values.envelope) : undefined;
    connection = await connect({ servers: url, name: 'dlq-cli', timeout: 5_000, maxReconnectAttempts: 0 }).catch((error: unknown) => {
      throw new Error(`cannot connect to NATS at ${url}: ${errorMessageOf(error)}`);
    });
    const deadLetters = new DeadLetters(jetstream(connection), await jetstreamManager(connection), names);
    if (command === 'list') {
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1000)) throw new UsageError('--limit must be an integer from 1 to 1000');
      const letters = await deadLetters.list({ service: values.service, type: values.type, tenantId: values.tenant, limit });
      io.out(values.json ? JSON.stringify(letters, null, 2) : table(letters));
    } else if (command === 'show') {
      const letter = await deadLetters.show(seq);
      io.out(values.json ? JSON.stringify(letter, null, 2) : describe(letter));
    } else if (command === 'replay') {
      const { envelope, subject } = await deadLetters.replay(seq, { ...action!, ...(corrected ? { envelope: corrected } : {}) });
      const result = { seq, subject, envelopeId: envelope.id, traceId: envelope.traceId, edited: corrected !== undefined };
      io.out(values.json ? JSON.stringify(result, null, 2) : `replayed dead letter ${seq} to ${subject} (envelope ${envelope.id}, trace ${envelope.traceId})`);
    } else {
      await deadLetters.discard(seq, action!);
      io.out(values.json ? JSON.stringify({ seq, discarded: true }, null, 2) : `discarded dead letter ${seq}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`dlq: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`dlq: ${explain(error, names)}${error instanceof PlatformError ? ` (${error.code})` : ''}`);
    return 1;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function explain(error: unknown, names: BusNames): string {
  const message = errorMessageOf(error);
  if (/stream not found/i.test(message)) {
    return `the dead-letter stream ${names.deadLetterStream()} does not exist (BUS_NAMESPACE=${names.namespace}?); provision with \`npm run nats:provision\``;
  }
  return message;
}

function seqOf(raw: string | undefined): number {
  if (raw === undefined) throw new UsageError('give the dead letter’s sequence number (see `list`)');
  if (!/^[1-9][0-9]{0,14}$/.test(raw)) throw new UsageError(`"${raw}" is not a dead-letter sequence (a positive integer)`);
  return Number(raw);
}

function operatorAction(values: Values): { operator: Actor; reason: string } {
  const reason = values.reason?.trim();
  if (!reason) throw new UsageError('say why: --reason "..." is required');
  if (!values.operator?.trim()) throw new UsageError('--operator <id> is required (who is acting)');
  const kind = values['operator-kind'] ?? 'user';
  if (kind !== 'user' && kind !== 'agent' && kind !== 'service') throw new UsageError('--operator-kind must be user, agent or service');
  return { operator: { kind, id: values.operator.trim() }, reason };
}

async function envelopeFile(file: string): Promise<Envelope> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read --envelope ${file}: ${errorMessageOf(error)}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Envelope;
  } catch (error) {
    throw new Error(`--envelope ${file} is not an envelope: ${errorMessageOf(error)}`);
  }
}

function table(letters: DeadLetterSummary[]): string {
  if (letters.length === 0) return 'no dead letters';
  const rows = [
    ['SEQ', 'SERVICE', 'TYPE', 'TENANT', 'TRACE', 'ERROR', 'DELIVERIES', 'DEAD-LETTERED AT', 'REASON'],
    ...letters.map((d) => [
      String(d.seq),
      d.service,
      d.type,
      d.tenantId ?? '-',
      d.traceId ?? '-',
      d.error.code,
      String(d.deliveries),
      d.deadLetteredAt,
      truncate(d.error.message, 60),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
  return [...lines, `${letters.length} dead letter${letters.length === 1 ? '' : 's'}`].join('\n');
}

function describe(letter: DeadLetter): string {
  const { record } = letter;
  const lines = [
    `dead letter ${letter.seq}  ${letter.subject}`,
    `  error        ${letter.error.code}: ${letter.error.message}`,
    `  service      ${letter.service} (consumer ${letter.consumer}, ${letter.deliveries} deliveries)`,
    `  original     ${record.subject}  (${record.stream} #${record.streamSeq}, ${record.rawBytes} bytes)`,
    `  envelope     ${letter.envelopeId ?? '-'}  type ${letter.type}  tenant ${letter.tenantId ?? '-'}  trace ${letter.traceId ?? '-'}`,
    `  at           ${letter.deadLetteredAt}`,
  ];
  if (record.envelope) lines.push('', JSON.stringify(record.envelope, null, 2));
  else if (record.rawBase64) lines.push('', `raw (base64): ${truncate(record.rawBase64, 400)}`);
  return lines.join('\n');
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function processIo(): CliIo {
  return { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`), env: process.env };
}

// Run when invoked as a program: directly, or through tools/run.js (which sets argv[1] to this compiled file).
if (require.main === module || path.resolve(process.argv[1] ?? '') === __filename) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
