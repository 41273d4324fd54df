import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { bootstrapService, type RunningService } from '@delivery/service-kit';
import { createTestBus, createTestDatabase, eventually, waitForDeadLetters, waitForEvent, type TestBus, type TestDatabase } from '@delivery/testing';
import { BusPublisher, createEnvelope, DeadLetters, type DeadLetterRecord } from '../src';
import { probeControl, probeService } from './probe.service';

const MAX_DELIVER = 3;

describe('JetStream transport with a probe service (real NATS + Postgres)', () => {
  let bus: TestBus;
  let db: TestDatabase;
  let service: RunningService;
  let publisher: BusPublisher;
  let deadLetters: DeadLetters;
  const subject = () => bus.names.commandSubject('acme', 'commit', 'CreateCommit');

  const command = (message: string, overrides: Partial<Envelope> = {}) =>
    ({
      ...createEnvelope('CreateCommit', { repositoryId: 'repo-1', branch: 'main', message } satisfies PayloadOf<'CreateCommit'>, {
        source: 'test-agent',
        tenantId: 'acme',
        projectId: 'shop',
        actor: { kind: 'agent', id: 'agent-7' },
      }),
      ...overrides,
    }) as Envelope;

  const rows = async (message: string) =>
    (await service.dataSource.query(`SELECT envelope_id, deliveries FROM probe_commits WHERE message = $1`, [message])) as Array<{ envelope_id: string; deliveries: number }>;

  const rawPublish = (data: Uint8Array | string, msgId: string) => {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', msgId);
    return jetstream(bus.nc).publish(subject(), typeof data === 'string' ? new TextEncoder().encode(data) : data, { headers: h });
  };

  const deadLetterFor = async (predicate: (r: DeadLetterRecord) => boolean) => (await waitForDeadLetters<DeadLetterRecord>(bus, 1, predicate))[0]!;

  beforeAll(async () => {
    bus = await createTestBus({ maxDeliver: MAX_DELIVER, ackWaitSeconds: 5 });
    db = await createTestDatabase();
    service = await bootstrapService(probeService, {
      BUS_NAMESPACE: bus.names.namespace,
      DATABASE_URL: db.url,
      LOG_LEVEL: 'silent',
      RETRY_INITIAL_MS: 20,
      RETRY_MAX_MS: 100,
    });
    publisher = new BusPublisher(bus.js, bus.names);
    deadLetters = new DeadLetters(bus.js, bus.jsm, bus.names);
  });

  afterAll(async () => {
    await service?.close();
    await bus?.close();
    await db?.drop();
  });

  it('handles a valid command: one state row, one event through the relay carrying the traceId and causation', async () => {
    const cmd = command('first commit');
    await publisher.publish(cmd);
    const event = await waitForEvent<Envelope<PayloadOf<'CommitCreated'>>>(bus, 'source-control', 'CommitCreated', (e) => e.causationId === cmd.id);
    expect(event).toMatchObject({ traceId: cmd.traceId, tenantId: 'acme', projectId: 'shop', correlationId: cmd.correlationId, actor: cmd.actor, source: 'commit' });
    expect(await rows('first commit')).toEqual([{ envelope_id: cmd.id, deliveries: 1 }]);
  });

  it('has exactly one effect when the same envelope arrives twice (producer retry outside the duplicate window)', async () => {
    const cmd = command('sent twice');
    await publisher.publish(cmd);
    await publisher.publish(cmd, { msgId: `${cmd.id}:second-attempt` });
    await waitForEvent(bus, 'source-control', 'CommitCreated', (e: Envelope) => e.causationId === cmd.id);
    const after = command('after duplicates');
    await publisher.publish(after);
    await waitForEvent(bus, 'source-control', 'CommitCreated', (e: Envelope) => e.causationId === after.id);
    expect(await rows('sent twice')).toHaveLength(1);
  });

  describe('bad input lands in the dead-letter stream with a readable reason, and the consumer goes on', () => {
    it('non-JSON bytes', async () => {
      await rawPublish('\u0000not json at all', 'raw-1');
      const letter = await deadLetterFor((r) => r.error.code === 'not-json');
      expect(letter).toMatchObject({ envelope: null, service: 'commit', consumer: 'commit-commands', deliveries: 1 });
      expect(Buffer.from(letter.rawBase64!, 'base64').toString()).toBe('\u0000not json at all');
      expect(letter.error.message).toMatch(/not a UTF-8 JSON document/);
    });

    it('JSON failing the schema', async () => {
      const bad = command('schema');
      (bad.payload as Record<string, unknown>).branch = '';
      await rawPublish(JSON.stringify(bad), bad.id);
      const letter = await deadLetterFor((r) => r.error.code === 'schema');
      expect(letter.error.message).toMatch(/CreateCommit: \/payload\/branch/);
      expect((letter.envelope as Envelope).id).toBe(bad.id);
    });

    it('unknown type', async () => {
      const unknown = { ...command('unknown'), type: 'LaunchRockets' };
      await rawPublish(JSON.stringify(unknown), unknown.id);
      const letter = await deadLetterFor((r) => r.error.code === 'unknown-type');
      expect(letter.error.message).toBe('unknown message type "LaunchRockets"');
    });

    it('missing tenant', async () => {
      const { tenantId: _tenantId, ...noTenant } = command('no tenant');
      await rawPublish(JSON.stringify(noTenant), noTenant.id);
      const letter = await deadLetterFor((r) => r.error.code === 'schema' && r.error.message.includes('tenantId'));
      expect(letter.error.message).toMatch(/must have required property 'tenantId'/);
    });

    it('payload over the size limit', async () => {
      const big = command('x'.repeat(300 * 1024));
      await rawPublish(JSON.stringify(big), big.id);
      const letter = await deadLetterFor((r) => r.error.code === 'too-large');
      expect(letter.error.message).toMatch(/the limit is 262144/);
      expect(letter.rawBytes).toBeGreaterThan(300 * 1024);
    });

    it('subject tenant different from the envelope tenantId', async () => {
      const other = command('wrong tenant', { tenantId: 'globex' });
      await rawPublish(JSON.stringify(other), other.id);
      const letter = await deadLetterFor((r) => r.error.code === 'tenant-mismatch');
      expect(letter.error.message).toBe('subject tenant "acme" differs from envelope tenantId "globex"');
    });

    it('an illegal-state error is dead-lettered at once, without retries', async () => {
      const illegal = command('[illegal] archived');
      await publisher.publish(illegal);
      const letter = await deadLetterFor((r) => r.error.code === 'probe-illegal');
      expect(letter.deliveries).toBe(1);
      expect(letter.error.message).toBe('repository repo-1 is archived');
    });

    it('a handler that always throws: retried with backoff, dead-lettered on the last allowed delivery', async () => {
      const broken = command('[always-throws] boom');
      await publisher.publish(broken);
      const letter = await deadLetterFor((r) => (r.envelope as Envelope | null)?.id === broken.id);
      expect(letter.deliveries).toBe(MAX_DELIVER);
      expect(letter.error.message).toBe(`gave up after ${MAX_DELIVER} deliveries: probe handler broken for "[always-throws] boom"`);
      expect(await rows('[always-throws] boom')).toEqual([]);
    });

    it('the consumer went on: a valid message after all of them is handled, and nothing was lost', async () => {
      const after = command('after the bad ones');
      await publisher.publish(after);
      await waitForEvent(bus, 'source-control', 'CommitCreated', (e: Envelope) => e.causationId === after.id);
      // the ack follows the commit, and the relay may publish the event before the ack reaches the server
      const info = await eventually(async () => {
        const current = await bus.jsm.consumers.info(bus.names.commandStream('source-control'), 'commit-commands');
        return current.num_ack_pending === 0 ? current : undefined;
      }, 'the last message acked', 10_000);
      expect(info.num_pending).toBe(0);
      const letters = await deadLetters.list({ service: 'commit' });
      expect(letters.map((l) => l.error.code).sort()).toEqual(
        ['handler-error', 'not-json', 'probe-illegal', 'schema', 'schema', 'tenant-mismatch', 'too-large', 'unknown-type'].sort(),
      );
    });
  });

  describe('replay', () => {
    it('a replayed, now-valid message is processed exactly once, keeping its id and traceId', async () => {
      const [letter] = (await deadLetters.list({ service: 'commit' })).filter((l) => l.error.code === 'schema' && l.envelopeId && !l.error.message.includes('tenantId'));
      const original = (await deadLetters.show(letter!.seq)).record.envelope as Envelope<PayloadOf<'CreateCommit'>>;
      const corrected = { ...original, payload: { ...original.payload, branch: 'main' } };

      await expect(deadLetters.replay(letter!.seq, { operator: { kind: 'user', id: 'oncall' }, reason: 'fixed the branch', envelope: { ...corrected, traceId: 'f'.repeat(32) } })).rejects.toThrow(
        /keeps the traceId/,
      );
      const replayed = await deadLetters.replay(letter!.seq, { operator: { kind: 'user', id: 'oncall' }, reason: 'fixed the branch', envelope: corrected });
      expect(replayed.envelope.id).toBe(original.id);

      const event = await waitForEvent<Envelope>(bus, 'source-control', 'CommitCreated', (e) => e.causationId === original.id);
      expect(event.traceId).toBe(original.traceId);
      const audit = await waitForEvent<Envelope<PayloadOf<'DeadLetterReplayed'>>>(bus, 'operations', 'DeadLetterReplayed', (e) => e.payload.deadLetterSeq === letter!.seq);
      expect(audit).toMatchObject({ traceId: original.traceId, causationId: original.id, actor: { kind: 'user', id: 'oncall' } });
      expect(audit.payload).toMatchObject({ reason: 'fixed the branch', edited: true, consumer: 'commit-commands' });
      await expect(deadLetters.show(letter!.seq)).rejects.toThrow(/no dead letter/);

      // Replaying the same envelope again (say, from a copy) has no second effect: the inbox remembers it.
      await publisher.publish(corrected, { msgId: `${corrected.id}:again` });
      const marker = command('after second replay');
      await publisher.publish(marker);
      await waitForEvent(bus, 'source-control', 'CommitCreated', (e: Envelope) => e.causationId === marker.id);
      expect(await rows('schema')).toHaveLength(1);
    });

    it('after the handler is fixed, replaying its dead letter applies it once', async () => {
      probeControl.failUntilFixed = false;
      const [letter] = (await deadLetters.list({ service: 'commit' })).filter((l) => l.error.code === 'handler-error');
      await deadLetters.replay(letter!.seq, { operator: { kind: 'user', id: 'oncall' }, reason: 'deployed the fix' });
      await waitForEvent(bus, 'source-control', 'CommitCreated', (e: Envelope) => e.causationId === letter!.envelopeId);
      expect(await rows('[always-throws] boom')).toHaveLength(1);
    });

    it('discard records who and why, and removes the dead letter', async () => {
      const [letter] = (await deadLetters.list({ service: 'commit' })).filter((l) => l.error.code === 'unknown-type');
      await expect(deadLetters.discard(letter!.seq, { operator: { kind: 'user', id: 'oncall' }, reason: ' ' })).rejects.toThrow(/needs a reason/);
      await deadLetters.discard(letter!.seq, { operator: { kind: 'user', id: 'oncall' }, reason: 'rockets are not our business' });
      const audit = await waitForEvent<Envelope<PayloadOf<'DeadLetterDiscarded'>>>(bus, 'operations', 'DeadLetterDiscarded', (e) => e.payload.deadLetterSeq === letter!.seq);
      expect(audit.payload.reason).toBe('rockets are not our business');
      expect((await deadLetters.list({ service: 'commit' })).map((l) => l.seq)).not.toContain(letter!.seq);
    });

    it('a dead letter without an envelope can only be replayed with a corrected one', async () => {
      const [letter] = (await deadLetters.list({ service: 'commit' })).filter((l) => l.error.code === 'not-json');
      await expect(deadLetters.replay(letter!.seq, { operator: { kind: 'user', id: 'oncall' }, reason: 'retry' })).rejects.toThrow(/holds no envelope/);
    });
  });
});
