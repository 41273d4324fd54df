import { createEnvelope } from './envelope.factory';
import { decodeEnvelope, encodeEnvelope } from './codec';
import { backoffDelay } from './transport.types';
import { uuidv7 } from './uuidv7';
import { ConcurrencyError, dispositionOf, httpStatusOf, IllegalStateError, NotFoundError, TransientError, ValidationError } from './platform-error';
import { runWithTrace } from '@delivery/observability';

const enc = new TextEncoder();

describe('uuidv7', () => {
  it('is a version-7, variant-1 UUID that sorts by creation time, even within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('carries its timestamp in the first 48 bits', () => {
    const id = uuidv7(Date.UTC(2030, 0, 1));
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(Date.UTC(2030, 0, 1));
  });
});

describe('backoff', () => {
  it('doubles from the initial delay up to the cap, with ±20% jitter', () => {
    for (let i = 0; i < 100; i++) {
      expect(backoffDelay(1, { initialMs: 1000, maxMs: 60_000 })).toBeGreaterThanOrEqual(800);
      expect(backoffDelay(1, { initialMs: 1000, maxMs: 60_000 })).toBeLessThanOrEqual(1200);
      expect(backoffDelay(4, { initialMs: 1000, maxMs: 60_000 })).toBeGreaterThanOrEqual(6400);
      expect(backoffDelay(30, { initialMs: 1000, maxMs: 60_000 })).toBeLessThanOrEqual(72_000);
    }
  });
});

describe('envelopes', () => {
  const base = { source: 'test', tenantId: 'acme', projectId: 'shop' };

  it('inherits trace, tenant, correlation and causation from the message being handled', () => {
    const inherited = runWithTrace(
      { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), tenantId: 'acme', projectId: 'shop', causationId: '0190a0a0-0000-7000-8000-000000000001', correlationId: 'release-9', actor: { kind: 'agent', id: 'a-1' } },
      () => createEnvelope('CommitCreated', { repositoryId: 'r', branch: 'main', sha: 'c'.repeat(40) }, { source: 'commit' }),
    );
    expect(inherited).toMatchObject({ traceId: 'a'.repeat(32), tenantId: 'acme', causationId: '0190a0a0-0000-7000-8000-000000000001', correlationId: 'release-9', actor: { kind: 'agent', id: 'a-1' }, kind: 'event' });
  });

  it('starts a new trace outside any handled message, and refuses to guess a tenant', () => {
    const origin = createEnvelope('CreateCommit', { repositoryId: 'r', branch: 'main', message: 'm' }, base);
    expect(origin).toMatchObject({ causationId: null, correlationId: origin.id, kind: 'command', actor: { kind: 'service', id: 'test' } });
    expect(() => createEnvelope('CreateCommit', { repositoryId: 'r', branch: 'main', message: 'm' }, { source: 'x' })).toThrow(/tenantId and projectId are required/);
  });

  it('round-trips through the codec and rejects what breaks the contract, with the reason', () => {
    const envelope = createEnvelope('CreateCommit', { repositoryId: 'r', branch: 'main', message: 'm' }, base);
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual({ ok: true, envelope });
    expect(decodeEnvelope(enc.encode('{'))).toMatchObject({ ok: false, code: 'not-json' });
    expect(decodeEnvelope(enc.encode(JSON.stringify({ ...envelope, extra: 1 })))).toMatchObject({ ok: false, code: 'schema' });
    expect(decodeEnvelope(enc.encode(JSON.stringify(envelope)), 10)).toMatchObject({ ok: false, code: 'too-large', reason: expect.stringMatching(/limit is 10/) });
    expect(() => encodeEnvelope({ ...envelope, payload: { repositoryId: 'r' } } as never)).toThrow(/CreateCommit/);
  });
});

describe('coded errors: one mapping to HTTP and to the bus', () => {
  it.each([
    [new ValidationError('bad', 'bad'), 400, 'reject'],
    [new IllegalStateError('state', 'state'), 409, 'reject'],
    [new NotFoundError('nf', 'nf'), 404, 'reject'],
    [new ConcurrencyError('race', 'race'), 409, 'retry'],
    [new TransientError('down', 'down'), 503, 'retry'],
    [new Error('a bug'), 500, 'retry'],
  ])('%s → %i / %s', (error, status, disposition) => {
    expect(httpStatusOf(error)).toBe(status);
    expect(dispositionOf(error)).toBe(disposition);
  });
});
