import type { DataSource } from 'typeorm';
import type { EventStore, RecordedEvent } from '@delivery/eventstore';
import { definitionOf, type Envelope } from '@delivery/contracts';
import type { BusPublisher } from './bus-publisher';
import { silentLogger, type MessagingLogger } from './transport.types';

export interface RelayCheckpoints {
  load(name: string): Promise<bigint | undefined>;
  save(name: string, position: bigint): Promise<void>;
}

export interface RelayMetrics {
  published(count: number): void;
  lag(events: number): void;
}

export interface OutboxRelayOptions {
  /** the relay's name: one checkpoint per name */
  name: string;
  store: EventStore;
  publisher: BusPublisher;
  checkpoints: RelayCheckpoints;
  batchSize?: number;
  /** idle polling interval; the relay also wakes as soon as the store reports an append */
  idleMs?: number;
  logger?: MessagingLogger;
  metrics?: RelayMetrics;
}

// No dual writes (DESIGN §3): services append events to their own store in the same transaction as their state;
// this relay tails the store by global position and publishes each event with msgID = event id, in order.
// The checkpoint is saved only after JetStream acked the whole batch, so a crash republishes a suffix that
// JetStream's duplicate window drops: every event is published once, in order.
export class OutboxRelay {
  private stopped = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Publishes everything appended so far; used by tests and by shutdown. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.publishBatch();
      total += published;
      if (published === 0) return total;
    }
  }

  notify(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private position?: bigint;

  private async run(): Promise<void> {
    const logger = this.options.logger ?? silentLogger;
    let failures = 0;
    while (!this.stopped) {
      try {
        const published = await this.publishBatch();
        failures = 0;
        if (published === 0) await this.idle(this.options.idleMs ?? 200);
      } catch (error) {
        failures++;
        const delay = Math.min(250 * 2 ** failures, 30_000);
        logger.error({ err: error, relay: this.options.name, delayMs: delay }, 'relay batch failed; retrying');
        this.position = undefined; // reload the checkpoint: the failed batch is republished, duplicates are dropped
        await this.idle(delay);
      }
    }
  }

  private async publishBatch(): Promise<number> {
    const { store, publisher, checkpoints, name } = this.options;
    this.position ??= await checkpoints.load(name);
    const events = await store.readAll({ fromPosition: this.position, limit: this.options.batchSize ?? 500 });
    if (events.length === 0) {
      this.options.metrics?.lag(0);
      return 0;
    }
    await publisher.publishAll(events.map(toEnvelope));
    const last = events[events.length - 1]!.position;
    await checkpoints.save(name, last);
    this.position = last;
    this.options.metrics?.published(events.length);
    return events.length;
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
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

export function relayCheckpointsDdl(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS "${schema}".relay_checkpoints (
    name text PRIMARY KEY,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`;
}
