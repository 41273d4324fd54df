import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import { BusNames, definitionOf, type Envelope } from '@delivery/contracts';
import { encodeEnvelope, EnvelopeRejectedError } from './codec';
import { envelopeHeaders } from './headers';

export interface PublishOptions {
  /** JetStream dedupe key; the envelope id unless a replay needs a fresh one */
  msgId?: string;
  /** publish to this subject instead of the one the envelope's type resolves to (replays of mismatches) */
  subject?: string;
  timeoutMs?: number;
}

// Every envelope leaves through here: validated against its schema, routed by the one resolver, deduplicated by id.
export class BusPublisher {
  constructor(
    private readonly js: JetStreamClient,
    readonly names: BusNames,
  ) {}

  subjectOf(envelope: Envelope): string {
    const definition = definitionOf(envelope.type);
    if (!definition) throw new EnvelopeRejectedError('unknown-type', `unknown message type "${envelope.type}"`);
    return this.names.subjectFor(definition, envelope.tenantId);
  }

  async publish(envelope: Envelope, options: PublishOptions = {}): Promise<PubAck> {
    const data = encodeEnvelope(envelope);
    return this.publishBytes(options.subject ?? this.subjectOf(envelope), data, envelopeHeaders(envelope, options.msgId), options.timeoutMs);
  }

  /** Publishes in call order over one connection (JetStream stores them in that order) and waits for every ack. */
  async publishAll(envelopes: Envelope[]): Promise<PubAck[]> {
    return Promise.all(envelopes.map((e) => this.publish(e)));
  }

  publishBytes(subject: string, data: Uint8Array, headers: MsgHdrs, timeoutMs = 10_000): Promise<PubAck> {
    return this.js.publish(subject, data, { headers, timeout: timeoutMs });
  }
}
