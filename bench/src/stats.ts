import { cpus } from 'node:os';

// Figures every scenario reports: throughput over a wall-clock window, and latency percentiles where they mean something.
export interface Latency {
  /** what was timed, e.g. "publish→ack" */
  label: string;
  p50Ms: number;
  p99Ms: number;
}

export interface ScenarioResult {
  scenario: string;
  description: string;
  messages: number;
  seconds: number;
  rate: number;
  latency?: Latency;
  /** secondary figures (phase rates, concurrency…) printed under the table and kept in the JSON */
  details: Record<string, number | string>;
}

export function rate(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

/** Starts a monotonic clock; the returned function gives the seconds elapsed since. */
export function stopwatch(): () => number {
  const started = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - started) / 1e9;
}

export interface CpuUse {
  /** this process: CPU seconds per wall second (1 = one core busy) */
  process: number;
  /** the whole machine (NATS, Postgres, anything else running), in busy cores */
  machine: number;
}

// Tells a saturated core from waiting on I/O, and shows when something else on the machine was competing.
export function cpuMeter(): () => CpuUse {
  const cpu = process.cpuUsage();
  const machine = machineTimes();
  const wall = stopwatch();
  return () => {
    const used = process.cpuUsage(cpu);
    const seconds = wall();
    const now = machineTimes();
    const total = now.total - machine.total;
    const busyCores = total > 0 ? ((total - (now.idle - machine.idle)) / total) * cpus().length : 0;
    return { process: round((used.user + used.system) / 1e6 / seconds, 2), machine: round(busyCores, 2) };
  };
}

function machineTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

// Fixed-size sample store: a Float64Array avoids boxing and GC noise on the hot path.
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (this.count < this.samples.length) this.samples[this.count++] = ms;
  }

  summary(label: string): Latency | undefined {
    if (this.count === 0) return undefined;
    const sorted = this.samples.slice(0, this.count).sort();
    return { label, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
  }
}

export function percentile(sorted: Float64Array, p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index] ?? 0;
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
