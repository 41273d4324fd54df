import type { JetStreamClient, JetStreamManager, ConsumerMessages } from '@nats-io/jetstream';
import type { BusNames } from '@delivery/contracts';
import { decodeEnvelope } from './codec';
import { deadLetterType, writeDeadLetter } from './dead-letter.writer';
import { silentLogger, type MessagingLogger, type TransportMetrics, noMetrics } from './transport.types';

interface MaxDeliveriesAdvisory {
  type: string;
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

// The settlement dead-letters a message on its last allowed delivery, but only if the handler gets to settle:
// a process that crashes or hangs past ack_wait on that delivery leaves nats-server to give up silently.
// Its MAX_DELIVERIES advisory is captured in a stream (deploy/nats), and this sweeper turns each one into a
// dead letter, so nothing is ever dropped without a trace. Same dedupe key as the settlement: stored once.
export class MaxDeliveriesSweeper {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;

  constructor(
    private readonly deps: { js: JetStreamClient; jsm: JetStreamManager; names: BusNames; durable: string; logger?: MessagingLogger; metrics?: TransportMetrics },
  ) {}

  async start(): Promise<void> {
    const consumer = await this.deps.js.consumers.get(this.deps.names.advisoryStream(), this.deps.durable);
    this.messages = await consumer.consume({ max_messages: 64 });
    this.loop = (async () => {
      for await (const msg of this.messages!) {
        try {
          await this.sweep(msg.json<MaxDeliveriesAdvisory>());
          msg.ack();
        } catch (error) {
          (this.deps.logger ?? silentLogger).error({ err: error }, 'could not dead-letter a max-deliveries advisory; retrying');
          msg.nak(5_000);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.messages?.stop();
    await this.loop;
  }

  private async sweep(advisory: MaxDeliveriesAdvisory): Promise<void> {
    const { js, jsm, names } = this.deps;
    const service = names.serviceOfDurable(advisory.consumer);
    const stored = await jsm.streams.getMessage(advisory.stream, { seq: advisory.stream_seq }).catch(() => null);
    const error = {
      code: 'max-deliveries',
      message: `no settlement after ${advisory.deliveries} deliveries to ${advisory.consumer} (the handler crashed or ran past ack_wait)`,
    };
    if (!stored) {
      (this.deps.logger ?? silentLogger).error({ advisory }, 'message of a max-deliveries advisory is gone from its stream');
    }
    const data = stored?.data ?? new Uint8Array();
    const decoded = stored ? decodeEnvelope(data) : undefined;
    const parsed = decoded?.ok ? decoded.envelope : decoded && 'parsed' in decoded ? decoded.parsed : safeJson(data);
    await writeDeadLetter(
      js,
      names,
      { data, subject: stored?.subject ?? `${advisory.stream}#${advisory.stream_seq}`, stream: advisory.stream, streamSeq: advisory.stream_seq, headers: stored?.header },
      {
        service,
        consumer: advisory.consumer,
        deliveries: advisory.deliveries,
        error: stored ? error : { ...error, message: `${error.message}; the message is no longer in ${advisory.stream}` },
        parsed,
      },
    );
    (this.deps.metrics ?? noMetrics).deadLettered({ service, type: deadLetterType(parsed), reason: 'max-deliveries' });
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
