import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { validateEnvelope, type Actor, type BusNames, type Envelope } from '@delivery/contracts';
import { createEnvelope } from './envelope.factory';
import { BusPublisher } from './bus-publisher';
import { NotFoundError, ValidationError } from './platform-error';
import { summarize, type DeadLetter, type DeadLetterRecord, type DeadLetterSummary } from './dead-letter.record';

export interface ListDeadLettersQuery {
  service?: string;
  type?: string;
  tenantId?: string;
  limit?: number;
}

export interface OperatorAction {
  operator: Actor;
  reason: string;
}

export interface ReplayAction extends OperatorAction {
  /** a corrected envelope; it must keep the dead letter's id and traceId */
  envelope?: Envelope;
}

const decoder = new TextDecoder();
const PLATFORM_TENANT = 'platform';

// The one dead-letter API (DESIGN §3): list / show / replay / discard. REST and the operator CLI are thin
// shells around it. Replays keep the envelope's id and traceId; every action is recorded as an event in the
// dead letter's trace, naming the operator and the reason.
export class DeadLetters {
  private readonly stream: string;
  private readonly publisher: BusPublisher;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: BusNames,
  ) {
    this.stream = names.deadLetterStream();
    this.publisher = new BusPublisher(js, names);
  }

  async list(query: ListDeadLettersQuery = {}): Promise<DeadLetterSummary[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const subject = this.names.deadLetterFilter(query.service ?? '*', query.type ?? '*');
    const consumer = await this.js.consumers.get(this.stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
    try {
      const pending = (await consumer.info(true)).num_pending;
      const out: DeadLetterSummary[] = [];
      let remaining = pending;
      while (remaining > 0 && out.length < limit) {
        const batch = await consumer.fetch({ max_messages: Math.min(remaining, 256), expires: 2_000 });
        let got = 0;
        for await (const msg of batch) {
          got++;
          const summary = summarize(msg.seq, msg.subject, msg.json<DeadLetterRecord>());
          if (!query.tenantId || summary.tenantId === query.tenantId) out.push(summary);
          if (out.length >= limit) break;
        }
        if (got === 0) break;
        remaining -= got;
      }
      return out;
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }

  async show(seq: number): Promise<DeadLetter> {
    const stored = await this.jsm.streams.getMessage(this.stream, { seq }).catch(() => null);
    if (!stored) throw new NotFoundError('dead-letter-not-found', `no dead letter with sequence ${seq}`);
    const record = JSON.parse(decoder.decode(stored.data)) as DeadLetterRecord;
    return { ...summarize(seq, stored.subject, record), record };
  }

  /** Republishes the envelope to its original subject and removes the dead letter. */
  async replay(seq: number, action: ReplayAction): Promise<{ envelope: Envelope; subject: string }> {
    assertAction(action);
    const letter = await this.show(seq);
    const original = letter.record.envelope;
    const envelope = (action.envelope ?? original) as Envelope | null;
    if (!envelope) {
      throw new ValidationError('nothing-to-replay', `dead letter ${seq} holds no envelope (${letter.error.code}); replay it with a corrected envelope`);
    }
    if (action.envelope && original) {
      const before = original as Partial<Envelope>;
      if (before.id && action.envelope.id !== before.id) throw new ValidationError('replay-id-changed', `a replay keeps the envelope id ${before.id}`);
      if (before.traceId && action.envelope.traceId !== before.traceId) throw new ValidationError('replay-trace-changed', `a replay keeps the traceId ${before.traceId}`);
    }
    const validation = validateEnvelope(envelope);
    if (!validation.ok) throw new ValidationError(`replay-${validation.code}`, `the envelope to replay is invalid: ${validation.reason}`);
    const subject = this.publisher.subjectOf(envelope);

    // A fresh msgId: the original id may still sit in the duplicate window and the replay must not be dropped;
    // consumers dedupe on the envelope id in their inbox, so a replay of an already-handled message has no effect.
    await this.publisher.publish(envelope, { subject, msgId: `${envelope.id}:replay:${seq}` });
    // Recorded after the republish so the audit never claims a replay that did not happen; if recording fails the
    // dead letter stays, and replaying it again is harmless for the same reason.
    await this.audit('DeadLetterReplayed', letter, action, envelope, { edited: Boolean(action.envelope) });
    await this.jsm.streams.deleteMessage(this.stream, seq, false);
    return { envelope, subject };
  }

  async discard(seq: number, action: OperatorAction): Promise<void> {
    assertAction(action);
    const letter = await this.show(seq);
    const original = letter.record.envelope as Envelope | null;
    await this.audit('DeadLetterDiscarded', letter, action, original, {});
    await this.jsm.streams.deleteMessage(this.stream, seq, false);
  }

  private async audit(
    type: 'DeadLetterReplayed' | 'DeadLetterDiscarded',
    letter: DeadLetter,
    action: OperatorAction,
    envelope: Envelope | null,
    extra: { edited?: boolean },
  ): Promise<void> {
    const valid = envelope && validateEnvelope(envelope).ok ? envelope : null;
    const payload = {
      deadLetterSeq: letter.seq,
      envelopeId: letter.envelopeId && /^[0-9a-f-]{36}$/.test(letter.envelopeId) ? letter.envelopeId : null,
      originalSubject: letter.record.subject,
      consumer: letter.consumer,
      reason: action.reason,
      operator: action.operator,
      ...extra,
    };
    const audit = createEnvelope(type, payload as never, {
      source: 'ops',
      tenantId: valid?.tenantId ?? PLATFORM_TENANT,
      projectId: valid?.projectId ?? PLATFORM_TENANT,
      traceId: valid?.traceId,
      causationId: valid?.id ?? null,
      correlationId: valid?.correlationId ?? `dead-letter-${letter.seq}`,
      actor: action.operator,
    });
    await this.publisher.publish(audit);
  }
}

function assertAction(action: OperatorAction): void {
  if (!action.reason?.trim()) throw new ValidationError('reason-required', 'say why: a replay or discard needs a reason');
  if (!action.operator?.id) throw new ValidationError('operator-required', 'a replay or discard needs the operator');
}
