import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type HandlerOutcome = 'ack' | 'nak' | 'dead_letter' | 'duplicate' | 'skipped';

export interface HandlerLabels {
  service: string;
  /** message type, e.g. ApproveRelease */
  type: string;
}

// DESIGN §6: handler latency, dead letters and relay lag, the figures an operator pages on.
export class PlatformMetrics {
  readonly registry: Registry;
  readonly handlerDuration: Histogram<'service' | 'type' | 'outcome'>;
  readonly deadLetters: Counter<'service' | 'type' | 'reason_code'>;
  readonly relayLag: Gauge<'service'>;
  readonly relayPublished: Counter<'service'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    this.registry = new Registry();
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.handlerDuration = new Histogram({
      name: 'handler_duration_seconds',
      help: 'Time to handle one bus message, by outcome (ack, nak, dead_letter, duplicate)',
      labelNames: ['service', 'type', 'outcome'],
      // Handlers are mostly one Postgres transaction: resolve the 1-100 ms range finely.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.deadLetters = new Counter({
      name: 'dead_letters_total',
      help: 'Messages sent to the dead-letter stream',
      labelNames: ['service', 'type', 'reason_code'],
      registers: [this.registry],
    });
    this.relayLag = new Gauge({
      name: 'relay_lag_events',
      help: 'Events appended to the event store but not yet published to the bus',
      labelNames: ['service'],
      registers: [this.registry],
    });
    this.relayPublished = new Counter({
      name: 'relay_published_total',
      help: 'Events the relay published to the bus',
      labelNames: ['service'],
      registers: [this.registry],
    });
  }

  // Observed once per bus message: keep the labelled child instead of hashing the labels every time.
  private readonly handlerChildren = new Map<string, { observe(value: number): void }>();

  observeHandler(labels: HandlerLabels, outcome: HandlerOutcome, seconds: number): void {
    const key = `${labels.service}\u0000${labels.type}\u0000${outcome}`;
    let child = this.handlerChildren.get(key);
    if (!child) {
      child = this.handlerDuration.labels(labels.service, labels.type, outcome);
      this.handlerChildren.set(key, child);
    }
    child.observe(seconds);
  }

  /** Starts a timer; call the returned function with the outcome once the message is settled. */
  startHandlerTimer(labels: HandlerLabels): (outcome: HandlerOutcome) => number {
    const end = this.handlerDuration.startTimer({ service: labels.service, type: labels.type });
    return (outcome) => end({ outcome });
  }

  recordDeadLetter(labels: HandlerLabels & { reasonCode: string }): void {
    this.deadLetters.inc({ service: labels.service, type: labels.type, reason_code: labels.reasonCode });
  }

  setRelayLag(service: string, events: number): void {
    this.relayLag.set({ service }, events);
  }

  recordRelayPublished(service: string, count = 1): void {
    this.relayPublished.inc({ service }, count);
  }

  /** Prometheus text exposition */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

let processMetrics: PlatformMetrics | undefined;

// One registry per process: every lib records into it and /metrics serves it.
export function platformMetrics(): PlatformMetrics {
  processMetrics ??= new PlatformMetrics();
  return processMetrics;
}

export function metricsRegistry(): Registry {
  return platformMetrics().registry;
}
