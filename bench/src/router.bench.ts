import { benchmarkRouter, type RouterBenchResult, type ThroughputResult } from '@delivery/gitops-router';
import type { ScenarioResult } from './stats';

// Issue 6: requests/s through the local runtime's weighted router (its own process, as deployed) against the same
// requests straight to the backend, in the same run (target ratio ≥ 0.5). One measurement feeds both rows: x0 the
// direct path, x1 the routed one.
let measured: Promise<RouterBenchResult> | undefined;

function measure(requests: number, concurrency: number): Promise<RouterBenchResult> {
  measured ??= benchmarkRouter({ requests, concurrency });
  return measured;
}

function rowOf(scenario: string, description: string, result: ThroughputResult, concurrency: number): ScenarioResult {
  if (result.failures > 0) throw new Error(`${scenario}: ${result.failures} of ${result.requests} requests failed`);
  return { scenario, description, messages: result.requests, seconds: result.seconds, rate: result.requestsPerSecond, details: { concurrency } };
}

export async function routerDirectBench(options: { requests: number; concurrency: number }): Promise<ScenarioResult> {
  const { direct } = await measure(options.requests, options.concurrency);
  return rowOf('x0', 'HTTP GET straight to a backend (keep-alive, loopback)', direct, options.concurrency);
}

export async function routerRoutedBench(options: { requests: number; concurrency: number }): Promise<ScenarioResult> {
  const { routed } = await measure(options.requests, options.concurrency);
  return rowOf('x1', 'the same GETs through the weighted router (its own process)', routed, options.concurrency);
}
