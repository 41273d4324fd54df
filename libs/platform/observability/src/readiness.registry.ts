import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

export type ReadinessCheck = () => Promise<void>;

export interface ReadinessOptions {
  /** a check slower than this counts as down, so /health/ready answers in bounded time */
  timeoutMs?: number;
}

export interface ReadinessOutcome {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

const DEFAULT_TIMEOUT_MS = 3_000;

// Other libs (messaging, persistence wiring in the service kit) register what "ready" means: NATS connected,
// Postgres answering, migrations done. A check resolves when healthy and throws (with a reason) when not.
@Injectable()
export class ReadinessRegistry implements BeforeApplicationShutdown {
  private readonly checks = new Map<string, { check: ReadinessCheck; timeoutMs: number }>();
  private draining = false;

  // Once shutdown starts, report not ready so the load balancer stops sending requests while they drain.
  beforeApplicationShutdown(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  register(name: string, check: ReadinessCheck, options: ReadinessOptions = {}): void {
    if (!/^[a-z][a-z0-9_.-]*$/.test(name)) throw new Error(`readiness check name "${name}" must be lowercase (e.g. "postgres")`);
    if (this.checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    this.checks.set(name, { check, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  async check(name: string): Promise<ReadinessOutcome> {
    const entry = this.checks.get(name);
    if (!entry) return { name, ok: false, durationMs: 0, error: 'not registered' };
    return runOne(name, entry.check, entry.timeoutMs);
  }

  /** Runs every check in parallel. */
  async run(): Promise<ReadinessOutcome[]> {
    return Promise.all(this.names().map((name) => this.check(name)));
  }
}

async function runOne(name: string, check: ReadinessCheck, timeoutMs: number): Promise<ReadinessOutcome> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name, ok: true, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { name, ok: false, durationMs: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}
