import type { DataSource } from 'typeorm';
import { defineMigration } from '@delivery/persistence';
import type { EventStore, NewEvent, RecordedEvent } from '@delivery/eventstore';
import { definitionOf, type Envelope } from '@delivery/contracts';
import type { BusPublisher } from './bus-publisher';
import { silentLogger, type MessagingLogger } from './transport.types';

export interface RelayCheckpoints {
  load(name: string): Promise<bigint | undefined>;
  save(name: string, position: bigint): Promise<void>;
}

export interface RelayMetrics {
  published(count: number): void;
  /** events appended but not yet published, sampled every lagIntervalMs */
  lag?(events: number): void;
}

export interface OutboxRelayOptions {
  /** the relay's name: one checkpoint per name */
  name: string;
  store: EventStore;
  publisher: BusPublisher;
  checkpoints: RelayCheckpoints;
  batchSize?: number;
  lagIntervalMs?: number;
  logger?: MessagingLogger;
  metrics?: RelayMetrics;
}

const BATCH_END = Symbol('batch-end');

// No dual writes (DESIGN §3): services append events to their own store in the same transaction as their state;
// this relay follows the store from its checkpoint (store.subscribe: catch-up, then live on append) and
// publishes each event with msgID = event id, pipelined in order over one connection. The checkpoint is saved
// only after JetStream acked the whole batch, so a crash republishes a suffix that the stream's duplicate window
// drops: every event is published once, and in order.
export class OutboxRelay {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private published = 0;
  private checkpoint?: bigint;
  private lagTimer?: NodeJS.Timeout;

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    this.loop ??= this.run();
    const { store, metrics } = this.options;
    // Sampled off the hot path: counting is a query, publishing must not wait for it.
    if (store.countAfter && metrics?.lag && !this.lagTimer) {
      this.lagTimer = setInterval(() => {
        store.countAfter!(this.checkpoint).then((n) => metrics.lag!(n), () => undefined);
      }, this.options.lagIntervalMs ?? 5_000);
      this.lagTimer.unref();
    }
  }

  /** Resolves once at least `count` events have been published since start (tests, benchmarks). */
  async waitForPublished(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.published < count) {
      if (Date.now() > deadline) throw new Error(`relay ${this.options.name}: ${this.published} of ${count} events published after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.lagTimer);
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const logger = this.options.logger ?? silentLogger;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        await this.follow();
      } catch (error) {
        if (this.abort.signal.aborted) return;
        failures++;
        const delay = Math.min(250 * 2 ** failures, 30_000);
        logger.error({ err: error, relay: this.options.name, delayMs: delay }, 'relay failed; resuming from its checkpoint');
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      failures = 0;
    }
  }

  // Batches whatever the subscription hands over without waiting: events of a page arrive in microtasks, and
  // the first wait for I/O (setImmediate wins the race) closes the batch.
  private async follow(): Promise<void> {
    const { store, publisher, checkpoints, name } = this.options;
    const maxBatch = this.options.batchSize ?? 500;
    const fromPosition = await checkpoints.load(name);
    this.checkpoint = fromPosition;
    const iterator = store.subscribe({ fromPosition, signal: this.abort.signal })[Symbol.asyncIterator]();
    try {
      let pending = iterator.next();
      for (;;) {
        const first = await pending;
        if (first.done) return;
        const batch: RecordedEvent[] = [first.value];
        pending = iterator.next();
        while (batch.length < maxBatch) {
          const next = await Promise.race([pending, new Promise<typeof BATCH_END>((resolve) => setImmediate(() => resolve(BATCH_END)))]);
          if (next === BATCH_END || next.done) break;
          batch.push(next.value);
          pending = iterator.next();
        }
        await publisher.publishAll(batch.map(toEnvelope));
        this.checkpoint = batch[batch.length - 1]!.position;
        await checkpoints.save(name, this.checkpoint);
        this.published += batch.length;
        this.options.metrics?.published(batch.length);
      }
    } finally {
      await iterator.return?.();
    }
  }
}

export function toEnvelope(event: RecordedEvent): Envelope {
  const kind = definitionOf(event.type)?.kind ?? 'event';
  return { id: event.id, type: event.type, kind, payload: event.data, ...event.metadata };
}

// Checkpoints in the service's own schema, beside its events.
export class PostgresRelayCheckpoints implements RelayCheckpoints {
  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

  async load(name: string): Promise<bigint | undefined> {
    const rows: Array<{ position: string }> = await this.dataSource.query(`SELECT position FROM "${this.schema}".relay_checkpoints WHERE name = $1`, [name]);
    return rows[0] ? BigInt(rows[0].position) : undefined;
  }

  async save(name: string, position: bigint): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "${this.schema}".relay_checkpoints (name, position, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
      [name, position.toString()],
    );
  }
}

export const relayCheckpointsMigration = defineMigration({
  name: 'CreateRelayCheckpoints',
  timestamp: 1767225600100,
  up: (schema) => [
    `CREATE TABLE IF NOT EXISTS "${schema}".relay_checkpoints (
      name text PRIMARY KEY,
      position bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
  ],
  down: (schema) => [`DROP TABLE IF EXISTS "${schema}".relay_checkpoints`],
});

/** The stored form of an envelope: the event store keeps the payload as data and the rest as metadata. */
export function toNewEvent(envelope: Envelope): NewEvent {
  const { id, type, payload, kind: _kind, ...metadata } = envelope;
  return { id, type, data: payload, metadata };
}
