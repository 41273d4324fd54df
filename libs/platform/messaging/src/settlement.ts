import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { BusNames, Envelope } from '@delivery/contracts';
import { dispositionOf } from './platform-error';
import { deadLetterType, writeDeadLetter } from './dead-letter.writer';
import { backoffDelay, type Backoff, type MessagingLogger, type TransportMetrics, type HandlerOutcome } from './transport.types';

export interface Failure {
  code: string;
  message: string;
}

export interface Delivery {
  msg: JsMsg;
  consumer: string;
  stream: string;
  readonly deliveries: number;
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

// The one place that decides what happens to a delivered message (DESIGN §3):
//   handler returned            → ack (the handler has committed its transaction by then)
//   transient error             → nak with exponential backoff
//   invalid / illegal state     → dead letter, then term
//   transient on last delivery  → dead letter, then term
// A message is only termed after its dead letter is stored; if that fails it is nak'ed and comes back.
export class Settlement {
  constructor(private readonly deps: SettlementDeps) {}

  private pendingAcks: JsMsg[] = [];

  ack(delivery: Delivery, type: string, outcome: HandlerOutcome = 'ack'): void {
    // Acks settled in the same event-loop turn go out in one socket write: nats.js flushes on a microtask, and
    // handlers finish on different microtasks, so acking one by one costs a write per message.
    if (this.pendingAcks.push(delivery.msg) === 1) setImmediate(() => this.flushAcks());
    this.observe(delivery, type, outcome);
  }

  /** Sends the acks collected so far (also called on shutdown, before the connection drains). */
  flushAcks(): void {
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    for (const msg of acks) msg.ack();
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
    const { msg } = delivery;
    const type = deadLetterType(parsed);
    try {
      await writeDeadLetter(
        this.deps.js,
        this.deps.names,
        { data: msg.data, subject: msg.subject, stream: delivery.stream, streamSeq: msg.seq, headers: msg.headers },
        { service: this.deps.service, consumer: delivery.consumer, deliveries: delivery.deliveries, error: failure, parsed },
      );
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

