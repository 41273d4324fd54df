import type { Envelope, PayloadOf } from '@delivery/contracts';
import { createEnvelope, type DeadLetterRecord } from '@delivery/messaging';
import { waitForEvent, waitForMessages } from '@delivery/testing';
import { eventually } from '@delivery/testing';
import { startOps, type OpsFixture } from '../../test/ops.fixture';
import { DEAD_LETTERS_READ, DEAD_LETTERS_REPLAY, LINEAGE_READ, PLATFORM_OPERATOR } from '../ops.scopes';
import type { LinkedLineageEntry } from '../lineage/lineage-entry';

describe('dead-letter REST (ops)', () => {
  let fx: OpsFixture;
  let reader: string;
  let operatorToken: string;
  let replayer: string;
  const seqs: Record<'a1' | 'a2' | 'a3' | 'g1' | 'u1', number> = { a1: 0, a2: 0, a3: 0, g1: 0, u1: 0 };
  let a1: Envelope<PayloadOf<'CreateCommit'>>;
  let a2: Envelope<PayloadOf<'CreateCommit'>>;

  const commit = (tenantId: string, message: string) =>
    createEnvelope('CreateCommit', { repositoryId: 'shop-api', branch: 'main', message }, { source: 'agent-mesh', tenantId, projectId: 'shop' });

  // Stores a dead letter the way the transport does (the record, on devops.dlq.<service>.<Type>).
  async function deadLetter(envelope: Envelope | null, service: string, code: string): Promise<number> {
    const names = fx.bus.names;
    const record: DeadLetterRecord = {
      envelope,
      rawBase64: envelope ? null : Buffer.from('not json at all').toString('base64'),
      rawBytes: 15,
      error: { code, message: `${code}: the handler said no` },
      deliveries: envelope ? 5 : 1,
      service,
      consumer: `${service}-commands`,
      stream: names.commandStream('source-control'),
      streamSeq: 1,
      subject: envelope ? fx.publisher.subjectOf(envelope) : names.commandSubject('acme', 'commit', 'CreateCommit'),
      deadLetteredAt: new Date().toISOString(),
    };
    const ack = await fx.bus.js.publish(names.deadLetterSubject(service, envelope?.type ?? 'unknown'), JSON.stringify(record));
    return ack.seq;
  }

  const as = (token: string) => ({
    get: (path: string) => fx.http().get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string, body?: object) => {
      const req = fx.http().post(path).set('Authorization', `Bearer ${token}`);
      return body === undefined ? req : req.send(body);
    },
  });

  beforeAll(async () => {
    fx = await startOps();
    reader = await fx.token({ scopes: [DEAD_LETTERS_READ] });
    replayer = await fx.token({ scopes: [DEAD_LETTERS_READ, DEAD_LETTERS_REPLAY, LINEAGE_READ] });
    operatorToken = await fx.token({ sub: 'oncall', tenant: 'platform', scopes: [DEAD_LETTERS_READ, DEAD_LETTERS_REPLAY, PLATFORM_OPERATOR, LINEAGE_READ] });
    a1 = commit('acme', 'first');
    a2 = commit('acme', 'second');
    seqs.a1 = await deadLetter(a1, 'commit', 'handler-failed');
    seqs.a2 = await deadLetter(a2, 'commit', 'illegal-state');
    seqs.a3 = await deadLetter(createEnvelope('CreateBranch', { name: 'feature/x', repositoryId: 'shop-api', from: { branch: 'main' } }, { source: 'agent-mesh', tenantId: 'acme', projectId: 'shop' }), 'branch', 'schema');
    seqs.g1 = await deadLetter(commit('globex', 'theirs'), 'commit', 'handler-failed');
    seqs.u1 = await deadLetter(null, 'commit', 'not-json');
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('lists only the caller tenant’s dead letters, with service/type/limit filters; an operator sees all', async () => {
    const mine = await as(reader).get('/dead-letters');
    expect(mine.status).toBe(200);
    expect(mine.body.deadLetters.map((d: { seq: number }) => d.seq)).toEqual([seqs.a1, seqs.a2, seqs.a3]);
    expect(mine.body.deadLetters[0]).toMatchObject({ service: 'commit', type: 'CreateCommit', envelopeId: a1.id, traceId: a1.traceId, tenantId: 'acme', error: { code: 'handler-failed' }, deliveries: 5 });

    expect((await as(reader).get('/dead-letters?service=branch')).body.deadLetters.map((d: { seq: number }) => d.seq)).toEqual([seqs.a3]);
    expect((await as(reader).get('/dead-letters?type=CreateCommit')).body.deadLetters.map((d: { seq: number }) => d.seq)).toEqual([seqs.a1, seqs.a2]);
    expect((await as(reader).get('/dead-letters?limit=1')).body.deadLetters).toHaveLength(1);

    const all = await as(operatorToken).get('/dead-letters');
    expect(all.body.deadLetters.map((d: { seq: number }) => d.seq)).toEqual([seqs.a1, seqs.a2, seqs.a3, seqs.g1, seqs.u1]);
  });

  it('rejects bad list parameters with 400 and callers without the scope with 401/403', async () => {
    for (const query of ['limit=0', 'limit=abc', 'limit=1001', 'service=a.b', 'service=*', 'type=>']) {
      const response = await as(reader).get(`/dead-letters?${query}`);
      expect([query, response.status]).toEqual([query, 400]);
    }
    expect((await fx.http().get('/dead-letters')).status).toBe(401);
    expect((await as(await fx.token({ scopes: [LINEAGE_READ] })).get('/dead-letters')).status).toBe(403);
  });

  it('shows one dead letter; another tenant’s or an unknown one is 404, a malformed seq 400', async () => {
    const shown = await as(reader).get(`/dead-letters/${seqs.a1}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ seq: seqs.a1, envelopeId: a1.id, record: { envelope: { id: a1.id }, service: 'commit', consumer: 'commit-commands' } });

    expect((await as(reader).get(`/dead-letters/${seqs.g1}`)).status).toBe(404);
    expect((await as(reader).get(`/dead-letters/${seqs.u1}`)).status).toBe(404);
    const unknown = await as(reader).get('/dead-letters/999999');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('999999');
    for (const seq of ['abc', '1.5', '0', '-3', '1e3']) {
      const response = await as(reader).get(`/dead-letters/${seq}`);
      expect([seq, response.status, response.body.code]).toEqual([seq, 400, 'bad-seq']);
    }

    const theirs = await as(operatorToken).get(`/dead-letters/${seqs.g1}`);
    expect(theirs.body.tenantId).toBe('globex');
    const unreadable = await as(operatorToken).get(`/dead-letters/${seqs.u1}`);
    expect(unreadable.body).toMatchObject({ envelopeId: null, tenantId: null, record: { envelope: null, rawBase64: Buffer.from('not json at all').toString('base64') } });
  });

  it('refuses replays without a reason, that change id, traceId or tenant, or that are invalid (400), and unknown ones (404)', async () => {
    const path = `/dead-letters/${seqs.a1}/replay`;
    const noReason = await as(replayer).post(path, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ code: 'reason-required' });
    expect(noReason.body.message).toMatch(/reason/);
    expect((await as(replayer).post(path)).status).toBe(400);
    expect((await as(replayer).post(path, { reason: '   ' })).status).toBe(400);

    const otherId = await as(replayer).post(path, { reason: 'fix', envelope: { ...a1, id: commit('acme', 'x').id } });
    expect([otherId.status, otherId.body.code]).toEqual([400, 'replay-id-changed']);
    const otherTrace = await as(replayer).post(path, { reason: 'fix', envelope: { ...a1, traceId: '0af7651916cd43dd8448eb211c80319c' } });
    expect([otherTrace.status, otherTrace.body.code]).toEqual([400, 'replay-trace-changed']);
    const otherTenant = await as(replayer).post(path, { reason: 'fix', envelope: { ...a1, tenantId: 'globex' } });
    expect([otherTenant.status, otherTenant.body.code]).toEqual([400, 'replay-tenant-changed']);
    const invalid = await as(replayer).post(path, { reason: 'fix', envelope: { ...a1, payload: { repositoryId: 'shop-api' } } });
    expect([invalid.status, invalid.body.code]).toEqual([400, 'replay-schema']);
    expect((await as(replayer).post(path, { reason: 'fix', envelope: [1] })).status).toBe(400);

    expect((await as(replayer).post('/dead-letters/999999/replay', { reason: 'fix' })).status).toBe(404);
    expect((await as(replayer).post(`/dead-letters/${seqs.g1}/replay`, { reason: 'fix' })).status).toBe(404);
    expect((await as(replayer).post('/dead-letters/x/replay', { reason: 'fix' })).status).toBe(400);
    expect((await as(reader).post(path, { reason: 'fix' })).status).toBe(403);
    const nothing = await as(operatorToken).post(`/dead-letters/${seqs.u1}/replay`, { reason: 'retry' });
    expect([nothing.status, nothing.body.code]).toEqual([400, 'nothing-to-replay']);
    // Nothing above touched the dead letter.
    expect((await as(reader).get(`/dead-letters/${seqs.a1}`)).status).toBe(200);
  });

  it('replays a corrected envelope to its original subject with the same id and traceId, audited in the lineage', async () => {
    // The lineage has indexed the dead letter before it leaves the stream.
    await eventually(async () => ((await as(replayer).get(`/lineage/${a1.traceId}`)).status === 200 ? true : undefined), 'the dead letter in the lineage', 10_000);
    const corrected = { ...a1, payload: { ...a1.payload, message: 'first (fixed)' } };
    const replayed = await as(replayer).post(`/dead-letters/${seqs.a1}/replay`, { reason: 'payload fixed by hand', envelope: corrected });
    expect(replayed.status).toBe(200);
    const subject = fx.bus.names.commandSubject('acme', 'commit', 'CreateCommit');
    expect(replayed.body).toEqual({ seq: seqs.a1, subject, envelopeId: a1.id, traceId: a1.traceId, edited: true });
    expect((await as(reader).get(`/dead-letters/${seqs.a1}`)).status).toBe(404);

    const [onSubject] = await waitForMessages<Envelope>(fx.bus, { stream: fx.bus.names.commandStream('source-control'), subject, predicate: (e) => e.id === a1.id });
    expect(onSubject).toMatchObject({ id: a1.id, traceId: a1.traceId, payload: { message: 'first (fixed)' } });

    const audit = await waitForEvent<Envelope<PayloadOf<'DeadLetterReplayed'>>>(fx.bus, 'operations', 'DeadLetterReplayed', (e) => e.payload.deadLetterSeq === seqs.a1);
    expect(audit).toMatchObject({
      traceId: a1.traceId,
      tenantId: 'acme',
      causationId: a1.id,
      actor: { kind: 'user', id: 'alice' },
      payload: { envelopeId: a1.id, reason: 'payload fixed by hand', operator: { kind: 'user', id: 'alice' }, edited: true, originalSubject: subject },
    });

    const story = await eventually(async () => {
      const response = await as(replayer).get(`/lineage/${a1.traceId}`);
      const entries = response.body.entries as LinkedLineageEntry[] | undefined;
      return entries && entries.length >= 3 ? entries : undefined;
    }, 'the replay in the lineage', 10_000);
    // In occurrence order: the command (its original time, kept by the replay), its dead letter, the replay.
    expect(story.map((e) => [e.kind, e.type, e.id === a1.id])).toEqual([
      ['command', 'CreateCommit', true],
      ['dead-letter', 'CreateCommit', false],
      ['event', 'DeadLetterReplayed', false],
    ]);
    const auditEntry = story.find((e) => e.type === 'DeadLetterReplayed')!;
    expect(auditEntry).toMatchObject({ causedBy: a1.id, actor: { kind: 'user', id: 'alice' } });
    expect(story.find((e) => e.kind === 'dead-letter')).toMatchObject({ causedBy: a1.id, deadLetter: { seq: seqs.a1, error: { code: 'handler-failed' } } });
  });

  it('discards with a reason (400 without), audited; the dead letter is gone', async () => {
    const path = `/dead-letters/${seqs.a2}/discard`;
    const noReason = await as(replayer).post(path, {});
    expect([noReason.status, noReason.body.code]).toEqual([400, 'reason-required']);
    expect((await as(reader).post(path, { reason: 'obsolete' })).status).toBe(403);
    expect((await as(replayer).post(`/dead-letters/${seqs.g1}/discard`, { reason: 'not mine' })).status).toBe(404);

    const discarded = await as(replayer).post(path, { reason: 'obsolete commit' });
    expect(discarded.status).toBe(200);
    expect(discarded.body).toEqual({ seq: seqs.a2, discarded: true });
    expect((await as(reader).get(`/dead-letters/${seqs.a2}`)).status).toBe(404);
    expect((await as(replayer).post(path, { reason: 'again' })).status).toBe(404);

    const story = await eventually(async () => {
      const entries = (await as(replayer).get(`/lineage/${a2.traceId}`)).body.entries as LinkedLineageEntry[] | undefined;
      return entries?.find((e) => e.type === 'DeadLetterDiscarded');
    }, 'the discard in the lineage', 10_000);
    expect(story).toMatchObject({ kind: 'event', tenantId: 'acme', causationId: a2.id, payload: { reason: 'obsolete commit', operator: { kind: 'user', id: 'alice' } } });

    // An operator acts across tenants; the audit names the operator.
    expect((await as(operatorToken).post(`/dead-letters/${seqs.g1}/discard`, { reason: 'tenant offboarded' })).status).toBe(200);
    const audit = await waitForEvent<Envelope<PayloadOf<'DeadLetterDiscarded'>>>(fx.bus, 'operations', 'DeadLetterDiscarded', (e) => e.payload.deadLetterSeq === seqs.g1);
    expect(audit).toMatchObject({ tenantId: 'globex', payload: { operator: { kind: 'user', id: 'oncall' } } });
  });
});
