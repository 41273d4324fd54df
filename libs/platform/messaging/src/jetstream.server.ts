import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { jetstream, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { isObservable, lastValueFrom } from 'rxjs';
import { MAX_ENVELOPE_BYTES, type BusNames, type Envelope } from '@delivery/contracts';
import { newSpanId, runWithTrace } from '@delivery/observability';
import { decodeEnvelope } from './codec';
import { JetStreamContext } from './jetstream.context';
import { Settlement, type Failure } from './settlement';
import { errorCodeOf, errorMessageOf } from './platform-error';
import {
  DEFAULT_BACKOFF,
  noMetrics,
  silentLogger,
  type Backoff,
  type MessagingLogger,
  type TransportMetrics,
} from './transport.types';

export interface ConsumerBinding {
  stream: string;
  durable: string;
  /**
   * What to do with a message that is not a valid envelope for this binding: dead-letter it (default), or ack
   * and skip it, for readers of everything (lineage) whose invalid messages the owning consumer dead-letters.
   */
  invalid?: 'dead-letter' | 'skip';
}

export interface JetStreamServerOptions {
  connection: NatsConnection;
  names: BusNames;
  /** the service name: dead letters go to <ns>.dlq.<service>.<Type> */
  service: string;
  /** durable consumers declared in deploy/nats; the server binds to them and never creates them */
  consumers: ConsumerBinding[];
  /** messages handled at once per consumer; messages with the same correlationId are always handled in order */
  concurrency?: number;
  backoff?: Backoff;
  /** stop extending ack_wait for a handler running longer than this; the delivery then times out (default 5 min) */
  handlerTimeoutMs?: number;
  maxEnvelopeBytes?: number;
  logger?: MessagingLogger;
  metrics?: TransportMetrics;
}

// NestJS transport over JetStream pull consumers (DESIGN §3). Handlers are ordinary @EventPattern('<Type>')
// methods receiving (envelope, JetStreamContext); settlement happens in one place (Settlement) after they return.
export class JetStreamServer extends Server implements CustomTransportStrategy {
  private readonly js: JetStreamClient;
  private readonly settlement: Settlement;
  private readonly running: ConsumerMessages[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(private readonly options: JetStreamServerOptions) {
    super();
    this.js = jetstream(options.connection);
    this.settlement = new Settlement({
      js: this.js,
      names: options.names,
      service: options.service,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      logger: options.logger ?? silentLogger,
      metrics: options.metrics ?? noMetrics,
    });
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const loops = await Promise.all(this.options.consumers.map((binding) => this.bind(binding)));
      callback();
      await Promise.all(loops.map((loop) => loop()));
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const messages of this.running) messages.stop();
    await Promise.allSettled([...this.inFlight]);
    this.settlement.flushAcks();
    for (const timer of this.timers) clearInterval(timer);
  }

  on(): never {
    throw new Error('JetStreamServer does not emit events; use its logger and metrics');
  }

  unwrap<T>(): T {
    return this.js as T;
  }

  // Binds eagerly (so a missing durable fails the start with a clear message) and returns the consume loop.
  private async bind(binding: ConsumerBinding): Promise<() => Promise<void>> {
    const consumer = await this.js.consumers.get(binding.stream, binding.durable).catch((error: unknown) => {
      throw new Error(
        `cannot bind durable consumer ${binding.stream}/${binding.durable}: ${errorMessageOf(error)}. ` +
          'Streams and consumers are declared in deploy/nats; run `npm run nats:provision`.',
      );
    });
    const { config } = await consumer.info(true);
    const maxDeliver = config.max_deliver && config.max_deliver > 0 ? config.max_deliver : Number.POSITIVE_INFINITY;
    const ackWaitMs = Math.max(Number(config.ack_wait ?? 30e9) / 1e6, 1_000);
    // Long handlers keep their message: one timer per binding tells the server we are still working before
    // ack_wait runs out, up to the handler timeout; a hung handler then loses the delivery and, on the last one,
    // the max-deliveries sweeper dead-letters it. (One timer, not one per message: it is on the hot path.)
    const handling = new Map<JsMsg, number>();
    const handlerTimeoutMs = this.options.handlerTimeoutMs ?? 5 * 60_000;
    const keepAlive = setInterval(() => {
      const now = Date.now();
      for (const [msg, startedAt] of handling) if (now - startedAt < handlerTimeoutMs) msg.working();
    }, Math.max(ackWaitMs / 3, 300));
    keepAlive.unref();
    this.timers.push(keepAlive);
    const concurrency = Math.max(this.options.concurrency ?? 8, 1);
    const chains = new Map<string, Promise<void>>();
    let slots = concurrency;
    let wake: (() => void) | undefined;

    return async () => {
      while (!this.closed) {
        try {
          const messages = await consumer.consume({ max_messages: concurrency * 4 });
          this.running.push(messages);
          for await (const msg of messages) {
            while (slots === 0) await new Promise<void>((resolve) => (wake = resolve));
            slots--;
            const task: Promise<void> = this.dispatch(msg, binding, maxDeliver, handling, chains, () => {
              slots++;
              this.inFlight.delete(task);
              wake?.();
            });
            this.inFlight.add(task);
          }
        } catch (error) {
          if (this.closed) break;
          // The consumer vanished or the connection failed hard: keep trying, loudly, rather than go deaf.
          this.options.logger?.error({ err: error, consumer: binding.durable }, 'consume loop failed; rebinding in 1 s');
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    };
  }

  // Messages of one correlationId (a release, a repository…) are handled in arrival order; others run in parallel.
  private async dispatch(
    msg: JsMsg,
    binding: ConsumerBinding,
    maxDeliver: number,
    handling: Map<JsMsg, number>,
    chains: Map<string, Promise<void>>,
    done: () => void,
  ): Promise<void> {
    const decoded = decodeEnvelope(msg.data, this.options.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES);
    const key = decoded.ok ? decoded.envelope.correlationId : `seq:${msg.seq}`;
    // No chain for the key (the common case): start now, without a Promise.resolve().then hop per message.
    const previous = chains.get(key);
    const handle = () => this.handle(msg, binding, decoded, maxDeliver, handling);
    const current = previous ? previous.then(handle) : handle();
    chains.set(key, current);
    try {
      await current;
    } finally {
      if (chains.get(key) === current) chains.delete(key);
      done();
    }
  }

  private async handle(
    msg: JsMsg,
    binding: ConsumerBinding,
    decoded: ReturnType<typeof decodeEnvelope>,
    maxDeliver: number,
    handling: Map<JsMsg, number>,
  ): Promise<void> {
    const started = process.hrtime.bigint();
    // deliveries is read lazily: parsing the ack subject costs ~1 µs and only failures and handlers that ask need it.
    const delivery = {
      msg,
      consumer: binding.durable,
      stream: binding.stream,
      maxDeliver,
      started,
      get deliveries() {
        return msg.info.deliveryCount;
      },
    };
    const invalid = (failure: Failure, parsed: unknown) =>
      binding.invalid === 'skip' ? this.settlement.ack(delivery, 'invalid', 'skipped') : this.settlement.reject(delivery, failure, parsed);
    if (!decoded.ok) return invalid({ code: decoded.code, message: decoded.reason }, decoded.parsed);
    const envelope = decoded.envelope;
    const problem = this.routingProblem(msg.subject, envelope);
    if (problem) return invalid(problem, envelope);
    // Handlers are keyed by the plain type. Nest's getHandlerByPattern JSON.parses the pattern first, which throws
    // (with a stack trace) for every message: ~15–20 µs of CPU per message in `npm run bench`.
    const handler = this.messageHandlers.get(envelope.type) ?? this.getHandlerByPattern(envelope.type);
    if (!handler) return invalid({ code: 'no-handler', message: `${this.options.service} has no handler for ${envelope.type}` }, envelope);

    handling.set(msg, Date.now());
    try {
      const context = new JetStreamContext([msg, binding.durable]);
      await runWithTrace(
        {
          traceId: envelope.traceId,
          spanId: newSpanId(),
          tenantId: envelope.tenantId,
          projectId: envelope.projectId,
          causationId: envelope.id,
          correlationId: envelope.correlationId,
          actor: envelope.actor,
        },
        async () => {
          const result = await handler(envelope, context);
          // `result` is already awaited, so only an Observable still needs settling (what transformToObservable did).
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
        },
      );
      this.settlement.ack(delivery, envelope.type);
    } catch (error) {
      await this.settlement.failed(delivery, envelope, toFailure(error), error);
    } finally {
      handling.delete(msg);
    }
  }

  private routingProblem(subject: string, envelope: Envelope): Failure | undefined {
    const parsed = this.options.names.parseSubject(subject);
    if (!parsed) return { code: 'bad-subject', message: `subject ${subject} is not a platform subject` };
    if (parsed.tenantId !== envelope.tenantId) {
      return { code: 'tenant-mismatch', message: `subject tenant "${parsed.tenantId}" differs from envelope tenantId "${envelope.tenantId}"` };
    }
    if (parsed.type !== envelope.type) {
      return { code: 'type-mismatch', message: `subject type "${parsed.type}" differs from envelope type "${envelope.type}"` };
    }
    return undefined;
  }
}

// Nest's default RPC filter replaces unknown errors with {status:'error', message:'Internal server error'};
// BusExceptionFilter (registered by the service kit) passes the original through so we can classify it.
function toFailure(error: unknown): Failure {
  return { code: errorCodeOf(error), message: errorMessageOf(error) };
}
