import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { BusNames, Envelope } from '@delivery/contracts';
import { dispositionOf } from './platform-error';
import { MAX_RAW_BYTES, type DeadLetterRecord } from './dead-letter.record';
import { MSG_ID_HEADER, TRACEPARENT_HEADER } from './headers';
import { backoffDelay, type Backoff, type MessagingLogger, type TransportMetrics, type HandlerOutcome } from './transport.types';

export interface Failure {
  code: string;
  message: string;
}

export interface Delivery {
  msg: JsMsg;
  consumer: string;
  stream: string;
  deliveries: number;
  maxDeliver: number;
  started: bigint;
}

interface SettlementDeps {
  js: JetStreamClient;
  names: BusNames;
  service: string;
  backoff: Backoff;
  logger: MessagingLogger;
  metrics: TransportMetrics;
}

const encoder = new TextEncoder();

// The one place that decides what happens to a delivered message (DESIGN §3):
//   handler returned            → ack (the handler has committed its transaction by then)
//   transient error             → nak with exponential backoff
//   invalid / illegal state     → dead letter, then term
//   transient on last delivery  → dead letter, then term
// A message is only termed after its dead letter is stored; if that fails it is nak'ed and comes back.
export class Settlement {
  constructor(private readonly deps: SettlementDeps) {}

  ack(delivery: Delivery, type: string, outcome: HandlerOutcome = 'ack'): void {
    delivery.msg.ack();
    this.observe(delivery, type, outcome);
  }

  async failed(delivery: Delivery, envelope: Envelope, failure: Failure, error: unknown): Promise<void> {
    if (dispositionOf(error) === 'reject') return this.reject(delivery, failure, envelope);
    if (delivery.deliveries >= delivery.maxDeliver) {
      return this.reject(delivery, { code: failure.code, message: `gave up after ${delivery.deliveries} deliveries: ${failure.message}` }, envelope);
    }
    const delay = backoffDelay(delivery.deliveries, this.deps.backoff);
    this.deps.logger.warn(
      { type: envelope.type, envelopeId: envelope.id, deliveries: delivery.deliveries, delayMs: delay, error: failure },
      'handler failed; retrying with backoff',
    );
    delivery.msg.nak(delay);
    this.observe(delivery, envelope.type, 'nak');
  }

  async reject(delivery: Delivery, failure: Failure, parsed: unknown): Promise<void> {
    const envelope = isObject(parsed) ? parsed : null;
    const type = typeof envelope?.type === 'string' && /^[A-Za-z0-9]{1,100}$/.test(envelope.type) ? envelope.type : 'unknown';
    const { msg } = delivery;
    const record: DeadLetterRecord = {
      envelope: envelope as DeadLetterRecord['envelope'],
      rawBase64: envelope || msg.data.byteLength > MAX_RAW_BYTES ? null : Buffer.from(msg.data).toString('base64'),
      rawBytes: msg.data.byteLength,
      error: failure,
      deliveries: delivery.deliveries,
      service: this.deps.service,
      consumer: delivery.consumer,
      stream: delivery.stream,
      streamSeq: msg.seq,
      subject: msg.subject,
      deadLetteredAt: new Date().toISOString(),
    };
    let bytes = encoder.encode(JSON.stringify(record));
    if (bytes.byteLength > MAX_RAW_BYTES + 64 * 1024) {
      // An oversized envelope: keep the reason and where to find the original, not its bytes.
      bytes = encoder.encode(JSON.stringify({ ...record, envelope: null, rawBase64: null }));
    }
    const headers = natsHeaders();
    // Dedupe key of the dead letter itself: a crash between storing it and terming the message must not double it.
    headers.set(MSG_ID_HEADER, `dlq:${delivery.stream}:${msg.seq}:${delivery.consumer}`);
    const traceparent = msg.headers?.get(TRACEPARENT_HEADER);
    if (traceparent) headers.set(TRACEPARENT_HEADER, traceparent);
    try {
      await this.deps.js.publish(this.deps.names.deadLetterSubject(this.deps.service, type), bytes, { headers });
    } catch (error) {
      this.deps.logger.error({ err: error, subject: msg.subject, seq: msg.seq }, 'could not store dead letter; message will be redelivered');
      msg.nak(backoffDelay(delivery.deliveries, this.deps.backoff));
      this.observe(delivery, type, 'nak');
      return;
    }
    // No reason text: nats-server 2.9 does not parse `+TERM <reason>` and would leave the message pending.
    msg.term();
    this.deps.logger.warn({ type, subject: msg.subject, seq: msg.seq, error: failure, deliveries: delivery.deliveries }, 'message dead-lettered');
    this.deps.metrics.deadLettered({ service: this.deps.service, type, reason: failure.code });
    this.observe(delivery, type, 'dead_letter');
  }

  private observe(delivery: Delivery, type: string, outcome: HandlerOutcome): void {
    const seconds = Number(process.hrtime.bigint() - delivery.started) / 1e9;
    this.deps.metrics.handled({ service: this.deps.service, type, outcome }, seconds);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
