import { BusNames } from '@delivery/contracts';
import type { DeadLetterRecord } from '@delivery/messaging';
import { deadLetterEntry, linkCausation, nameBasedUuid, type RecordedLineageEntry } from './lineage-entry';

const names = new BusNames('devops');
const at = { subject: 'devops.dlq.commit.CreateCommit', stream: 'DEVOPS_DLQ', seq: 12 };
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const record = (envelope: DeadLetterRecord['envelope'], subject = 'devops.acme.cmd.commit.CreateCommit'): DeadLetterRecord => ({
  envelope,
  rawBase64: null,
  rawBytes: 10,
  error: { code: 'schema', message: 'bad' },
  deliveries: 1,
  service: 'commit',
  consumer: 'commit-commands',
  stream: 'DEVOPS_CMD_SOURCE_CONTROL',
  streamSeq: 3,
  subject,
  deadLetteredAt: '2026-01-01T00:00:00.000Z',
});

describe('deadLetterEntry', () => {
  it('given a record without a readable traceId, when mapped, then it joins no story', () => {
    expect(deadLetterEntry(record(null), at, names)).toBeUndefined();
    expect(deadLetterEntry(record({ traceId: 'nope', tenantId: 'acme' }), at, names)).toBeUndefined();
  });

  it('given an envelope missing its tenant, when mapped, then the tenant comes from the original subject', () => {
    const entry = deadLetterEntry(record({ traceId, type: 'CreateCommit', id: 'not-a-uuid' }), at, names)!;
    expect(entry).toMatchObject({ tenantId: 'acme', kind: 'dead-letter', type: 'CreateCommit', causationId: null, projectId: null, actor: null, occurredAt: '2026-01-01T00:00:00.000Z' });
    expect(entry.deadLetter).toMatchObject({ seq: 12, envelopeId: null, originalSeq: 3, error: { code: 'schema' } });
    expect(deadLetterEntry(record({ traceId }, 'elsewhere'), at, names)).toBeUndefined();
  });

  it('given the same dead letter twice, when mapped, then both get the same id (a redelivery adds no row)', () => {
    const envelope = { traceId, tenantId: 'acme', id: '0192f3a4-5b6c-7d8e-9f01-23456789abcd' };
    const first = deadLetterEntry(record(envelope), at, names)!;
    expect(deadLetterEntry(record(envelope), at, names)!.id).toBe(first.id);
    expect(first.id).toBe(nameBasedUuid('dead-letter:DEVOPS_DLQ:12'));
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.causationId).toBe(envelope.id);
  });
});

describe('linkCausation', () => {
  it('given a cause outside the visible story, when linked, then causedBy is null but causationId stays', () => {
    const entry = (id: string, causationId: string | null) => ({ id, causationId }) as RecordedLineageEntry;
    expect(linkCausation([entry('a', null), entry('b', 'a'), entry('c', 'x')]).map((e) => [e.id, e.causedBy, e.causationId])).toEqual([
      ['a', null, null],
      ['b', 'a', 'a'],
      ['c', null, 'x'],
    ]);
  });
});
