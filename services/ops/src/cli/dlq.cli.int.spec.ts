import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { BusPublisher, createEnvelope, type DeadLetterRecord } from '@delivery/messaging';
import { createTestBus, waitForEvent, waitForMessages, type TestBus } from '@delivery/testing';
import { runCli, type CliIo } from './dlq.cli';

const ROOT = path.resolve(__dirname, '../../../..');

describe('dlq operator CLI', () => {
  let bus: TestBus;
  let dir: string;
  let io: CliIo & { stdout: string; stderr: string };
  const seqs: number[] = [];
  const envelopes: Array<Envelope<PayloadOf<'CreateCommit'>>> = [];

  const run = async (...argv: string[]) => {
    io.stdout = '';
    io.stderr = '';
    const code = await runCli(argv, io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  };

  beforeAll(async () => {
    bus = await createTestBus();
    dir = await mkdtemp(path.join(tmpdir(), 'dlq-cli-'));
    io = {
      stdout: '',
      stderr: '',
      out: (text) => void (io.stdout += `${text}\n`),
      err: (text) => void (io.stderr += `${text}\n`),
      env: { NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', BUS_NAMESPACE: bus.names.namespace },
    };
    const publisher = new BusPublisher(bus.js, bus.names);
    for (const [tenantId, message] of [['acme', 'first'], ['acme', 'second'], ['globex', 'third']] as const) {
      const envelope = createEnvelope('CreateCommit', { repositoryId: 'shop-api', branch: 'main', message }, { source: 'agent-mesh', tenantId, projectId: 'shop' });
      const record: DeadLetterRecord = {
        envelope,
        rawBase64: null,
        rawBytes: 300,
        error: { code: 'illegal-state', message: `repository shop-api is archived (${message})` },
        deliveries: 1,
        service: 'commit',
        consumer: 'commit-commands',
        stream: bus.names.commandStream('source-control'),
        streamSeq: 7,
        subject: publisher.subjectOf(envelope),
        deadLetteredAt: new Date().toISOString(),
      };
      envelopes.push(envelope);
      seqs.push((await bus.js.publish(bus.names.deadLetterSubject('commit', 'CreateCommit'), JSON.stringify(record))).seq);
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await bus?.close();
  });

  it('lists dead letters as a table, filtered, or as JSON', async () => {
    const listed = await run('list');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+SERVICE\s+TYPE\s+TENANT\s+TRACE\s+ERROR\s+DELIVERIES\s+DEAD-LETTERED AT\s+REASON$/);
    expect(lines[1]).toMatch(new RegExp(`^${seqs[0]}\\s+commit\\s+CreateCommit\\s+acme\\s+${envelopes[0]!.traceId}\\s+illegal-state\\s+1\\s`));
    expect(lines.at(-1)).toBe('3 dead letters');

    const json = await run('list', '--tenant', 'globex', '--json');
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ seq: seqs[2], tenantId: 'globex', envelopeId: envelopes[2]!.id })]);
    expect(JSON.parse((await run('list', '--limit', '1', '--json')).stdout)).toHaveLength(1);
    expect((await run('list', '--service', 'branch')).stdout.trim()).toBe('no dead letters');
  });

  it('shows one dead letter', async () => {
    const shown = await run('show', String(seqs[0]));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`dead letter ${seqs[0]}`);
    expect(shown.stdout).toContain('illegal-state: repository shop-api is archived (first)');
    expect(shown.stdout).toContain(`"id": "${envelopes[0]!.id}"`);
    expect(JSON.parse((await run('show', String(seqs[0]), '--json')).stdout)).toMatchObject({ seq: seqs[0], record: { envelope: { id: envelopes[0]!.id } } });
  });

  it('fails clearly: usage errors exit 2, operational errors exit 1', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /usage: npm run dlq/],
      [['frobnicate'], 2, /unknown command "frobnicate"/],
      [['list', '--bogus'], 2, /Unknown option '--bogus'/],
      [['list', '--limit', 'x'], 2, /--limit must be an integer/],
      [['show'], 2, /sequence number/],
      [['show', 'abc'], 2, /"abc" is not a dead-letter sequence/],
      [['show', '999999'], 1, /no dead letter with sequence 999999 \(dead-letter-not-found\)/],
      [['replay', String(seqs[0]), '--operator', 'alice'], 2, /--reason/],
      [['replay', String(seqs[0]), '--reason', 'fix'], 2, /--operator <id> is required/],
      [['discard', String(seqs[0]), '--reason', 'x', '--operator', 'alice', '--operator-kind', 'robot'], 2, /--operator-kind/],
      [['replay', String(seqs[0]), '--reason', 'fix', '--operator', 'alice', '--envelope', '/no/such/file.json'], 1, /cannot read --envelope/],
    ];
    for (const [argv, code, message] of cases) {
      const result = await run(...argv);
      expect([argv, result.code]).toEqual([argv, code]);
      expect(result.stderr).toMatch(message);
    }
    expect((await run('help')).code).toBe(0);
    const noNats = await runCli(['list'], { ...io, env: { ...io.env, NATS_URL: 'nats://127.0.0.1:1' } });
    expect(noNats).toBe(1);
    expect(io.stderr).toMatch(/cannot connect to NATS at nats:\/\/127.0.0.1:1/);
  });

  it('replays a corrected envelope from a file (same id and traceId), naming the operator', async () => {
    const original = envelopes[0]!;
    const file = path.join(dir, 'fixed.json');
    await writeFile(file, JSON.stringify({ ...original, payload: { ...original.payload, message: 'first (fixed)' } }));
    const changed = path.join(dir, 'changed.json');
    await writeFile(changed, JSON.stringify({ ...original, traceId: 'f'.repeat(32) }));
    const refused = await run('replay', String(seqs[0]), '--reason', 'fix', '--operator', 'alice', '--envelope', changed);
    expect([refused.code, refused.stderr.trim()]).toEqual([1, `dlq: a replay keeps the traceId ${original.traceId} (replay-trace-changed)`]);

    const replayed = await run('replay', String(seqs[0]), '--reason', 'fixed the message', '--operator', 'alice', '--envelope', file);
    expect(replayed.code).toBe(0);
    const subject = bus.names.commandSubject('acme', 'commit', 'CreateCommit');
    expect(replayed.stdout.trim()).toBe(`replayed dead letter ${seqs[0]} to ${subject} (envelope ${original.id}, trace ${original.traceId})`);
    const [onSubject] = await waitForMessages<Envelope>(bus, { stream: bus.names.commandStream('source-control'), subject, predicate: (e) => e.id === original.id });
    expect(onSubject).toMatchObject({ traceId: original.traceId, payload: { message: 'first (fixed)' } });
    const audit = await waitForEvent<Envelope<PayloadOf<'DeadLetterReplayed'>>>(bus, 'operations', 'DeadLetterReplayed', (e) => e.payload.deadLetterSeq === seqs[0]);
    expect(audit.payload).toMatchObject({ operator: { kind: 'user', id: 'alice' }, reason: 'fixed the message', edited: true });
    expect((await run('show', String(seqs[0]))).code).toBe(1);
  });

  it('discards a dead letter', async () => {
    const discarded = await run('discard', String(seqs[1]), '--reason', 'obsolete', '--operator', 'ci-bot', '--operator-kind', 'agent', '--json');
    expect(discarded.code).toBe(0);
    expect(JSON.parse(discarded.stdout)).toEqual({ seq: seqs[1], discarded: true });
    const audit = await waitForEvent<Envelope<PayloadOf<'DeadLetterDiscarded'>>>(bus, 'operations', 'DeadLetterDiscarded', (e) => e.payload.deadLetterSeq === seqs[1]);
    expect(audit.payload.operator).toEqual({ kind: 'agent', id: 'ci-bot' });
    expect(JSON.parse((await run('list', '--json')).stdout).map((d: { seq: number }) => d.seq)).toEqual([seqs[2]]);
  });

  it('runs as `npm run dlq` does (compiled, through tools/run.js)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'tools/run.js'), 'services/ops/src/cli/dlq.cli.ts', 'list', '--json'], {
      cwd: ROOT,
      env: { ...process.env, ...io.env },
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`dlq failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    expect(JSON.parse(stdout).map((d: { seq: number }) => d.seq)).toEqual([seqs[2]]);
  }, 120_000);
});
