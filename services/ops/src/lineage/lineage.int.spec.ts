import { Controller, Module } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { BusPublisher, createEnvelope, IllegalStateError } from '@delivery/messaging';
import { newTraceId } from '@delivery/observability';
import type { ServiceDefinition } from '@delivery/service-kit';
import { eventually } from '@delivery/testing';
import { startOps, type OpsFixture } from '../../test/ops.fixture';
import { LINEAGE_READ, PLATFORM_OPERATOR } from '../ops.scopes';
import type { LinkedLineageEntry } from './lineage-entry';

// A stand-in for the commit service, defined only here: it answers CreateCommit with CommitCreated (inheriting
// trace and causation from the handled message) and rejects a commit whose message says "[reject]".
@Controller()
class CommitProbe {
  constructor(private readonly publisher: BusPublisher) {}

  @EventPattern('CreateCommit')
  async create(@Payload() command: Envelope<PayloadOf<'CreateCommit'>>): Promise<void> {
    const { repositoryId, branch, message } = command.payload;
    if (message.includes('[reject]')) throw new IllegalStateError('repository-archived', `repository ${repositoryId} is archived`);
    const occurredAt = new Date(Date.parse(command.occurredAt) + 1_000);
    await this.publisher.publish(createEnvelope('CommitCreated', { repositoryId, branch, sha: 'a'.repeat(40), message }, { source: 'commit', occurredAt }));
  }
}

@Module({ controllers: [CommitProbe] })
class CommitProbeModule {}

const commitProbe: ServiceDefinition = { name: 'commit', module: CommitProbeModule, auth: false, relay: false };

interface Story {
  traceId: string;
  entries: LinkedLineageEntry[];
  truncated: boolean;
}

describe('lineage read model (ops)', () => {
  let fx: OpsFixture;
  let reader: string;
  const traceId = newTraceId();
  const t0 = Date.now() - 60_000;
  const base = { source: 'agent-mesh', tenantId: 'acme', projectId: 'shop', traceId, correlationId: 'repo-shop-api', actor: { kind: 'agent' as const, id: 'coder-7' } };
  const commit = (message: string, at: number, causationId: string | null) =>
    createEnvelope('CreateCommit', { repositoryId: 'shop-api', branch: 'main', message }, { ...base, causationId, occurredAt: new Date(at) });

  const story = async (id: string, token = reader) => {
    const response = await fx.http().get(`/lineage/${id}`).set('Authorization', `Bearer ${token}`);
    return response;
  };
  const storyWith = (count: number) =>
    eventually(async () => {
      const response = await story(traceId);
      return response.status === 200 && (response.body as Story).entries.length >= count ? (response.body as Story) : undefined;
    }, `${count} lineage entries`, 15_000);

  beforeAll(async () => {
    fx = await startOps();
    await fx.start(commitProbe);
    reader = await fx.token({ scopes: [LINEAGE_READ] });
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('tells the story of one trace in order, with causation links and the dead letters in it', async () => {
    const command = commit('add checkout', t0, null);
    await fx.publisher.publish(command);
    const created = (await storyWith(2)).entries[1]!;
    expect(created).toMatchObject({ type: 'CommitCreated', kind: 'event', causationId: command.id, causedBy: command.id, traceId, tenantId: 'acme' });

    // Rejected by its handler (illegal state) → dead-lettered by the commit service.
    const rejected = commit('force push [reject]', t0 + 2_000, created.id);
    await fx.publisher.publish(rejected);
    // Fails the schema (no message): the transport dead-letters it; the lineage skips the envelope itself.
    const invalid: Record<string, unknown> = { ...commit('x', t0 + 3_000, created.id), payload: { repositoryId: 'shop-api', branch: 'main' } };
    await fx.bus.js.publish(fx.bus.names.commandSubject('acme', 'commit', 'CreateCommit'), JSON.stringify(invalid), { msgID: String(invalid.id) });
    // The same trace in another tenant: never part of acme's story.
    await fx.publisher.publish({ ...commit('globex change', t0 + 500, null), tenantId: 'globex' });

    const { entries } = await storyWith(5);
    expect(entries).toHaveLength(5);
    expect(entries.every((e) => e.tenantId === 'acme' && e.traceId === traceId)).toBe(true);
    expect(entries.slice(0, 3).map((e) => [e.kind, e.type, e.id])).toEqual([
      ['command', 'CreateCommit', command.id],
      ['event', 'CommitCreated', created.id],
      ['command', 'CreateCommit', rejected.id],
    ]);
    const times = entries.map((e) => Date.parse(e.occurredAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    expect(entries[0]).toMatchObject({ causationId: null, causedBy: null, actor: { kind: 'agent', id: 'coder-7' }, correlationId: 'repo-shop-api', projectId: 'shop' });
    expect(entries[0]!.subject).toBe(fx.bus.names.commandSubject('acme', 'commit', 'CreateCommit'));
    expect(entries[0]!.stream).toBe(fx.bus.names.commandStream('source-control'));
    expect(entries[0]!.payload).toEqual(command.payload);
    expect(entries[2]).toMatchObject({ causationId: created.id, causedBy: created.id });

    const deadLetters = entries.filter((e) => e.kind === 'dead-letter');
    expect(deadLetters).toHaveLength(2);
    const ofRejected = deadLetters.find((e) => e.causationId === rejected.id)!;
    expect(ofRejected).toMatchObject({
      type: 'CreateCommit',
      source: 'commit',
      causedBy: rejected.id,
      stream: fx.bus.names.deadLetterStream(),
      deadLetter: { envelopeId: rejected.id, error: { code: 'repository-archived' }, consumer: 'commit-commands', service: 'commit', deliveries: 1 },
    });
    expect(ofRejected.deadLetter!.error.message).toContain('archived');
    expect(ofRejected.deadLetter!.seq).toBe(ofRejected.streamSeq);
    const ofInvalid = deadLetters.find((e) => e.causationId === invalid.id)!;
    // The invalid envelope never made it into the story, so the link has nothing to point at.
    expect(ofInvalid).toMatchObject({ causedBy: null, deadLetter: { error: { code: 'schema' } }, payload: { repositoryId: 'shop-api', branch: 'main' } });
    expect(ofInvalid.deadLetter!.error.message).toMatch(/message/);
  });

  it('records a redelivered or replayed envelope once', async () => {
    const before = (await storyWith(5)).entries.length;
    const event = (await storyWith(5)).entries[1]!;
    const again = createEnvelope(
      'CommitCreated',
      event.payload as PayloadOf<'CommitCreated'>,
      { ...base, id: event.id, causationId: event.causationId, occurredAt: new Date(event.occurredAt), source: event.source },
    );
    await fx.publisher.publish(again, { msgId: `${event.id}:replay:test` });
    // Messages of one correlationId are handled in order: once a later one is recorded, the duplicate was seen.
    const marker = createEnvelope('CommitCreated', { repositoryId: 'shop-api', branch: 'main', sha: 'b'.repeat(40) }, { ...base, traceId: newTraceId() });
    await fx.publisher.publish(marker);
    await eventually(async () => ((await story(marker.traceId)).status === 200 ? true : undefined), 'the marker', 10_000);
    expect((await story(traceId)).body.entries).toHaveLength(before);
  });

  it('finds the same entries by correlationId', async () => {
    const response = await fx.http().get('/lineage').query({ correlationId: 'repo-shop-api' }).set('Authorization', `Bearer ${reader}`);
    expect(response.status).toBe(200);
    expect(response.body.correlationId).toBe('repo-shop-api');
    expect((response.body.entries as LinkedLineageEntry[]).filter((e) => e.traceId === traceId).length).toBe(5);
    expect((await fx.http().get('/lineage').set('Authorization', `Bearer ${reader}`)).status).toBe(400);
  });

  it('is tenant-scoped: another tenant sees its own part or nothing (404); an operator sees every tenant', async () => {
    const globex = await story(traceId, await fx.token({ tenant: 'globex', scopes: [LINEAGE_READ] }));
    expect(globex.status).toBe(200);
    expect((globex.body as Story).entries.map((e) => [e.tenantId, e.type])).toEqual([
      ['globex', 'CreateCommit'],
      ['globex', 'CommitCreated'],
    ]);

    const initech = await story(traceId, await fx.token({ tenant: 'initech', scopes: [LINEAGE_READ] }));
    expect(initech.status).toBe(404);
    expect(initech.body).toMatchObject({ statusCode: 404, message: 'trace not found' });

    const operator = await story(traceId, await fx.token({ tenant: 'platform', scopes: [LINEAGE_READ, PLATFORM_OPERATOR] }));
    expect((operator.body as Story).entries).toHaveLength(7);

    const otherProject = await story(traceId, await fx.token({ scopes: [LINEAGE_READ], projects: ['web'] }));
    expect(otherProject.status).toBe(404);
  });

  it('answers 404 for an unknown trace, 400 for a malformed one, 401 without a token and 403 without the scope', async () => {
    expect((await story(newTraceId())).status).toBe(404);
    const malformed = await story('not-a-trace');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('bad-trace-id');
    expect((await fx.http().get(`/lineage/${traceId}`)).status).toBe(401);
    expect((await story(traceId, await fx.token({ scopes: [] }))).status).toBe(403);
  });
});
