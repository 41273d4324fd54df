import { validateEnvelope, validatePayload, definitionOf } from './validate';
import type { Envelope } from './envelope';

function envelope(type: string, payload: unknown, overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: '0192f3a4-5b6c-7d8e-9f01-23456789abcd',
    type,
    schemaVersion: 1,
    kind: 'command',
    source: 'agent-mesh',
    tenantId: 'acme',
    projectId: 'shop',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    causationId: null,
    correlationId: 'repo-1',
    actor: { kind: 'agent', id: 'coder-7' },
    occurredAt: '2026-01-02T03:04:05.678Z',
    payload,
    ...overrides,
  };
}

const sha = 'a'.repeat(40);

describe('validateEnvelope', () => {
  it('accepts a minimal CreateCommit (repositoryId, branch, message)', () => {
    const result = validateEnvelope(envelope('CreateCommit', { repositoryId: 'repo-1', branch: 'main', message: 'Add readme' }));
    expect(result).toEqual({ ok: true, value: expect.objectContaining({ type: 'CreateCommit' }) });
  });

  it('accepts a full CreateCommit and a CommitCreated event', () => {
    const full = {
      repositoryId: '0192f3a4-5b6c-7d8e-9f01-23456789abcd',
      branch: 'feature/login',
      message: 'Add login',
      changes: [
        { action: 'add', path: 'src/login.ts', content: 'export {}\n' },
        { action: 'update', path: 'README.md', content: 'IyBIZWxsbw==', encoding: 'base64' },
        { action: 'delete', path: 'old.txt' },
      ],
      author: { kind: 'agent', id: 'coder-7', name: 'Coder Seven', email: 'coder7@agents.example.com' },
      expectedParentSha: sha,
      idempotencyKey: 'artifact-42:v1',
      artifactId: 'artifact-42',
      trailers: { 'Release-Id': 'r-1' },
    };
    expect(validateEnvelope(envelope('CreateCommit', full)).ok).toBe(true);
    const created = envelope('CommitCreated', { repositoryId: 'repo-1', branch: 'main', sha }, { kind: 'event', source: 'commit' });
    expect(validateEnvelope(created).ok).toBe(true);
  });

  it('answers an unknown type with its own code', () => {
    expect(validateEnvelope(envelope('LaunchRocket', {}))).toEqual({ ok: false, code: 'unknown-type', reason: 'unknown message type "LaunchRocket"' });
    expect(definitionOf('LaunchRocket')).toBeUndefined();
    expect(definitionOf('toString')).toBeUndefined();
  });

  it('explains a payload that fails its schema: field, rule and offending property', () => {
    const result = validateEnvelope(envelope('CreateCommit', { repositoryId: 'repo-1', branch: 'main', message: '', colour: 'red' }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('schema');
    expect(result.reason).toMatch(/^CreateCommit: /);
    expect(result.reason).toContain('/payload must NOT have additional properties (colour)');
    expect(result.reason).toContain('/payload/message must NOT have fewer than 1 characters');
  });

  it('names allowed values of an enum', () => {
    const result = validateEnvelope(envelope('ReviewPullRequest', { pullRequestId: 'pr-1', decision: 'maybe' }));
    expect(result).toMatchObject({ ok: false, code: 'schema' });
    expect(!result.ok && result.reason).toContain('/payload/decision must be equal to one of the allowed values (approve, request-changes)');
  });

  it('rejects a bad envelope before looking at the type', () => {
    const result = validateEnvelope(envelope('CreateCommit', {}, { tenantId: 'ACME', traceId: 'nope' }));
    expect(result).toMatchObject({ ok: false, code: 'schema' });
    expect(!result.ok && result.reason).toMatch(/^envelope: .*\/tenantId must match pattern/);
    expect(validateEnvelope('not an object')).toMatchObject({ ok: false, code: 'schema' });
    const { payload: _payload, ...missing } = envelope('CreateCommit', {});
    expect(validateEnvelope(missing)).toMatchObject({ ok: false, reason: expect.stringContaining("must have required property 'payload'") });
  });

  it('refuses a command sent as an event (and the reverse) with a plain reason', () => {
    const asEvent = validateEnvelope(envelope('CreateCommit', { repositoryId: 'r', branch: 'main', message: 'm' }, { kind: 'event' }));
    expect(asEvent).toEqual({ ok: false, code: 'schema', reason: 'CreateCommit is a command, but the envelope says kind "event"' });
    const asCommand = validateEnvelope(envelope('CommitCreated', { repositoryId: 'r', branch: 'main', sha }));
    expect(asCommand).toMatchObject({ ok: false, reason: 'CommitCreated is an event, but the envelope says kind "command"' });
  });
});

describe('validatePayload', () => {
  it('checks a payload alone', () => {
    expect(validatePayload('CreateBranch', { repositoryId: 'repo-1', name: 'request/42', from: { branch: 'main' } })).toMatchObject({ ok: true });
    expect(validatePayload('CreateBranch', { repositoryId: 'repo-1', name: 'request/42', from: { sha: 'abc' } })).toMatchObject({ ok: false, code: 'schema' });
  });
});
