import { Client, type ClientConfig, type Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** A LISTEN connection's settings: the pool's own (host, credentials, ssl, options), outside the pool, its
 * application_name suffixed with `:<suffix>` (the pool's name, else `fallback`). */
export function listenClientConfig(source: Pool | DataSource, suffix: string, fallback = 'listen'): ClientConfig {
  const pool = 'driver' in source ? (source.driver as unknown as { master?: Pool }).master : source;
  if (!pool) throw new Error('listenClientConfig needs an initialized DataSource');
  const options = (pool as unknown as { options: ClientConfig }).options;
  return { ...options, application_name: `${options.application_name ?? fallback}:${suffix}`.slice(0, 63) };
}

// One LISTEN connection per store, shared by its subscriptions and open only while one runs. Notifications
// are only a wake-up hint: subscriptions always re-read the table and poll anyway, so a lost notification or a
// dropped connection costs latency, never an event.
export class PostgresNotifyListener {
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private users = 0;
  private nextAttemptAt = 0;
  private readonly wakers = new Set<() => void>();
  /** bumped on every notification and reconnect; a subscription compares it with the value it read before */
  generation = 0;

  constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
    private readonly retryMs: number,
  ) {}

  acquire(): void {
    this.users++;
    this.ensureConnected();
  }

  release(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users === 0) this.disconnect();
  }

  /** Connects in the background when needed; failures are retried at most once per retryMs. */
  ensureConnected(): void {
    if (this.users === 0 || this.client || this.connecting || Date.now() < this.nextAttemptAt) return;
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
  }

  /** Resolves on the next notification after `seen`, after timeoutMs, or when the signal aborts. */
  wait(seen: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.generation !== seen || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.wakers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async close(): Promise<void> {
    this.users = 0;
    await this.connecting?.catch(() => undefined);
    this.disconnect();
    this.wake();
  }

  private async connect(): Promise<void> {
    const client = new Client(this.config);
    // A broken LISTEN connection must not crash the process: drop it and let the next loop reconnect.
    client.on('error', () => this.drop(client));
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.wake();
    });
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.wake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch {
      this.nextAttemptAt = Date.now() + this.retryMs;
      this.drop(client);
      return;
    }
    if (this.users === 0) {
      void client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    // Appends committed while we were not listening notified nobody: make every waiter re-read.
    this.wake();
  }

  private drop(client: Client): void {
    const wasCurrent = this.client === client;
    if (wasCurrent) this.client = undefined;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    if (wasCurrent) this.wake();
  }

  private disconnect(): void {
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
    }
  }

  private wake(): void {
    this.generation++;
    for (const waker of [...this.wakers]) waker();
  }
}
