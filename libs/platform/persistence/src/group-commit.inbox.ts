import type { DataSource, EntityManager } from 'typeorm';
import { handleOnce, handleOnceBatch } from './inbox';

export interface GroupCommitItem<T> {
  consumer: string;
  envelopeId: string;
  value: T;
}

interface Pending<T> extends GroupCommitItem<T> {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitInboxOptions<T> {
  dataSource: DataSource;
  /** the state change of the fresh items of one batch, inside its transaction */
  work: (manager: EntityManager, items: T[]) => Promise<unknown>;
  maxBatch?: number;
  /** transactions in flight at once: while one commits, the next batch fills */
  parallel?: number;
}

// Group commit for high-volume handlers (DESIGN §3: ack only after the commit): every handler call waits for the transaction that contains its inbox claim and
// state change, so the transport still acks each message only after its own commit. Batches form by themselves
// from whatever arrives while earlier transactions are committing. A failed batch is retried one item at a time,
// so one bad message fails alone instead of taking its neighbours with it.
export class GroupCommitInbox<T> {
  private queue: Array<Pending<T>> = [];
  private active = 0;
  private readonly maxBatch: number;
  private readonly parallel: number;

  constructor(private readonly options: GroupCommitInboxOptions<T>) {
    this.maxBatch = options.maxBatch ?? 500;
    this.parallel = options.parallel ?? 2;
  }

  submit(item: GroupCommitItem<T>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...item, resolve, reject });
      // Give the messages delivered in this same tick a chance to join before the first transaction starts.
      if (this.active < this.parallel) {
        this.active++;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const byConsumer = new Map<string, Array<Pending<T>>>();
      for (const item of batch) {
        const group = byConsumer.get(item.consumer);
        if (group) group.push(item);
        else byConsumer.set(item.consumer, [item]);
      }
      for (const [consumer, items] of byConsumer) await this.commit(consumer, items);
    }
    this.active--;
  }

  private async commit(consumer: string, items: Array<Pending<T>>): Promise<void> {
    // The first submission of an envelope id wins; later ones in the same batch are duplicates.
    const values = new Map<string, T>();
    for (const item of items) if (!values.has(item.envelopeId)) values.set(item.envelopeId, item.value);
    try {
      await handleOnceBatch(this.options.dataSource, consumer, [...values.keys()], (manager, fresh) =>
        this.options.work(manager, fresh.map((id) => values.get(id)!)),
      );
      for (const item of items) item.resolve();
    } catch {
      await Promise.all(
        items.map((item) =>
          handleOnce(this.options.dataSource, { consumer, envelopeId: item.envelopeId }, (manager) => this.options.work(manager, [item.value])).then(
            () => item.resolve(),
            item.reject,
          ),
        ),
      );
    }
  }
}
